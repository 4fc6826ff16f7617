from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("a/<slug:slug>/", views.agency_page, name="agency"),
    path("a/<slug:slug>/jobs/<int:pk>/", views.job_detail, name="job"),
]

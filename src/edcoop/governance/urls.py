from django.urls import path

from . import views

app_name = "governance"

A = "a/<slug:slug>/"

urlpatterns = [
    path(A + "compliance/", views.compliance, name="compliance"),
    path(A + "compliance/rules/new/", views.rule_edit, name="rule_new"),
    path(A + "compliance/rules/<slug:key>/", views.rule_edit, name="rule_edit"),
    path(A + "compliance/rules/<slug:key>/reset/", views.rule_reset, name="rule_reset"),
]

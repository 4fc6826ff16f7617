from django.urls import path

from . import views

app_name = "billing"

A = "a/<slug:slug>/"

urlpatterns = [
    path(A + "billing/", views.billing_home, name="home"),
    path(A + "billing/runs/<int:pk>/", views.run_detail, name="run"),
    path(A + "billing/runs/<int:pk>/post/", views.run_post, name="run_post"),
    path(A + "billing/invoices/", views.invoice_list, name="invoices"),
    path(A + "billing/invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path(A + "billing/invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path(A + "billing/year-end/<int:fiscal_year>/", views.year_end, name="year_end"),
    path(A + "services/", views.service_list, name="services"),
    path(A + "institution/<int:pk>/billing/", views.member_billing, name="member"),
]

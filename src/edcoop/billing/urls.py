from django.urls import path

from edcoop.services import views as service_views

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
    path(A + "billing/invoices/<int:pk>/credit/", views.credit_memo_new, name="credit_memo"),
    path(A + "billing/year-end/<int:fiscal_year>/post/", views.true_up_post, name="true_up_post"),
    path(A + "billing/budget/<int:fiscal_year>/", views.budget, name="budget"),
    path(A + "billing/budget/<int:fiscal_year>/member/<int:pk>/", views.member_budget,
         name="member_budget"),
    path(A + "services/", views.service_list, name="services"),
    path(A + "services/requests/", service_views.request_list, name="requests"),
    path(A + "services/requests/new/", service_views.request_new, name="request_new"),
    path(A + "services/requests/<int:pk>/approve/", service_views.request_approve,
         name="request_approve"),
    path(A + "services/requests/<int:pk>/decline/", service_views.request_decline,
         name="request_decline"),
    path(A + "services/usage/new/", service_views.usage_new, name="usage_new"),
    path(A + "institution/<int:pk>/billing/payment/", views.payment_new, name="payment"),
    path(A + "institution/<int:pk>/billing/", views.member_billing, name="member"),
]

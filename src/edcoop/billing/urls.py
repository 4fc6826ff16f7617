from django.urls import path

from edcoop.services import views as service_views

from . import views

app_name = "billing"

A = "a/<slug:slug>/"
FY = "<int:fiscal_year>/"

urlpatterns = [
    path(A + "billing/", views.billing_home, name="home"),
    path(A + "billing/runs/<int:pk>/", views.run_detail, name="run"),
    path(A + "billing/runs/<int:pk>/post/", views.run_post, name="run_post"),
    path(A + "billing/invoices/", views.invoice_list, name="invoices"),
    path(A + "billing/invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path(A + "billing/invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path(A + "billing/invoices/<int:pk>/lines/<int:line_id>/memo/", views.memo_new, name="memo"),
    path(A + "billing/year-end/" + FY, views.year_end, name="year_end"),
    path(A + "billing/year-end/" + FY + "post/", views.true_up_post, name="true_up_post"),
    path(A + "billing/year-end/" + FY + "reopen/", views.year_reopen, name="year_reopen"),
    path(A + "billing/year-end/" + FY + "close/", views.year_reclose, name="year_reclose"),
    path(A + "billing/year-end/" + FY + "aid/", views.aid_export, name="aid_export"),
    path(A + "billing/gl/" + FY, views.gl_export, name="gl"),
    path(A + "billing/budget/" + FY, views.budget, name="budget"),
    path(
        A + "billing/budget/" + FY + "service/<int:pk>/", views.service_terms, name="service_terms"
    ),
    path(
        A + "billing/budget/" + FY + "member/<int:pk>/", views.member_budget, name="member_budget"
    ),
    path(A + "billing/receipts/", views.receipts_import, name="receipts"),
    path(A + "billing/payments/<int:pk>/reverse/", views.payment_reverse, name="payment_reverse"),
    path(A + "services/", views.service_list, name="services"),
    path(A + "services/<int:pk>/stop/", views.service_stop, name="service_stop"),
    path(A + "services/requests/", service_views.request_list, name="requests"),
    path(A + "services/requests/new/", service_views.request_new, name="request_new"),
    path(
        A + "services/requests/<int:pk>/approve/",
        service_views.request_approve,
        name="request_approve",
    ),
    path(
        A + "services/requests/<int:pk>/decline/",
        service_views.request_decline,
        name="request_decline",
    ),
    path(A + "services/usage/new/", service_views.usage_new, name="usage_new"),
    path(
        A + "services/subscriptions/<int:pk>/dates/",
        service_views.subscription_dates,
        name="subscription_dates",
    ),
    path(A + "institution/<int:pk>/billing/payment/", views.payment_new, name="payment"),
    path(
        A + "institution/<int:pk>/billing/refunds/" + FY, views.refund_choice, name="refund_choice"
    ),
    path(A + "institution/<int:pk>/billing/", views.member_billing, name="member"),
    path(
        A + "institution/<int:pk>/billing/statement.pdf",
        views.statement_pdf,
        name="statement_pdf",
    ),
]

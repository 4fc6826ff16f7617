from django.urls import path

from . import views

app_name = "contracts"

A = "a/<slug:slug>/"

urlpatterns = [
    path(A + "contracts/", views.catalogue, name="catalogue"),
    path(A + "contracts/new/", views.contract_new, name="contract_new"),
    path(A + "contracts/dashboard/", views.dashboard, name="dashboard"),
    path(A + "contracts/purchasing/", views.purchasing, name="purchasing"),
    path(A + "contracts/<int:pk>/", views.contract_detail, name="contract"),
    path(A + "contracts/<int:pk>/documents/<int:doc>/", views.document, name="document"),
    path(A + "contracts/<int:pk>/adopt/", views.adopt, name="adopt"),
    path(A + "contracts/<int:pk>/prices/", views.price_list_import, name="price_list"),
    path(A + "contracts/<int:pk>/price-lists/", views.price_versions, name="price_versions"),
    path(A + "contracts/<int:pk>/price-lists/<int:number>/", views.price_version,
         name="price_version"),
    path(A + "contracts/<int:pk>/order/", views.order_new, name="order_new"),
    path(A + "contracts/<int:pk>/sales-report/", views.report_new, name="report_new"),
    path(A + "orders/", views.order_list, name="orders"),
    path(A + "orders/<int:pk>/", views.order_detail, name="order"),
    path(A + "orders/<int:pk>/pdf/", views.order_pdf, name="order_pdf"),
    path(A + "orders/<int:pk>/<slug:step>/", views.order_step, name="order_step"),
    path(A + "sales-reports/", views.report_list, name="reports"),
    path(A + "sales-reports/<int:pk>/", views.report_detail, name="report"),
    path(A + "sales-reports/<int:pk>/amend/", views.report_amend, name="report_amend"),
    path(A + "fee-invoices/<int:pk>/pdf/", views.fee_invoice_pdf, name="fee_invoice_pdf"),
    path(A + "fee-invoices/<int:pk>/payments/", views.fee_payment, name="fee_payment"),
    path(A + "patronage/", views.patronage_page, name="patronage"),
    path(A + "savings/", views.savings_page, name="savings"),
]

from django.urls import path

from .views import console, portal, public

app_name = "members"

A = "a/<slug:slug>/"

urlpatterns = [
    # Public
    path(A + "join/", public.join, name="join"),
    path(A + "join/thanks/", public.join_thanks, name="join_thanks"),
    path(A + "suppliers/register/", public.supplier_register, name="supplier_register"),
    path(A + "suppliers/register/thanks/", public.supplier_thanks, name="supplier_thanks"),
    # Agency console
    path(A + "members/", console.member_list, name="list"),
    path(A + "members/applications/", console.applications, name="applications"),
    path(A + "members/import/", console.member_import, name="import"),
    path(A + "members/<int:pk>/", console.member_detail, name="detail"),
    path(A + "members/<int:pk>/edit/", console.member_edit, name="edit"),
    path(A + "members/<int:pk>/years/", console.member_year, name="year"),
    path(A + "members/<int:pk>/approve/", console.member_approve, name="approve"),
    path(A + "members/<int:pk>/decline/", console.member_decline, name="decline"),
    path(A + "members/<int:pk>/status/<str:status>/", console.member_status, name="status"),
    path(A + "members/<int:pk>/dates/", console.member_dates, name="dates"),
    path(A + "suppliers/", console.supplier_list, name="suppliers"),
    path(A + "suppliers/<int:pk>/", console.supplier_detail, name="supplier_detail"),
    path(
        A + "suppliers/<int:pk>/changes/<int:rid>/", console.supplier_change, name="supplier_change"
    ),
    path(A + "suppliers/<int:pk>/<str:move>/", console.supplier_status, name="supplier_status"),
    path(A + "audit/", console.audit_trail, name="audit"),
    path(A + "settings/", console.agency_settings, name="settings"),
    # Member and supplier portals
    path(A + "institution/<int:pk>/", portal.institution_portal, name="portal"),
    path(A + "institution/<int:pk>/edit/", portal.institution_edit, name="portal_edit"),
    path(A + "supplier/<int:pk>/", portal.supplier_portal, name="supplier_portal"),
    path(A + "supplier/<int:pk>/edit/", portal.supplier_edit, name="supplier_portal_edit"),
    path(
        A + "supplier/contact/<str:token>/",
        portal.supplier_contact_confirm,
        name="supplier_contact_confirm",
    ),
]

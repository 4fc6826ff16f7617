from django.contrib import admin
from django.urls import include, path

from edcoop.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("edcoop.core.urls")),
    path("", include("edcoop.members.urls")),
    path("", include("edcoop.billing.urls")),
    path("", include("edcoop.procurement.urls")),
    path("", include("edcoop.governance.urls")),
]

handler404 = "edcoop.core.views.not_found"

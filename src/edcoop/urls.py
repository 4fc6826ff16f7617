from django.contrib import admin
from django.urls import include, path

from edcoop.api.urls import api
from edcoop.core import signin

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Sign-in and password reset, rate-limited per address (before Django's own routes).
    path("accounts/login/", signin.login, name="login"),
    path("accounts/password_reset/", signin.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("edcoop.core.urls")),
    path("", include("edcoop.members.urls")),
    path("", include("edcoop.billing.urls")),
    path("", include("edcoop.procurement.urls")),
    path("", include("edcoop.governance.urls")),
    path("", include("edcoop.contracts.urls")),
]

handler404 = "edcoop.core.views.not_found"
handler500 = "edcoop.core.views.server_error"

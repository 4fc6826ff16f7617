from django.contrib import admin

from edcoop.core.admin import AuditedModelAdmin

from .models import PublicationSettings


@admin.register(PublicationSettings)
class PublicationSettingsAdmin(AuditedModelAdmin):
    list_display = ["agency", "ocid_prefix", "license_url"]

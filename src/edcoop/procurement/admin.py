"""Admin for installation operators. A response shows its envelope only (supplier, receipt
time, hash): the sealed content is not a field here, and its decrypted form never is."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from edcoop.core.admin import AuditedModelAdmin

from .models import ProcurementSettings, Response, Solicitation


@admin.register(ProcurementSettings)
class ProcurementSettingsAdmin(AuditedModelAdmin):
    list_display = ["agency", "protest_days"]


@admin.register(Solicitation)
class SolicitationAdmin(AuditedModelAdmin):
    list_display = ["number", "title", "agency", "kind", "status", "responses_due_at"]
    list_filter = ["agency", "kind", "status"]
    search_fields = ["number", "title"]
    readonly_fields = ["status", "published_at", "opened_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Once published, a solicitation changes only through the product: an addendum
        (which may only keep or extend the deadline), a cancellation, the opening. Here it
        is read-only, so that no operator moves its deadline or opening unseen by bidders."""
        if obj is not None and obj.published_at is not None:
            return [f.name for f in self.model._meta.concrete_fields]
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["solicitation", "supplier", "status", "version", "received_at"]
    list_filter = ["status"]
    fields = (
        "solicitation", "supplier", "status", "is_current", "version", "received_at",
        "content_sha256", "responsive",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

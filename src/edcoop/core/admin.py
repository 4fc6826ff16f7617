"""Django admin for installation operators. Every change made here lands in the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from . import audit
from .models import AuditEvent


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes are recorded like every other write."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        fields = [f for f in form.changed_data if f in {x.name for x in obj._meta.concrete_fields}]
        before = {name: audit.plain(form.initial.get(name)) for name in fields}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = audit.snapshot(obj, fields) if change else audit.snapshot(obj)
            action = f"{obj._meta.model_name}.admin_{'change' if change else 'add'}"
            audit.record(action, obj, changes=audit.diff(before if change else None, after))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit.record(f"{obj._meta.model_name}.admin_delete", obj,
                         changes=audit.diff(audit.snapshot(obj), None))  # fmt: skip
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Model]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_label", "source", "action", "object_type", "object_label"]
    list_filter = ["source", "action"]
    search_fields = ["action", "actor_label", "object_label", "object_id"]
    ordering = ["-seq"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

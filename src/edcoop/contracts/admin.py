from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from edcoop.core.admin import AuditedModelAdmin

from .models import Contract, ContractItem, ContractSettings, PurchaseOrder, SalesReport


@admin.register(ContractSettings)
class ContractSettingsAdmin(AuditedModelAdmin):
    list_display = ["agency", "expiring_days", "report_due_days", "approval_threshold"]


@admin.register(Contract)
class ContractAdmin(AuditedModelAdmin):
    list_display = ["number", "title", "agency", "supplier", "category", "kind", "starts_on",
                    "ends_on"]  # fmt: skip
    list_filter = ["agency", "scope", "source", "kind"]
    search_fields = ["number", "title", "category"]
    raw_id_fields = ["supplier", "solicitation", "participants", "service_areas"]


@admin.register(ContractItem)
class ContractItemAdmin(AuditedModelAdmin):
    list_display = ["sku", "description", "contract", "unit_price"]
    search_fields = ["sku", "description"]
    raw_id_fields = ["contract", "solicitation_item"]


# Orders and sales reports are changed only through their services (states, audit, invoices):
# the admin shows them read-only.
class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "agency", "institution", "contract", "status", "total"]
    list_filter = ["agency", "status"]


@admin.register(SalesReport)
class SalesReportAdmin(ReadOnlyAdmin):
    list_display = ["contract", "year", "quarter", "total_sales", "filed_at"]

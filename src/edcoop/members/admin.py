from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from edcoop.core.admin import AuditedModelAdmin

from .models import (
    Agency,
    Institution,
    Membership,
    MembershipYear,
    RoleAssignment,
    ServiceArea,
    Supplier,
)


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = ["name", "slug", "kind", "state", "time_zone"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ServiceArea)
class ServiceAreaAdmin(AuditedModelAdmin):
    list_display = ["name", "agency"]
    list_filter = ["agency"]


class MembershipYearInline(admin.TabularInline):
    model = MembershipYear
    extra = 0
    can_delete = False
    readonly_fields = ["fiscal_year", "enrollment", "rwada", "aid_ratio", "full_value"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Yearly figures change through the product (audited per field), not inline here.
        return False


@admin.register(Institution)
class InstitutionAdmin(AuditedModelAdmin):
    list_display = ["name", "agency", "kind", "state", "county", "nces_id", "beds_code"]
    list_filter = ["agency", "kind", "state"]
    search_fields = ["name", "nces_id", "ipeds_id", "beds_code"]


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["institution", "agency", "status", "component", "service_area", "joined_on"]
    list_filter = ["agency", "status", "component"]
    search_fields = ["institution__name"]
    inlines = [MembershipYearInline]


@admin.register(Supplier)
class SupplierAdmin(AuditedModelAdmin):
    list_display = ["legal_name", "dba", "agency", "status", "masked_tax_id"]
    list_filter = ["agency", "status"]
    search_fields = ["legal_name", "dba"]

    @admin.display(description="Tax ID")
    def masked_tax_id(self, obj: Supplier) -> str:
        return obj.tax_id_masked


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedModelAdmin):
    list_display = ["user", "agency", "role", "institution", "supplier"]
    list_filter = ["agency", "role"]
    search_fields = ["user__username"]

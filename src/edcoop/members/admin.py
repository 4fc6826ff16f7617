from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
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


class SupplierAdminForm(forms.ModelForm):
    """The tax ID can be entered (to add a supplier, or to correct one) but is never shown:
    not in the field, not as its initial value, not in the page's source."""

    tax_id = forms.CharField(
        label="Tax ID (EIN)", required=False, max_length=10,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Never shown. Leave empty to keep the current one.",
    )  # fmt: skip

    class Meta:
        model = Supplier
        fields = ["agency", "legal_name", "dba", "tax_id", "certifications", "status", "state",
                  "email", "phone", "website"]  # fmt: skip

    def clean_tax_id(self) -> str:
        value = str(self.cleaned_data.get("tax_id") or "").strip()
        if value:
            return value
        if self.instance.pk:
            return str(self.instance.tax_id)
        raise ValidationError("Enter the supplier's EIN, e.g. 12-3456789.")


@admin.register(Supplier)
class SupplierAdmin(AuditedModelAdmin):
    form = SupplierAdminForm
    list_display = ["legal_name", "dba", "agency", "status", "masked_tax_id"]
    list_filter = ["agency", "status"]
    # Never the tax ID: a search that finds a supplier by EIN would confirm a guessed EIN.
    search_fields = ["legal_name", "dba"]
    readonly_fields = ["masked_tax_id"]

    @admin.display(description="Tax ID on file")
    def masked_tax_id(self, obj: Supplier) -> str:
        return obj.tax_id_masked


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedModelAdmin):
    list_display = ["user", "agency", "role", "institution", "supplier"]
    list_filter = ["agency", "role"]
    search_fields = ["user__username"]

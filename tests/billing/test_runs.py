"""The monthly run: computed, reviewed, posted; posted runs and issued invoices never change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from edcoop.billing.models import BillingRun, Immutable, Invoice, InvoiceLine
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.core import audit


def lines(invoice):
    return {(ln.service.code, ln.kind): ln.amount for ln in invoice.lines.all()}


def test_september_run_charges_every_method_to_the_cent(year):
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    assert run.status == BillingRun.Status.DRAFT
    a = Invoice.objects.get(run=run, institution=year.a)
    b = Invoice.objects.get(run=run, institution=year.b)
    # September is month 3 of FY2027: each pool's monthly installment is 1/12 of it.
    # rate: 10 h x $45 = 450.00.
    # pool_by_usage: 12,000 / 12 = 1,000.00 split 1:2 -> 333.33 / 666.67 (b, larger remainder).
    # pool_by_share: 120,000 / 12 = 10,000.00 by RWADA 1,000:3,000 -> 2,500.00 / 7,500.00.
    # flat: 1,200 / 12 = 100.00 each, plus the 15% fee: 15.00.
    # committed seats: each commits 12/12 = 1 seat this month, total 2; use 1 < 2, so the
    # pool 2 x $100 = 200.00 is prorated by use: all to a.
    assert lines(a) == {
        ("300.010", "service"): D("450.00"), ("500.100", "service"): D("333.33"),
        ("001.000", "service"): D("2500.00"), ("601.200", "service"): D("100.00"),
        ("601.200", "admin_fee"): D("15.00"), ("500.200", "service"): D("200.00"),
    }  # fmt: skip
    assert lines(b) == {
        ("500.100", "service"): D("666.67"), ("001.000", "service"): D("7500.00"),
        ("601.200", "service"): D("100.00"), ("601.200", "admin_fee"): D("15.00"),
    }  # fmt: skip
    assert a.total == sum(lines(a).values()) and b.total == sum(lines(b).values())
    assert run.total == a.total + b.total
    assert audit.verify() == []


def test_posting_numbers_invoices_gaplessly_and_freezes_the_run(year):
    agency = year.tenant.agency
    run = billing_run_compute(user=year.admin, agency=agency, period=year.sept)
    billing_run_post(user=year.admin, run=run)
    numbers = sorted(Invoice.objects.filter(agency=agency).values_list("number", flat=True))
    assert numbers == [1, 2]
    oct_run = billing_run_compute(user=year.admin, agency=agency, period=date(2026, 10, 1))
    billing_run_post(user=year.admin, run=oct_run)
    numbers = sorted(Invoice.objects.filter(agency=agency).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4]
    with pytest.raises(ValidationError, match="already posted"):
        billing_run_compute(user=year.admin, agency=agency, period=year.sept)
    with pytest.raises(ValidationError, match="already posted"):
        billing_run_post(user=year.admin, run=run)


def test_issued_invoices_refuse_changes_in_the_model_and_the_database(year):
    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    billing_run_post(user=year.admin, run=run)
    invoice = Invoice.objects.filter(run=run).first()
    invoice.total = D("1.00")
    with pytest.raises(Immutable):
        invoice.save()
    with pytest.raises(Immutable):
        invoice.delete()
    line = invoice.lines.first()
    line.amount = D("0.01")
    with pytest.raises(Immutable):
        line.save()
    run.refresh_from_db()
    with pytest.raises(Immutable):
        run.save()
    # Bypassing save(): the database triggers refuse it.
    for query in (
        lambda: Invoice.objects.filter(pk=invoice.pk).update(total=D("1.00")),
        lambda: InvoiceLine.objects.filter(pk=line.pk).update(amount=D("0.01")),
        lambda: BillingRun.objects.filter(pk=run.pk).update(total=D("1.00")),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            query()
    invoice.refresh_from_db()
    assert invoice.total != D("1.00")


def test_a_draft_can_be_recomputed_after_more_usage(year):
    from edcoop.services import services as svc

    agency = year.tenant.agency
    billing_run_compute(user=year.admin, agency=agency, period=year.sept)
    svc.usage_record(user=year.admin, institution=year.b, service=year.s["rate"],
                     period=year.sept, quantity=D("2"))  # fmt: skip
    run = billing_run_compute(user=year.admin, agency=agency, period=year.sept)
    b = Invoice.objects.get(run=run, institution=year.b)
    assert lines(b)[("300.010", "service")] == D("90.00")
    assert Invoice.objects.filter(agency=agency).count() == 2


def test_usage_for_a_posted_month_is_refused(year):
    from edcoop.services import services as svc

    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    billing_run_post(user=year.admin, run=run)
    with pytest.raises(ValidationError, match="already billed"):
        svc.usage_record(user=year.admin, institution=year.b, service=year.s["rate"],
                         period=year.sept, quantity=D("2"))  # fmt: skip


def test_only_billing_staff_may_run(year):
    from django.core.exceptions import PermissionDenied

    for role in ("auditor", "member_finance", "procurement_officer"):
        with pytest.raises(PermissionDenied):
            billing_run_compute(user=year.tenant.users[role], agency=year.tenant.agency,
                                period=year.sept)  # fmt: skip


def test_cli_runs_and_posts_then_refuses_a_second_run(year, capsys):
    call_command("billing", "run", "--agency", "north", "--period", "2026-09", "--post")
    assert "2 invoices" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already posted") as exc:
        call_command("billing", "run", "--agency", "north", "--period", "2026-09")
    assert exc.value.returncode == 2


def test_months_that_have_not_begun_never_compute_or_post(year):
    # The clock says 30 November 2026: December and anything later has not begun.
    for period in (date(2026, 12, 1), date(2027, 6, 1), date(2031, 1, 1)):
        with pytest.raises(ValidationError, match="has not begun"):
            billing_run_compute(user=year.admin, agency=year.tenant.agency, period=period)
    assert not BillingRun.objects.exists()


def test_a_draft_whose_usage_changed_cannot_post_until_recomputed(year):
    from edcoop.billing.runs import input_changes
    from edcoop.services import services as svc

    agency = year.tenant.agency
    run = billing_run_compute(user=year.admin, agency=agency, period=year.sept)
    svc.usage_record(user=year.admin, institution=year.b, service=year.s["rate"],
                     period=year.sept, quantity=D("50"))  # fmt: skip
    changes = input_changes(run)
    assert len(changes) == 1 and "North District 2, 300.010, 50 hour" in changes[0]
    with pytest.raises(ValidationError, match="recompute"):
        billing_run_post(user=year.admin, run=run)
    run = billing_run_compute(user=year.admin, agency=agency, period=year.sept)
    assert input_changes(run) == []
    billing_run_post(user=year.admin, run=run)
    b = Invoice.objects.get(run=run, institution=year.b)
    assert lines(b)[("300.010", "service")] == D("2250.00")  # the 50 hours are billed


def test_a_changed_subscription_also_makes_the_draft_stale(year):
    from edcoop.billing.runs import input_changes
    from edcoop.services import services as svc

    run = billing_run_compute(user=year.admin, agency=year.tenant.agency, period=year.sept)
    svc.subscription_set(user=year.admin, institution=year.b, service=year.s["flat"],
                         fiscal_year=2027, quantity=D("12"), ends_on=date(2026, 8, 31))  # fmt: skip
    assert input_changes(run) == ["Changed since computing: the year's subscriptions "
                                  "(quantities or dates)."]  # fmt: skip

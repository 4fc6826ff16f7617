"""`make demo`'s billing story as the business office finds it: FY2026 closed, and
November 2026's draft run computed, waiting to be posted from its page."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from edcoop.billing import closing
from edcoop.billing.models import BillingRun, Invoice
from edcoop.members.models import Agency


def test_demo_has_a_closed_year_and_a_draft_run_to_post(demo_db: None) -> None:
    lakes = Agency.objects.get(slug="lakes")
    assert closing.year_closed(lakes, 2026) and not closing.year_closed(lakes, 2027)
    run = BillingRun.objects.get(agency=lakes, kind="monthly", period=date(2026, 11, 1))
    assert run.status == BillingRun.Status.DRAFT
    assert Invoice.objects.filter(run=run).exists()  # drafts, not issued
    assert not Invoice.objects.filter(run=run, status="issued").exists()
    office = Client()
    office.force_login(get_user_model().objects.get(username="business@lakes.example.org"))
    page = office.get(reverse("billing:run", args=["lakes", run.pk])).content.decode()
    assert reverse("billing:run_post", args=["lakes", run.pk]) in page

"""The database connection dies in the middle of a write: PostgreSQL ends the session from
another connection (pg_terminate_backend), as a database restart or a failover would. The
write's transaction rolls back whole, a retry succeeds, and numbering stays gapless."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import time_machine
from django.db import OperationalError, connection
from tests.billing.conftest import TODAY, _year
from tests.procurement.conftest import bid, clock, offer  # noqa: F401 (fixtures)

from edcoop.billing.models import DocumentCounter, Invoice
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.core import integrity
from edcoop.core.models import AuditEvent
from edcoop.procurement import responses
from edcoop.procurement.models import Response

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="kills a PostgreSQL session"),
]


def _terminate(pid: int) -> None:
    d = connection.settings_dict
    params = {"dbname": d["NAME"], "user": d["USER"], "password": d["PASSWORD"] or None,
              "host": d["HOST"], "port": d["PORT"] or 5432}  # fmt: skip
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@contextmanager
def killed_at(table: str, nth: int = 1) -> Iterator[list[int]]:
    """Terminate this test's database session just before its ``nth`` INSERT into
    ``table``; yields the list of kills done."""
    seen, kills = [0], []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        # Anywhere in the statement: the audit trail's insert rides inside a WITH on PostgreSQL.
        if f'INSERT INTO "{table}"' in sql:
            seen[0] += 1
            if seen[0] == nth and not kills:
                pid = connection.connection.info.backend_pid
                _terminate(pid)
                kills.append(pid)
        return execute(sql, params, many, ctx)

    with connection.execute_wrapper(wrapper):
        yield kills
    connection.close()  # the killed session is gone; the next query connects anew


def _chain_intact() -> None:
    connection.close()
    report = integrity.verify()
    assert report.all_problems() == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))  # no hole where the killed write was


def test_a_submission_whose_connection_dies_is_not_stored_and_the_retry_is(
    north: Any,
    bid: Any,  # noqa: F811
) -> None:
    events = AuditEvent.objects.count()
    data = offer(bid, {"1.01": "30", "1.02": "50", "2.01": "0.3"})
    rep = north.users["supplier_rep"]
    with killed_at("procurement_response") as kills, pytest.raises(OperationalError):
        responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                                  data=data, idempotency_key="rush-1")  # fmt: skip
    assert kills
    connection.close()
    assert Response.objects.count() == 0 and AuditEvent.objects.count() == events

    receipt = responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                                        data=data, idempotency_key="rush-1")  # fmt: skip
    assert receipt.version == 1
    again = responses.response_submit(user=rep, solicitation=bid, supplier=north.supplier,
                                      data=data, idempotency_key="rush-1")  # fmt: skip
    assert again.response_id == receipt.response_id  # exactly once
    assert Response.objects.get().version == 1
    _chain_intact()


def test_a_billing_run_whose_connection_dies_while_posting_issues_nothing_and_the_retry_numbers_from_one(  # noqa: E501
    north: Any,
) -> None:
    with time_machine.travel(TODAY, tick=True):
        year = _year(north)
        run = billing_run_compute(user=year.admin, agency=north.agency, period=year.sept)
        drafts = Invoice.objects.filter(run=run).count()
        assert drafts >= 2
        # Killed after the numbers were taken and the invoices updated, at the second
        # invoice's audit event: the middle of the posting.
        with killed_at("core_auditevent", nth=2) as kills, pytest.raises(OperationalError):
            billing_run_post(user=year.admin, run=run)
        assert kills
        connection.close()
        assert not Invoice.objects.filter(number__isnull=False).exists()
        assert not DocumentCounter.objects.filter(last__gt=0).exists()

        run.refresh_from_db()
        billing_run_post(user=year.admin, run=run)
    numbers = sorted(Invoice.objects.filter(run=run).values_list("number", flat=True))
    assert numbers == list(range(1, drafts + 1))
    assert DocumentCounter.objects.get(series="INV").last == drafts
    _chain_intact()

"""Concurrent revisions and retried submissions, on PostgreSQL with real threads.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edcoop \
        .venv/bin/python -m pytest tests/procurement
(SQLite serialises writers with BEGIN IMMEDIATE; its in-memory test database cannot be
shared between threads, so these tests run on PostgreSQL only.)
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from edcoop.core import audit
from edcoop.procurement import responses
from edcoop.procurement.models import Response

from .conftest import approve, build_bid, offer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


def _race(n: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def live_bid(transactional_db: None, north: Any, clock: Any) -> Any:
    approve(north, north.supplier)
    return build_bid(north)


def test_concurrent_revisions_leave_exactly_one_current_response(north, live_bid):
    rep = north.users["supplier_rep"]

    def revise(i: int) -> Any:
        return responses.response_submit(
            user=rep,
            solicitation=live_bid,
            supplier=north.supplier,
            data=offer(live_bid, {"2.01": f"0.{30 + i}"}),
        )

    results = _race(8, revise)
    assert all(not isinstance(r, Exception) for r in results), results
    assert Response.objects.filter(is_current=True).count() == 1
    assert sorted(r.version for r in Response.objects.all()) == list(range(1, 9))
    assert audit.verify() == []


def test_concurrent_retries_with_one_key_create_one_response(north, live_bid):
    rep = north.users["supplier_rep"]

    def retry(i: int) -> Any:
        return responses.response_submit(
            user=rep,
            solicitation=live_bid,
            supplier=north.supplier,
            data=offer(live_bid, {"2.01": "0.29"}),
            idempotency_key="same-key",
        )

    results = _race(6, retry)
    assert all(not isinstance(r, Exception) for r in results), results
    assert Response.objects.count() == 1
    assert len({r.sha256 for r in results}) == 1

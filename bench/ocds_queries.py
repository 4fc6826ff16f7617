"""Queries and time of the public OCDS release package (issue 14), on the demo database.

Run with the demo built (``edcoop migrate && edcoop demo``):

    .venv/bin/edcoop shell -c "exec(open('bench/ocds_queries.py').read())"

Prints, for ``/api/v1/ocds/releases?agency=lakes`` and for every agency, the releases, the
SQL queries of one request and its best time of five."""

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

client = Client(SERVER_NAME="localhost")
client.get("/api/v1/ocds/releases", {"agency": "lakes"})  # warm
for params in ({"agency": "lakes"}, {}):
    best = None
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            answer = client.get("/api/v1/ocds/releases", params)
            ms = (time.perf_counter() - start) * 1000
        best = ms if best is None else min(best, ms)
    releases = len(answer.json()["releases"])
    print(params or "every agency", answer.status_code, releases, "releases",
          len(queries.captured_queries), "queries", f"{best:.0f} ms (best of 5)")  # fmt: skip

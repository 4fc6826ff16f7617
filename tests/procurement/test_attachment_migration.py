"""Migration 0006 moves existing attachments' clear names, types, sizes and hashes into the
sealed metadata and drops the clear columns; reversed, it restores them."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from edcoop.procurement import files, responses, sealing
from edcoop.procurement.models import Response, ResponseAttachment

from .conftest import offer


@pytest.mark.django_db(transaction=True)
def test_existing_attachment_names_move_into_the_seal(north, bid):
    rep = north.users["supplier_rep"]
    responses.response_submit(
        user=rep, solicitation=bid, supplier=north.supplier, data=offer(bid, {"2.01": "0.29"}),
        uploads=[files.Upload("price-sheet.pdf", "application/pdf", b"%PDF-1.4 x")],
    )  # fmt: skip
    pk = ResponseAttachment.objects.get().pk
    executor = MigrationExecutor(connection)
    executor.migrate([("procurement", "0005_response_supplier_name")])
    old = executor.loader.project_state([("procurement", "0005_response_supplier_name")]).apps
    legacy = old.get_model("procurement", "ResponseAttachment").objects.get(pk=pk)
    assert (legacy.filename, legacy.size) == ("price-sheet.pdf", 10)  # clear, as before

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    a = ResponseAttachment.objects.get(pk=pk)
    values = ResponseAttachment.objects.values().get(pk=pk)
    row = json.dumps({k: str(bytes(v)) if isinstance(v, bytes | memoryview) else v
                      for k, v in values.items()})  # fmt: skip
    assert "price-sheet" not in row
    meta = sealing.attachment_meta_for(rep, a)
    assert (meta["filename"], meta["size"]) == ("price-sheet.pdf", 10)
    assert Response.objects.count() == 1

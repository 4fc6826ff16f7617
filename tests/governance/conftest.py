"""Governance reads every other app's records: it borrows their fixtures."""

from tests.procurement.conftest import bid, clock  # noqa: F401

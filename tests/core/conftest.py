"""Core's tests attack the door through the API too: reuse the API tests' clients."""

from tests.api.conftest import anon, api_for, state  # noqa: F401 (fixtures)
from tests.procurement.conftest import bid, clock  # noqa: F401 (fixtures)

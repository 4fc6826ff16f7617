"""The demo installation (`make demo`, `edcoop demo`): each app's builder, called in order.

Every builder goes through its app's own services, so the demo's audit trail is real and
verifies. The order is the story's: the Lakes BOCES and its members, a year and more of
billing, the national cooperative, the bids, governance, then the contracts bought from the
awards. A new capability adds its builder here, after the parts it builds on.
"""

from __future__ import annotations

from django.db import transaction

from edcoop.billing import demo as billing
from edcoop.contracts import demo as contracts
from edcoop.core import audit
from edcoop.core.demo import DEMO_ACTOR, PASSWORD, Login, logins
from edcoop.governance import demo as governance
from edcoop.members import demo as members
from edcoop.procurement import demo as procurement

__all__ = ["PASSWORD", "Login", "build", "logins"]


def build() -> list[Login]:
    """Create the demo installation in an empty database; return the logins."""
    out: list[Login] = []
    with audit.acting_as(DEMO_ACTOR), transaction.atomic():
        lakes = members.build_lakes(out)
        billing.build_billing(lakes)
        nation = members.build_nation(out)
        procurement.build(out)
        governance.build(lakes)
        contracts.build(lakes, nation)
    return out

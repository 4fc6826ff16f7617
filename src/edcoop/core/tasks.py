"""What waits for someone: the tasks a role's home page lists, the first one as the next step.

Each app says what waits in its own area (``billing.tasks``, ``procurement.tasks``,
``contracts.tasks``, ``members.tasks``), always asking ``permissions.can`` first, so nobody
is sent to do what they may not. The agency page (``core.views.agency_page``) gathers them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Task:
    """One thing to do: what (a verb first), why now, and the page where it is done."""

    title: str
    url: str
    detail: str = ""
    count: int | None = None
    area: str = ""
    watch: bool = False  # something to keep an eye on, listed after what needs doing


TaskSource = Callable[[Any, Any], list[Task]]


def sources() -> list[TaskSource]:
    from edcoop.billing.tasks import billing_tasks
    from edcoop.contracts.tasks import contract_tasks
    from edcoop.members.tasks import membership_tasks
    from edcoop.procurement.tasks import procurement_tasks

    return [billing_tasks, procurement_tasks, contract_tasks, membership_tasks]


def tasks_for(user: Any, agency: Any) -> list[Task]:
    """Everything waiting for ``user`` in ``agency``: work to do first (billing, bids,
    members), then what to keep an eye on."""
    found = [task for source in sources() for task in source(user, agency)]
    return sorted(found, key=lambda t: t.watch)  # stable: each area keeps its order


def member_tasks_for(user: Any, agency: Any, institution: Any) -> list[Task]:
    from edcoop.billing.tasks import member_tasks as billing
    from edcoop.contracts.tasks import member_tasks as contracts
    from edcoop.procurement.tasks import member_tasks as procurement

    return [*billing(user, agency, institution), *contracts(user, agency, institution),
            *procurement(user, agency, institution)]  # fmt: skip


def supplier_tasks_for(user: Any, agency: Any, supplier: Any) -> list[Task]:
    from edcoop.contracts.tasks import supplier_tasks as contracts
    from edcoop.procurement.tasks import supplier_tasks

    return [*supplier_tasks(user, agency, supplier), *contracts(user, agency, supplier)]

"""Database triggers behind the promise that an issued document's letterhead never changes:
a :class:`~edcoop.members.models.LetterheadVersion` row is only ever added (the model's own
``save``/``delete`` refuse the rest; these catch ``QuerySet.update``, raw SQL, a shell)."""

from __future__ import annotations

from edcoop.core.guards import Rule

LETTERHEAD_RULES = [
    Rule(f"members_letterhead_no_{event.lower()}", "members_letterheadversion", event,
         "a letterhead version printed on issued documents cannot be changed or deleted")
    for event in ("UPDATE", "DELETE", "TRUNCATE")
]  # fmt: skip

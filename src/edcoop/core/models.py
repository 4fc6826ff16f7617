"""The audit trail: an append-only, hash-chained log of every write the product makes."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One write: who, what, when, from where, and which fields changed.

    ``hash`` is the SHA-256 of this event's canonical content together with ``prev_hash``,
    the hash of the event before it, so editing or removing any row breaks the chain from
    that row on. The database refuses UPDATE and DELETE on this table (see ``guards``).
    """

    seq = models.PositiveBigIntegerField(unique=True, help_text="Gapless position in the chain.")
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, help_text="Username, or 'system' for jobs.")
    source = models.CharField(max_length=20, help_text="web, api, cli, admin or system.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    agency_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["agency_id", "-seq"], name="audit_agency_seq")]

    def __str__(self) -> str:
        return (
            f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor_label}"
        )


class AuditHead(models.Model):
    """The chain's newest event, kept apart so that deleting the last rows is caught too.

    One row (pk=1). Appends lock it, which also serialises writers on PostgreSQL.
    """

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit head at #{self.last_seq}"

"""The audit trail: an append-only, hash-chained log of every write the product makes."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One write: who, what, when, from where, and which fields changed.

    ``hash`` is the HMAC-SHA256, under the audit key ``key_id``, of this event's canonical
    content together with ``prev_hash``, the hash of the event before it, so editing or
    removing any row breaks the chain from that row on, and nobody without the key can
    rebuild it. Events written before keying (``hash_version`` 1) keep their plain SHA-256.
    The database refuses UPDATE and DELETE on this table (see ``guards``).
    """

    LEGACY = 1  # SHA-256(prev_hash + content), before the trail was keyed
    KEYED = 2  # HMAC-SHA256(key, prev_hash + content), content naming version and key

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
    hash_version = models.PositiveSmallIntegerField(help_text="1: plain SHA-256; 2: keyed.")
    key_id = models.CharField(max_length=16, blank=True, help_text="The audit key's id.")

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["agency_id", "-seq"], name="audit_agency_seq")]

    def __str__(self) -> str:
        return (
            f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor_label}"
        )


class AuditHead(models.Model):
    """The chain's newest event, kept apart so that deleting the last rows is caught too.

    One row (pk=1). Appends lock it, which also serialises writers on PostgreSQL. ``mac``
    signs the row with the audit key; it covers ``legacy_seq``, the last event written
    before the trail was keyed, so nobody without the key can pass later events off as
    unkeyed ones.
    """

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    legacy_seq = models.PositiveBigIntegerField(default=0)
    key_id = models.CharField(max_length=16, blank=True)
    mac = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit head at #{self.last_seq}"


class Job(models.Model):
    """Long work (imports, exports, billing runs, award solves) done in the background.

    The task queue (django-tasks, on this same database) runs it; this row is what people
    see: progress while it runs, then the result or the reason it failed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    agency_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

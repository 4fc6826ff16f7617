"""Signed checkpoints of the chain head, kept outside the database, and what they prove."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from edcoop.core import audit, checkpoints
from edcoop.core.models import AuditEvent, AuditHead
from edcoop.members import services


def _take(tmp_path: Any, capture: Any) -> tuple[checkpoints.Checkpoint, Any]:
    with capture(execute=True):
        call_command("audit", "checkpoint", "--dir", str(tmp_path))
    (path,) = sorted(tmp_path.glob("edcoop-audit-checkpoint-*.json"))
    return checkpoints.load(path), path


def _write_more(tenant: Any, n: int = 3) -> None:
    for i in range(n):
        services.membership_update(user=tenant.users["agency_admin"],
                                   membership=tenant.institution.membership,
                                   component=i % 2 == 0)  # fmt: skip


def test_a_checkpoint_is_a_signed_file_mailed_to_each_agencys_auditors(
    north, nation, tmp_path, mailoutbox, django_capture_on_commit_callbacks, capsys
):
    last = AuditEvent.objects.order_by("-seq").first()
    checkpoint, path = _take(tmp_path, django_capture_on_commit_callbacks)
    assert f"checkpoint of event #{last.seq} written to {path}" in capsys.readouterr().out
    data = json.loads(path.read_text())
    assert (data["seq"], data["hash"]) == (last.seq, last.hash)
    assert data["format"] == checkpoints.FORMAT and len(data["signature"]) == 64
    assert checkpoints.problems(checkpoint) == []
    # Taking it is itself recorded.
    newest = AuditEvent.objects.order_by("-seq").first()
    assert newest.action == "audit.checkpoint" and newest.changes["seq"] == last.seq
    # One message per auditor, each naming only its own agency, the file attached.
    assert sorted(m.to[0] for m in mailoutbox) == ["nation-auditor@example.org",
                                                   "north-auditor@example.org"]  # fmt: skip
    for message in mailoutbox:
        agency = "North Agency" if message.to[0].startswith("north") else "Nation Agency"
        assert message.subject == f"[{agency}] Audit trail checkpoint #{last.seq}"
        assert len(message.to) == 1 and not message.cc and not message.bcc
        (name, content, mimetype) = message.attachments[0]
        assert (name, mimetype) == (path.name, "application/json")
        assert json.loads(content) == data


def test_nothing_is_mailed_if_the_checkpoint_is_rolled_back(north, tmp_path, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        checkpoints.take(directory=tmp_path)
        raise RuntimeError("the command dies before commit")
    assert mailoutbox == []


def test_verify_against_a_checkpoint(north, tmp_path, django_capture_on_commit_callbacks, capsys):
    checkpoint, path = _take(tmp_path, django_capture_on_commit_callbacks)
    _write_more(north)
    call_command("audit", "verify", "--checkpoint", str(path))
    out = capsys.readouterr().out
    assert f"events #1 to #{checkpoint.seq} unchanged" in out


def test_a_chain_rebuilt_with_the_key_passes_verify_but_not_the_checkpoint(
    north, tmp_path, rebuild_chain, django_capture_on_commit_callbacks
):
    # The attacker here holds the audit key too (read off the server): only the checkpoint,
    # kept elsewhere, still shows that an event before it was removed.
    checkpoint, path = _take(tmp_path, django_capture_on_commit_callbacks)
    _write_more(north)
    rebuild_chain(delete_seq=4, rehash=audit.compute_hash, head=audit.sign_head)
    call_command("audit", "verify")  # the chain alone is consistent again
    with pytest.raises(CommandError, match=f"event #{checkpoint.seq} no longer has the hash"):
        call_command("audit", "verify", "--checkpoint", str(path))


def test_cutting_the_newest_events_and_restoring_an_old_head_is_caught_by_a_checkpoint(
    north, tmp_path, owner_bypass, django_capture_on_commit_callbacks
):
    # Without the key: the old head row (signature and all) comes from an earlier backup.
    old_head = AuditHead.objects.values().get(pk=1)
    _write_more(north)
    checkpoint, path = _take(tmp_path, django_capture_on_commit_callbacks)
    with owner_bypass(), transaction.atomic():
        AuditEvent.objects.filter(seq__gt=old_head["last_seq"]).delete()
        AuditHead.objects.filter(pk=1).update(**old_head)
    assert audit.verify() == []
    with pytest.raises(CommandError, match=f"event #{checkpoint.seq} of the checkpoint") as exc:
        call_command("audit", "verify", "--checkpoint", str(path))
    assert exc.value.returncode == 1


@pytest.mark.parametrize(
    "edit", [{"seq": 1}, {"hash": "0" * 64}, {"taken_at": "2020-01-01T00:00:00+00:00"}]
)
def test_an_altered_checkpoint_file_is_refused(
    north, tmp_path, django_capture_on_commit_callbacks, edit
):
    _, path = _take(tmp_path, django_capture_on_commit_callbacks)
    path.write_text(json.dumps({**json.loads(path.read_text()), **edit}))
    with pytest.raises(CommandError, match="signature does not verify") as excinfo:
        call_command("audit", "verify", "--checkpoint", str(path))
    assert excinfo.value.returncode == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not a checkpoint file"),
        ('{"format": "something else"}', "not an EdCoop audit checkpoint"),
        ('{"format": "edcoop-audit-checkpoint/1", "seq": -1}', "seq must be a whole number"),
        ('{"format": "edcoop-audit-checkpoint/1", "seq": 3}', "hash is missing"),
    ],
)
def test_an_unreadable_checkpoint_file_is_one_line_and_exit_2(north, tmp_path, content, reason):
    path = tmp_path / "cp.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=reason) as excinfo:
        call_command("audit", "verify", "--checkpoint", str(path))
    assert excinfo.value.returncode == 2
    with pytest.raises(CommandError, match="No such file") as excinfo:
        call_command("audit", "verify", "--checkpoint", str(tmp_path / "missing.json"))
    assert excinfo.value.returncode == 2


def test_no_checkpoint_of_a_broken_chain(north, tmp_path, owner_bypass, mailoutbox):
    with owner_bypass():
        AuditEvent.objects.filter(seq=2).update(object_label="forged")
    with pytest.raises(CommandError, match=r"no checkpoint taken: .* broken at event #2") as exc:
        call_command("audit", "checkpoint", "--dir", str(tmp_path))
    assert exc.value.returncode == 1
    assert list(tmp_path.iterdir()) == [] and mailoutbox == []



@pytest.mark.django_db(transaction=True)
def test_a_mail_failure_is_one_line_and_the_checkpoint_still_stands(north, tmp_path, settings):
    # Really committed (no test transaction), so the mail goes out inside the command.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 5
    with pytest.raises(CommandError, match="not e-mailed to the auditors") as excinfo:
        call_command("audit", "checkpoint", "--dir", str(tmp_path))
    assert excinfo.value.returncode == 2
    (path,) = tmp_path.glob("*.json")
    assert checkpoints.problems(checkpoints.load(path)) == []
    assert AuditEvent.objects.order_by("-seq").first().action == "audit.checkpoint"

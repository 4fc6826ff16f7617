"""``edcoop audit verify``, ``edcoop audit checkpoint`` and ``edcoop audit export --agency
SLUG --from DATE --to DATE --out FILE`` (the auditor's export of a period, verified as it is
written: the same function as the Audit page's export, a ZIP or, for ``.xlsx``, a workbook).

Exit status: 0 intact, 1 something does not verify, 2 the check could not be made (a bad
argument, an unreadable checkpoint file, a missing key, the database out of reach).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from edcoop.core import checkpoints, integrity
from edcoop.core.commands import CLI_ACTOR, agency_arg, progress_bar
from edcoop.core.integrity import Report


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what[:-1] if n == 1 else what}" for what, n in counts.items())


class Command(BaseCommand):
    help = "Verify the audit trail and the records it vouches for; checkpoint its head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="Recompute every hash and link; check each agency's records."
        )
        verify.add_argument("--agency", metavar="SLUG", help="Report on this agency only.")
        verify.add_argument(
            "--checkpoint", metavar="FILE", type=Path, action="append", default=[],
            help="A checkpoint file: prove nothing up to it changed (repeatable).",
        )  # fmt: skip
        take = sub.add_parser(
            "checkpoint", help="Write a signed checkpoint of the verified chain and mail it."
        )
        take.add_argument("--dir", type=Path, help="Folder (default EDCOOP_CHECKPOINT_DIR).")
        take.add_argument("--no-mail", action="store_true", help="Do not e-mail the auditors.")
        export = sub.add_parser(
            "export", help="An agency's trail for a period with its verification and checkpoint."
        )
        export.add_argument("--agency", metavar="SLUG", required=True)
        export.add_argument("--from", dest="since", metavar="DATE", required=True)
        export.add_argument("--to", dest="until", metavar="DATE", required=True)
        export.add_argument("--out", metavar="FILE", type=Path, required=True,
                            help="A .zip (events, verification, checkpoint) or .xlsx.")  # fmt: skip

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "checkpoint":
                self.checkpoint(options["dir"], mail=not options["no_mail"])
            elif action == "export":
                self.export(options["agency"], options["since"], options["until"],
                            options["out"])  # fmt: skip
            else:
                self.verify(options["agency"], options["checkpoint"])
        except DatabaseError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(f"cannot read the database: {reason}", returncode=2) from None
        except (ImproperlyConfigured, checkpoints.CheckpointError) as exc:
            raise CommandError(str(exc), returncode=2) from None

    def checkpoint(self, directory: Path | None, *, mail: bool) -> None:
        from edcoop.core.audit import acting_as

        try:
            with acting_as(CLI_ACTOR):
                taken = checkpoints.take(directory=directory, mail=mail)
        except checkpoints.ChainBroken as exc:
            raise CommandError(
                f"no checkpoint taken: the audit trail is broken at {exc}", returncode=1
            ) from None
        except OSError as exc:
            where = exc.filename or directory or settings.EDCOOP_CHECKPOINT_DIR
            raise CommandError(f"{where}: {exc.strerror}", returncode=2) from None
        self.stdout.write(f"checkpoint of event #{taken.checkpoint.seq} written to {taken.path}")
        if taken.mail_error:
            raise CommandError(
                f"the checkpoint was not e-mailed to the auditors: {taken.mail_error}",
                returncode=2,
            )
        if mail:
            self.stdout.write(f"e-mailed to {taken.mailed} auditor(s)")

    def export(self, slug: str, since_text: str, until_text: str, out: Path) -> None:
        from datetime import date

        from edcoop.core.inputs import moment_problem
        from edcoop.governance import audit_files

        agency = agency_arg(slug)
        days = {}
        for name, text in (("--from", since_text), ("--to", until_text)):
            try:
                days[name] = date.fromisoformat(text.strip())
            except ValueError:
                raise CommandError(f"{name}: give a date as YYYY-MM-DD, not {text[:40]!r}",
                                   returncode=2) from None  # fmt: skip
            # As the Audit page's form: 9999-12-31's next day overflowed into a traceback.
            if problem := moment_problem(days[name]):
                raise CommandError(f"{name}: the date {problem}", returncode=2)
        since, until = days["--from"], days["--to"]
        if until < since:
            raise CommandError("--to: the period ends before it starts", returncode=2)
        if out.suffix.lower() not in (".zip", ".xlsx"):
            raise CommandError("--out: name a .zip or .xlsx file", returncode=2)
        data, verification = audit_files.audit_trail_export(agency, since, until,
                                                            out.suffix.lower()[1:])  # fmt: skip
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"{out}: {exc.strerror}", returncode=2) from None
        self.stdout.write(f"{verification.events} event(s) of {agency.slug} from {since} to "
                          f"{until} written to {out}")  # fmt: skip
        self.stdout.write(f"verification: {verification.verification}; rests on "
                          f"{verification.rests_on or 'nothing'}")  # fmt: skip
        if verification.verification_problems:
            for line in verification.verification_problems[1:]:
                self.stderr.write(f"  also: {line}")
            raise CommandError(f"audit export: the period does not verify: "
                               f"{verification.verification_problems[0]}", returncode=1)

    def verify(self, slug: str | None, files: list[Path]) -> None:
        from edcoop.members.models import Agency

        agency = agency_arg(slug) if slug else None
        loaded = [checkpoints.load(path) for path in files]
        with progress_bar(self.stderr, "events", "event") as progress:
            report = integrity.verify(
                agency_id=agency.pk if agency else None, checkpoints=loaded, progress=progress
            )
        agencies = [agency] if agency else list(Agency.objects.order_by("slug"))
        problems = report.problems_for(agency.pk) if agency else report.all_problems()
        self._print_summary(report, agencies, loaded, whole=agency is None)
        if not problems:
            return
        for line in problems[1:]:
            self.stderr.write(f"  also: {line}")
        if report.chain.problems:
            first = report.chain.problems[0]
            raise CommandError(
                f"audit trail broken at event #{first.seq}: {first.reason}", returncode=1
            )
        raise CommandError(f"audit verify failed: {problems[0]}", returncode=1)

    def _print_summary(
        self, report: Report, agencies: list[Any], loaded: list[Any], *, whole: bool
    ) -> None:
        chain = report.chain
        if not chain.problems and whole:
            legacy = f", {chain.legacy} from before keying" if chain.legacy else ""
            self.stdout.write(
                f"audit trail intact: {chain.events} events ({chain.keyed} keyed{legacy}), "
                "every hash and link checks out"
            )
        elif not chain.problems:  # one agency's report: no installation-wide counts
            self.stdout.write("audit trail intact: every hash and link checks out")
        if not report.extra:
            for cp in loaded:
                self.stdout.write(
                    f"checkpoint of {cp.taken_at}: events #1 to #{cp.seq} unchanged since"
                )
        for agency in agencies:
            own = [f for f in report.findings if f.agency_id == agency.pk]
            verdict = "records match the audit trail" if not own else f"{len(own)} problem(s)"
            self.stdout.write(f"{agency.slug}: {_counts(report.counts_for(agency.pk))}; {verdict}")
        if whole and report.chain.by_agency.get(None):
            self.stdout.write(f"installation-wide: {report.counts_for(None)['events']} events")

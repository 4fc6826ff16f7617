"""E-mail about solicitations, sent only after the transaction that caused it commits.

Publication, addenda and answers go to the agency's active suppliers (their registered
address and their representatives); a receipt to the representative who submitted; the
opening to every supplier that responded; reminders to suppliers holding an unsent draft.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from edcoop.core import mail
from edcoop.members.models import Role, RoleAssignment, Supplier


def _url(name: str, *args: Any) -> str:
    return settings.EDCOOP_BASE_URL + reverse(name, args=args)


def _addresses(suppliers: Any) -> list[str]:
    ids = [s.pk for s in suppliers]
    emails = {s.email for s in suppliers if s.email}
    reps = RoleAssignment.objects.filter(supplier_id__in=ids, role=Role.SUPPLIER_REP)
    emails |= {ra.user.email for ra in reps.select_related("user") if ra.user.email}
    return sorted(emails)


def _active_suppliers(solicitation: Any) -> list[Supplier]:
    return list(Supplier.objects.filter(agency_id=solicitation.agency_id,
                                        status=Supplier.Status.ACTIVE))  # fmt: skip


def _send(subject: str, body: str, recipients: list[str], *, agency_id: int) -> int:
    if not recipients:
        return 0
    # One message per recipient: suppliers never see each other's addresses. Sent by the
    # background worker after the commit (core.mail): never part of the user's answer.
    mail.send_after_commit([(subject, body, [to]) for to in recipients], agency_id=agency_id,
                           title=f"E-mail: {subject}")  # fmt: skip
    return len(recipients)


def _public(solicitation: Any) -> str:
    return _url("procurement:public_detail", solicitation.agency.slug, solicitation.pk)


def published(solicitation: Any) -> None:
    agency = solicitation.agency
    _send(
        f"[{agency.name}] New solicitation {solicitation.number}: {solicitation.title}",
        f"{agency.name} has published {solicitation.get_kind_display().lower()} "
        f"{solicitation.number}, {solicitation.title}.\n\nDetails, documents and the "
        f"deadline: {_public(solicitation)}\n",
        _addresses(_active_suppliers(solicitation)),
        agency_id=agency.pk,
    )


def addendum(addendum: Any) -> None:
    s = addendum.solicitation
    _send(
        f"[{s.agency.name}] {s.number}: addendum {addendum.number}",
        f"Addendum {addendum.number} to {s.number} ({s.title}): {addendum.title}\n\n"
        f"{addendum.body}\n\nEvery response must acknowledge it: {_public(s)}\n",
        _addresses(_active_suppliers(s)),
        agency_id=s.agency_id,
    )


def question_received(question: Any) -> None:
    s = question.solicitation
    if s.agency.email:
        _send(f"[EdCoop] New question on {s.number}",
              f"A supplier asked a question on {s.number}. Answer it in the console: "
              f"{_url('procurement:detail', s.agency.slug, s.pk)}\n", [s.agency.email],
              agency_id=s.agency_id)  # fmt: skip


def answered(question: Any) -> None:
    s = question.solicitation
    _send(
        f"[{s.agency.name}] {s.number}: a question was answered",
        f"Q: {question.public_text}\n\nA: {question.answer}\n\nAll questions and answers: "
        f"{_public(s)}\n",
        _addresses(_active_suppliers(s)),
        agency_id=s.agency_id,
    )


def receipt(response: Any, receipt: Any) -> None:
    user = response.submitted_by
    if user is None or not user.email:
        return
    s = response.solicitation
    _send(
        f"[{s.agency.name}] Receipt for your response to {s.number}",
        f"{s.agency.name} received the response of {response.supplier_name} to {s.number}.\n\n"
        f"Received (server time, UTC): {receipt.received_at.isoformat()}\n"
        f"Version: {receipt.version}\nReceipt hash: {receipt.sha256}\n\n"
        "It stays sealed until the public opening. Your receipt secret, which proves what "
        "the hash covers, is on the receipt page of the supplier portal only.\n",
        [user.email],
        agency_id=s.agency_id,
    )


def opened(solicitation: Any) -> None:
    responders = Supplier.objects.filter(responses__solicitation=solicitation).distinct()
    _send(
        f"[{solicitation.agency.name}] {solicitation.number} was opened",
        f"The responses to {solicitation.number} ({solicitation.title}) were opened. The bid "
        "tabulation: "
        f"{_url('procurement:tabulation', solicitation.agency.slug, solicitation.pk)}\n",
        _addresses(list(responders)),
        agency_id=solicitation.agency_id,
    )


def reminder(solicitation: Any) -> int:
    from .models import Response

    drafts = Supplier.objects.filter(
        responses__solicitation=solicitation, responses__status=Response.Status.DRAFT
    ).exclude(responses__solicitation=solicitation, responses__is_current=True)
    return _send(
        f"[{solicitation.agency.name}] {solicitation.number}: your draft is not submitted",
        f"Your response to {solicitation.number} is saved as a draft and has not been "
        f"submitted. The deadline is {solicitation.responses_due_at.isoformat()} (UTC).\n",
        _addresses(list(drafts.distinct())),
        agency_id=solicitation.agency_id,
    )


def award_noticed(award: Any, outcomes: dict[Any, str]) -> int:
    """The notice of award: one message per respondent with its own outcome (what it was
    awarded, or the reason it was not), the tabulation, and the protest deadline."""
    s = award.solicitation
    agency = s.agency
    sent = 0
    for response, outcome in outcomes.items():
        supplier = response.supplier
        sent += _send(
            f"[{agency.name}] Notice of award: {s.number}",
            f"{agency.name} gives notice of the award of {s.number} ({s.title}), approved by "
            f"board resolution {award.board_resolution} of {award.board_date.isoformat()}.\n\n"
            f"{supplier}: {outcome}\n\n"
            f"Basis of award: {award.basis}\n\n"
            f"The bid tabulation: {_url('procurement:tabulation', agency.slug, s.pk)}\n"
            f"The award and protests, in your supplier portal: "
            f"{_url('procurement:award_notice', agency.slug, supplier.pk, s.pk)}\n"
            f"A respondent may protest in the portal until "
            f"{award.standstill_ends_at.isoformat()} (UTC); the award becomes final after "
            "that unless a protest is pending.\n",
            _addresses([supplier]),
            agency_id=agency.pk,
        )
    return sent


def protest_filed(protest: Any) -> None:
    s = protest.award.solicitation
    if s.agency.email:
        _send(f"[EdCoop] Protest of the award of {s.number}",
              f"{protest.supplier} protested the award of {s.number}. Decide it in the "
              f"console: {_url('procurement:award', s.agency.slug, s.pk)}\n",
              [s.agency.email], agency_id=s.agency_id)  # fmt: skip


def protest_decided(protest: Any) -> None:
    """The protesting supplier learns the agency's decision on its protest."""
    s = protest.award.solicitation
    _send(
        f"[{s.agency.name}] Decision on your protest of {s.number}",
        f"{s.agency.name} decided the protest of {protest.supplier} against the award of "
        f"{s.number} ({s.title}): {protest.get_outcome_display()}.\n\n{protest.decision}\n\n"
        "Your portal: "
        f"{_url('procurement:award_notice', s.agency.slug, protest.supplier_id, s.pk)}\n",
        _addresses([protest.supplier]),
        agency_id=s.agency_id,
    )

"""Evaluation and award pages: findings, the award preview and recommendation, the board's
approval, the notice, protests and the final award; an RFP's committee and each evaluator's
scoring page; the supplier's notice of award and protest in its portal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from edcoop.billing.pdf import PdfUnavailable, document_pdf
from edcoop.core import permissions
from edcoop.core.pages import agency_or_404, allowed, posted
from edcoop.core.permissions import Action
from edcoop.members.forms import ConfirmForm, add_service_errors

from .. import awarding, evaluation, selectors
from ..forms import (
    ApproveForm,
    AttestForm,
    CommitteeForm,
    ConflictForm,
    FindingForm,
    ProtestDecisionForm,
    ProtestForm,
    ReasonForm,
    RecommendForm,
    RemoveEvaluatorForm,
    ScoreForm,
)
from ..models import Award, Evaluator, Finding, Protest, Response, Solicitation


def _opened(
    request: HttpRequest, slug: str, pk: int, action: Action = Action.SOLICITATION_VIEW
) -> tuple[Any, Solicitation]:
    agency = agency_or_404(request, slug, action)
    s = selectors.solicitation_for(request.user, agency, pk)
    if s.is_sealed:
        raise Http404("Nothing to evaluate before the opening.")
    return agency, s


def _back(agency: Any, s: Solicitation) -> str:
    return reverse("procurement:evaluation", args=[agency.slug, s.pk])


def _done(request: HttpRequest, form: Any, act: Callable[[], Any], message: str) -> bool:
    """The confirm-and-call step every write page shares: on a valid POST of ``form``, call
    the service (``act``); True once it succeeded (``message`` shown), False otherwise, with
    the service's refusal put on the form under the field it names."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        act()
    except ValidationError as e:
        add_service_errors(form, e)
        return False
    messages.success(request, message)
    return True


def _page(
    request: HttpRequest,
    agency: Any,
    s: Solicitation,
    form: Any,
    heading: str,
    submit: str,
    *,
    cancel_url: str = "",
    **extra: Any,
) -> HttpResponse:
    """A write step's form page; cancelling goes back to the evaluation unless told."""
    return render(request, "procurement/form.html", {
        "agency": agency, "s": s, "form": form, "heading": heading, "submit": submit,
        "cancel_url": cancel_url or _back(agency, s), **extra,
    })  # fmt: skip


def _confirm(
    request: HttpRequest, agency: Any, s: Solicitation, form: Any, label: str, what: str,
    *, cancel_url: str = "", danger: bool = False,
) -> HttpResponse:  # fmt: skip
    """A bare confirmation page (a button that says what happens)."""
    return render(request, "procurement/confirm.html", {
        "agency": agency, "s": s, "form": form, "label": label, "what": what,
        "danger": danger, "cancel_url": cancel_url or _back(agency, s),
    })  # fmt: skip


def _tie_rows(inputs: awarding.Inputs, result: Any) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (
            awarding.tie_key(t),
            awarding._tie_label(inputs, t) + f" ({t.rank})",
            [(sid, str(inputs.responses[sid].supplier)) for sid in t.suppliers],
        )
        for t in result.ties
    ]


@login_required
def evaluation_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency, s = _opened(request, slug, pk)
    manage = permissions.can(request.user, Action.EVALUATION_MANAGE, agency)
    standing = evaluation.standings(s)
    findings: dict[int, dict[str, Finding]] = {}
    for f in Finding.objects.filter(response__solicitation=s):
        findings.setdefault(f.response_id, {})[f.kind] = f
    rows = [
        (
            r,
            standing[r.pk],
            findings.get(r.pk, {}).get("responsive"),
            findings.get(r.pk, {}).get("responsible"),
        )
        for r in evaluation.evaluated_responses(s)
    ]
    previews = []
    if s.kind != Solicitation.Kind.RFP and manage and s.status in ("opened", "under_evaluation"):
        for method in ("lowest_price", "optimal"):
            inputs, result = awarding.compute(s, method=method)
            names = {sid: r.supplier_name for sid, r in inputs.responses.items()}
            items = {k: i for k, i in inputs.items.items()}
            previews.append(
                {
                    "result": result,
                    "names": names,
                    "items": items,
                    "ties": _tie_rows(inputs, result) if result.ties else [],
                    "unpriced": inputs.unpriced,
                }
            )
    committee = None
    if s.kind == Solicitation.Kind.RFP:
        committee = {
            "seats": s.evaluators.select_related("user"),
            "see": evaluation.may_see_committee_scores(request.user, s),
            "seat": evaluation.committee_seat(request.user, s),
        }
        if committee["see"]:
            committee["result"] = evaluation.committee_result(s)
    return render(
        request,
        "procurement/evaluation.html",
        {
            "agency": agency,
            "s": s,
            "rows": rows,
            "previews": previews,
            "committee": committee,
            "award": awarding.live_award(s),
            "past": s.awards.filter(status="cancelled"),
            "criteria": s.criteria.all(),
            "manage": manage,
            "evaluating": s.status in ("opened", "under_evaluation"),
            **allowed(request.user, agency, Action.AWARD_APPROVE, Action.EVALUATION_SCORE),
        },
    )


@login_required
def findings_propose(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency, s = _opened(request, slug, pk, Action.EVALUATION_MANAGE)
    form = ConfirmForm(posted(request))
    if _done(request, form, lambda: evaluation.findings_propose(user=request.user, solicitation=s),
             "Findings proposed: confirm or override each."):  # fmt: skip
        return redirect(_back(agency, s))
    return _confirm(
        request, agency, s, form, "Check the responses",
        "The product checks each opened response (attestations, addenda acknowledged, "
        "readable at the opening, supplier not debarred or suspended today) and "
        "proposes findings. Your decisions are kept.",
    )  # fmt: skip


@login_required
def finding_decide(request: HttpRequest, slug: str, pk: int, fid: int) -> HttpResponse:
    agency, s = _opened(request, slug, pk, Action.EVALUATION_MANAGE)
    finding = permissions.get_or_404(
        Finding.objects.filter(response__solicitation=s).select_related("response__supplier"),
        pk=fid,
    )
    current = finding.value
    form = FindingForm(
        posted(request), initial={"value": "yes" if current else "no", "reason": finding.reason}
    )
    form.fields["value"].label = f"{finding.response.supplier}: {finding.get_kind_display()}"
    form.fields["value"].choices = (  # type: ignore[attr-defined]
        [("yes", "Responsive"), ("no", "Non-responsive")]
        if finding.kind == "responsive"
        else [("yes", "Responsible"), ("no", "Not responsible")]
    )
    if _done(request, form, lambda: evaluation.finding_decide(
        user=request.user, finding=finding, value=form.cleaned_data["value"],
        reason=form.cleaned_data["reason"],
    ), "Finding recorded."):  # fmt: skip
        return redirect(_back(agency, s))
    proposed = "; ".join(finding.proposed_reasons) or "no defect found"
    return _page(
        request,
        agency,
        s,
        form,
        f"Finding on {finding.response.supplier}",
        "Record finding",
        asked=f"The product's checks: {proposed}.",
    )


@login_required
def award_recommend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency, s = _opened(request, slug, pk, Action.EVALUATION_MANAGE)
    if s.kind == Solicitation.Kind.RFP:
        methods = [("best_value", Award.Method.BEST_VALUE.label)]
        ties: list[Any] = []
        result = evaluation.committee_result(s)
        top = [row for row in result.rows if row.rank == 1]
        if len(top) > 1:
            ties = [
                (
                    "primary:best_value",
                    "highest total",
                    [(row.response, str(result.responses[row.response].supplier)) for row in top],
                )
            ]
    else:
        methods = [(m, Award.Method(m).label) for m in ("lowest_price", "optimal")]
        multiple = request.POST.get("multiple_award") == "on" or request.GET.get("multiple")
        method = request.POST.get("method") or request.GET.get("method") or "lowest_price"
        if method not in ("lowest_price", "optimal"):
            method = "lowest_price"
        raw_limit = (request.POST.get("max_suppliers") or "").strip()
        digits = raw_limit.isascii() and raw_limit.isdigit()  # '²'.isdigit(), int('²') fails
        limit = int(raw_limit) if digits and 0 < int(raw_limit) <= 2000 else None
        # The ties offered are those of the award the officer is about to recommend.
        inputs, engine_result = awarding.compute(
            s, method=method, multiple_award=bool(multiple),
            max_suppliers=limit if method == "optimal" else None,
        )  # fmt: skip
        ties = _tie_rows(inputs, engine_result)
    form = RecommendForm(posted(request), methods=methods, ties=ties)
    def recommend() -> Any:
        d = form.cleaned_data
        return awarding.award_recommend(
            user=request.user, solicitation=s, basis=d["basis"], method=d["method"],
            multiple_award=d.get("multiple_award") or False, tie_choices=form.tie_choices(),
            max_suppliers=d.get("max_suppliers") if d["method"] == "optimal" else None,
            tie_reason=d["tie_reason"],
        )  # fmt: skip

    if _done(request, form, recommend, "Award recommended; it goes to the board for approval."):
        return redirect("procurement:award", agency.slug, s.pk)
    return _page(
        request,
        agency,
        s,
        form,
        "Recommend the award",
        "Recommend award",
        asked="Ties are never resolved for you: choose each tied bidder and say why."
        if ties
        else "",
    )


def _award_or_404(s: Solicitation) -> Award:
    award = awarding.live_award(s) or s.awards.first()
    if award is None:
        raise Http404("No award yet.")
    return award


def _report(request: HttpRequest, agency: Any, s: Solicitation, award: Award) -> dict[str, Any]:
    """The award report's context, for the page and the PDF alike."""
    committee = None
    if s.kind == Solicitation.Kind.RFP and evaluation.may_see_committee_scores(request.user, s):
        committee = evaluation.committee_result(s)
    return {
        "agency": agency, "s": s, "award": award,
        "lines": award.lines.select_related("item__lot", "supplier", "response"),
        "findings": Finding.objects.filter(response__solicitation=s)
        .select_related("response__supplier", "decided_by"),
        "protests": award.protests.select_related("supplier"),
        "committee": committee, "criteria": s.criteria.all(),
        "savings": awarding.aggregation(award), "tab": selectors.tabulation_for(s),
        "discounts": awarding.discounts_of(award),
    }  # fmt: skip


@login_required
def award_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The award and its whole basis: lines, tabulation, ties and how resolved, findings,
    scores, the board's resolution, notices and protests (the award report)."""
    agency, s = _opened(request, slug, pk)
    award = _award_or_404(s)
    return render(request, "procurement/award.html", {
        **_report(request, agency, s, award),
        **allowed(request.user, agency, Action.EVALUATION_MANAGE, Action.AWARD_APPROVE),
    })  # fmt: skip


@login_required
def award_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The award report as a tagged PDF (WeasyPrint), for the board's packet and the file."""
    agency, s = _opened(request, slug, pk)
    award = _award_or_404(s)
    try:
        data = document_pdf("procurement/award_pdf.html", _report(request, agency, s, award))
    except PdfUnavailable:
        messages.error(
            request,
            "PDF reports are not available on this server yet (its "
            "administrator needs to install the Pango library).",
        )
        return redirect("procurement:award", slug, pk)
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"{s.number}-award-report.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename) or ""
    return response


_STEPS = {
    # step: (label, what happens, danger)
    "notice": (
        "Send the notice of award",
        "Every respondent is e-mailed its outcome (what it was awarded, or the reason "
        "it was not), with the tabulation; the stand-still period for protests starts.",
        False,
    ),
    "finalize": (
        "Make the award final",
        "The stand-still period is over and no protest is pending: the award becomes "
        "final, the solicitation is awarded and contracts can be made from it.",
        False,
    ),
}


@login_required
def award_step(request: HttpRequest, slug: str, pk: int, step: str) -> HttpResponse:
    agency, s = _opened(request, slug, pk)
    award = _award_or_404(s)
    back = reverse("procurement:award", args=[agency.slug, s.pk])
    form: Any
    if step == "approve":
        permissions.require(request.user, Action.AWARD_APPROVE, agency)
        form = ApproveForm(posted(request))
    elif step == "cancel":
        permissions.require(request.user, Action.EVALUATION_MANAGE, agency)
        form = ReasonForm(posted(request))
    elif step in _STEPS:
        permissions.require(request.user, Action.EVALUATION_MANAGE, agency)
        form = ConfirmForm(posted(request))
    else:
        raise Http404("No such step.")
    def act() -> Any:
        if step == "approve":
            return awarding.award_approve(user=request.user, award=award, **form.cleaned_data)
        if step == "cancel":
            return awarding.award_cancel(user=request.user, award=award,
                                         reason=form.cleaned_data["reason"])  # fmt: skip
        if step == "notice":
            return awarding.award_notice(user=request.user, award=award)
        return awarding.award_finalize(user=request.user, award=award)

    if _done(request, form, act, "Done."):
        return redirect(back)
    if step == "approve":
        return _page(request, agency, s, form, "Record the board's approval", "Record approval",
                     cancel_url=back)  # fmt: skip
    if step == "cancel":
        return _page(request, agency, s, form, "Cancel the award", "Cancel award", cancel_url=back)
    label, what, danger = _STEPS[step]
    return _confirm(request, agency, s, form, label, what, cancel_url=back, danger=danger)


@login_required
def protest_decide(request: HttpRequest, slug: str, pk: int, prid: int) -> HttpResponse:
    agency, s = _opened(request, slug, pk, Action.EVALUATION_MANAGE)
    protest = permissions.get_or_404(Protest.objects.filter(award__solicitation=s), pk=prid)
    form = ProtestDecisionForm(posted(request))
    back = reverse("procurement:award", args=[agency.slug, s.pk])
    if _done(request, form, lambda: awarding.protest_decide(
        user=request.user, protest=protest, **form.cleaned_data
    ), "Decision recorded."):  # fmt: skip
        return redirect(back)
    return _page(request, agency, s, form, f"Decide the protest of {protest.supplier}",
                 "Record decision", cancel_url=back, asked=protest.grounds)  # fmt: skip


# Committee ------------------------------------------------------------------------------------


@login_required
def committee_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency, s = _opened(request, slug, pk, Action.EVALUATION_MANAGE)
    form = CommitteeForm(posted(request), users=evaluation.committee_users(s))
    if _done(request, form, lambda: evaluation.evaluator_add(
        user=request.user, solicitation=s, member=form.cleaned_data["member"]
    ), "Evaluator added to the committee."):  # fmt: skip
        return redirect(_back(agency, s))
    return _page(request, agency, s, form, "Add an evaluator", "Add to committee")


@login_required
def committee_remove(request: HttpRequest, slug: str, pk: int, eid: int) -> HttpResponse:
    agency, s = _opened(request, slug, pk, Action.EVALUATION_MANAGE)
    seat = permissions.get_or_404(s.evaluators.select_related("user"), pk=eid)
    form = RemoveEvaluatorForm(posted(request))
    name = seat.user.get_full_name() or seat.user.get_username()
    if _done(request, form, lambda: evaluation.evaluator_remove(
        user=request.user, evaluator=seat, reason=form.cleaned_data["reason"]
    ), f"{name} removed from the committee."):  # fmt: skip
        return redirect(_back(agency, s))
    asked = (f"Declared a conflict: {seat.conflict_description}" if seat.conflict_declared_at
             else "")  # fmt: skip
    if seat.submitted_at:
        asked += " They have submitted scores: say why they are removed (the audit trail keeps it)."
    return _page(request, agency, s, form, f"Remove {name} from the committee",
                 "Remove from committee", asked=asked.strip())  # fmt: skip


def _seat(request: HttpRequest, slug: str, pk: int) -> tuple[Any, Solicitation, Evaluator]:
    agency, s = _opened(request, slug, pk, Action.EVALUATION_SCORE)
    seat = evaluation.committee_seat(request.user, s)
    if seat is None:
        raise PermissionDenied("You are not on this solicitation's evaluation committee.")
    return agency, s, seat


@login_required
def scoring(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An evaluator's own page: the attestation, then their scores of each response."""
    agency, s, seat = _seat(request, slug, pk)
    form = AttestForm(posted(request))
    if _done(request, form, lambda: evaluation.coi_attest(user=request.user, evaluator=seat),
             "Attestation signed: the responses are open to you."):  # fmt: skip
        return redirect("procurement:scoring", agency.slug, s.pk)
    rows = []
    if seat.coi_attested_at is not None and seat.conflict_declared_at is None:
        mine: dict[tuple[int, int], Any] = {
            (x.response_id, x.criterion_id): x for x in seat.scores.all()
        }
        judged = list(s.criteria.filter(is_price=False))
        for r in evaluation.scored_responses(s):
            rows.append((r, [(c, mine.get((r.pk, c.pk))) for c in judged]))
    return render(
        request,
        "procurement/scoring.html",
        {
            "agency": agency,
            "s": s,
            "seat": seat,
            "form": form,
            "rows": rows,
            "coi_text": evaluation.COI_TEXT,
            "criteria": s.criteria.all(),
            "conflict_form": ConflictForm(),
        },
    )


@login_required
def conflict_declare(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """"I have a conflict", instead of the attestation or after it."""
    agency, s, seat = _seat(request, slug, pk)
    form = ConflictForm(posted(request))
    if _done(request, form, lambda: evaluation.conflict_declare(
        user=request.user, evaluator=seat, description=form.cleaned_data["description"]
    ), "Conflict declared: the procurement officer will replace you."):  # fmt: skip
        return redirect("procurement:scoring", agency.slug, s.pk)
    return _page(request, agency, s, form, "Declare a conflict of interest", "Declare conflict",
                 cancel_url=reverse("procurement:scoring", args=[agency.slug, s.pk]))  # fmt: skip


@login_required
def scoring_response(request: HttpRequest, slug: str, pk: int, rid: int) -> HttpResponse:
    agency, s, seat = _seat(request, slug, pk)
    if seat.coi_attested_at is None or seat.conflict_declared_at is not None:
        return redirect("procurement:scoring", agency.slug, s.pk)
    response = permissions.get_or_404(Response.objects.filter(solicitation=s), pk=rid)
    judged = list(s.criteria.filter(is_price=False))
    have = {x.criterion_id: x for x in seat.scores.filter(response=response)}
    initial = {}
    for c in judged:
        if c.pk in have:
            initial[f"score_{c.pk}"] = f"{have[c.pk].score.normalize():f}"
            initial[f"comment_{c.pk}"] = have[c.pk].comment
    form = ScoreForm(posted(request), criteria=judged, initial=initial)
    back = reverse("procurement:scoring", args=[agency.slug, s.pk])
    if _done(request, form, lambda: evaluation.scores_save(
        user=request.user, evaluator=seat, response=response, scores=form.scores(),
        comments=form.comments(),
    ), f"Scores of {response.supplier} saved."):  # fmt: skip
        return redirect(back)
    return _page(
        request, agency, s, form, f"Score {response.supplier}", "Save scores", cancel_url=back,
        asked="Your scores stay yours until you submit; no one else on the committee sees "
        "them before submitting theirs.",
    )  # fmt: skip


@login_required
def scoring_submit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    agency, s, seat = _seat(request, slug, pk)
    form = ConfirmForm(posted(request))
    back = reverse("procurement:scoring", args=[agency.slug, s.pk])
    if _done(request, form, lambda: evaluation.scores_submit(user=request.user, evaluator=seat),
             "Scores submitted."):  # fmt: skip
        return redirect(_back(agency, s))
    return _confirm(
        request, agency, s, form, "Submit your scores",
        "Your scores become final and count in the committee's totals; you then see "
        "the other submitted scores.", cancel_url=back,
    )  # fmt: skip


# Supplier portal --------------------------------------------------------------------------------


@login_required
def portal_award(request: HttpRequest, slug: str, sid: int, pk: int) -> HttpResponse:
    """A respondent's notice of award and its protest, in the supplier portal."""
    agency = permissions.agency_for_user(request.user, slug)
    supplier = permissions.get_or_404(permissions.suppliers_for(request.user, agency), pk=sid)
    permissions.require(request.user, Action.PROTEST_FILE, agency, supplier=supplier)
    response = permissions.get_or_404(
        Response.objects.filter(
            solicitation__agency=agency,
            solicitation_id=pk,
            supplier=supplier,
            responsive__isnull=False,
        ).select_related("solicitation")
    )
    s = response.solicitation
    # The notice makes an award the respondents' to read; a recommendation or approval
    # cancelled before its notice never was, and stays the agency's.
    award = s.awards.filter(noticed_at__isnull=False).first()
    if award is None:
        raise Http404("No notice of award yet.")
    outcome = awarding.outcome_for(award, response, evaluation.standings(s).get(response.pk))
    form = ProtestForm(posted(request))
    if _done(request, form, lambda: awarding.protest_file(
        user=request.user, award=award, supplier=supplier, grounds=form.cleaned_data["grounds"]
    ), "Protest filed; the agency will decide it."):  # fmt: skip
        return redirect("procurement:award_notice", agency.slug, supplier.pk, s.pk)
    return render(
        request,
        "procurement/portal_award.html",
        {
            "agency": agency,
            "s": s,
            "supplier": supplier,
            "award": award,
            "outcome": outcome,
            "form": form,
            "protests": award.protests.filter(supplier=supplier),
            "lines": award.lines.select_related("item", "supplier", "response"),
        },
    )

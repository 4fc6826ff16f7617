"""Public pages (no sign-in): published solicitations, their documents, addenda and answered
questions, and the bid tabulation once opened (HTML, CSV, XLSX)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from edcoop.core.views import export_format, export_response, export_urls, paginate
from edcoop.members.models import Agency

from .. import selectors
from ..models import ATTESTATIONS, Document


def public_list(request: HttpRequest, slug: str) -> HttpResponse:
    agency = get_object_or_404(Agency, slug=slug)
    qs = selectors.public_solicitations(agency).order_by("-published_at", "pk")
    return render(request, "procurement/public_list.html",
                  {"agency": agency, "page": paginate(request, qs)})  # fmt: skip


def public_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    s = selectors.public_solicitation(slug, pk)
    return render(request, "procurement/public_detail.html", {
        "agency": s.agency, "s": s, "lots": s.lots.prefetch_related("items"),
        "questions": selectors.public_questions(s), "criteria": s.criteria.all(),
        "attestations": _attestation_labels(s),
    })  # fmt: skip


def _attestation_labels(s: object) -> list[str]:
    return [ATTESTATIONS.get(code, code) for code in getattr(s, "required_attestations", [])]


def document(request: HttpRequest, slug: str, pk: int, doc: int) -> HttpResponse:
    s = selectors.public_solicitation(slug, pk)
    d = get_object_or_404(Document, solicitation=s, pk=doc)
    response = HttpResponse(bytes(d.content), content_type=d.content_type)
    response["Content-Disposition"] = content_disposition_header(True, d.filename)
    return response


def tabulation(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    s = selectors.public_solicitation(slug, pk)
    tab = selectors.tabulation_for(s)
    if tab is None:
        if export_format(request):
            raise Http404("Not opened yet.")
        return render(request, "procurement/tabulation_sealed.html", {"agency": s.agency, "s": s},
                      status=404)  # fmt: skip
    # The award is public once its notice is sent (a recommendation is not yet).
    award = selectors.public_awards(s.agency).filter(solicitation=s).first()
    if fmt := export_format(request):
        header, rows = selectors.tabulation_rows(tab, selectors.unopened_responses(s), award)
        return export_response(fmt, f"{s.agency.slug}-{s.number}-tabulation", header, rows)
    return render(request, "procurement/tabulation.html", {
        "agency": s.agency, "s": s, "tab": tab, "export_urls": export_urls(request),
        "award": award,
        "award_lines": award.lines.select_related("item", "supplier", "response") if award else [],
        "not_opened": selectors.unopened_responses(s),
    })  # fmt: skip

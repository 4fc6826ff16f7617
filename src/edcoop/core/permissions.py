"""Who may do what. The one place every view, API call and command asks.

A user holds roles per agency (``RoleAssignment``). Agency roles act on the whole agency;
member roles only on their own institution; the supplier role only on its own supplier.
Records of another agency do not exist for a user: lookups raise ``Http404``, never 403,
so that existence does not leak.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404

if TYPE_CHECKING:
    from edcoop.core.models import Job
    from edcoop.members.models import Agency, Institution, Membership, RoleAssignment, Supplier


class Action(StrEnum):
    AGENCY_CONSOLE = "agency.console"  # the agency's staff pages
    MEMBERSHIP_LIST = "membership.list"  # all members of the agency
    MEMBERSHIP_DECIDE = "membership.decide"  # approve, decline, suspend, withdraw
    MEMBERSHIP_EDIT = "membership.edit"  # component flag, service area, yearly figures
    INSTITUTION_VIEW = "institution.view"  # private details of one institution
    INSTITUTION_EDIT = "institution.edit"
    INSTITUTION_IMPORT = "institution.import"
    SUPPLIER_LIST = "supplier.list"
    SUPPLIER_VIEW = "supplier.view"
    SUPPLIER_EDIT = "supplier.edit"  # profile details
    SUPPLIER_DECIDE = "supplier.decide"  # approve, suspend, debar
    AUDIT_VIEW = "audit.view"
    ROLE_ASSIGN = "role.assign"
    AGENCY_SETTINGS = "agency.settings"  # the agency's own facts: address, terms, paper
    # Cooperative procurement (edcoop.procurement)
    SOLICITATION_VIEW = "solicitation.view"  # the agency's solicitations, drafts included
    SOLICITATION_EDIT = "solicitation.edit"  # draft, lots, items, documents, addenda, answers
    SOLICITATION_PUBLISH = "solicitation.publish"  # publish, cancel, move to evaluation
    DEMAND_VIEW = "demand.view"  # aggregated demand-survey quantities
    DEMAND_COMMIT = "demand.commit"  # an institution's estimated quantities
    RESPONSE_SUBMIT = "response.submit"  # a supplier's own sealed response
    RESPONSE_OPEN = "response.open"  # the public opening
    RESPONSE_READ = "response.read"  # opened responses (never sealed ones)
    QUESTION_ASK = "question.ask"  # a supplier asks about a solicitation
    EVALUATION_MANAGE = "evaluation.manage"  # findings, committee, ties, award recommendation
    EVALUATION_SCORE = "evaluation.score"  # an evaluator scores (committee members only)
    AWARD_APPROVE = "award.approve"  # record the board's resolution approving an award
    PROTEST_FILE = "protest.file"  # a respondent protests a noticed award
    # Shared services and billing (edcoop.services, edcoop.billing)
    SERVICE_VIEW = "service.view"  # the catalog, budgets, requests, subscriptions, usage
    SERVICE_CATALOG_EDIT = "service.catalog_edit"  # services, yearly budgets, positions
    SERVICE_REQUEST_FILE = "service.request_file"  # an institution's requests for services
    SERVICE_REQUEST_DECIDE = "service.request_decide"  # approve into subscriptions, decline
    USAGE_RECORD = "usage.record"  # monthly usage, by hand, API or CSV import
    BILLING_VIEW = "billing.view"  # runs, invoices, statements (members: their own)
    BILLING_RUN = "billing.run"  # compute, review and post billing runs and the true-up
    BILLING_ADJUST = "billing.adjust"  # payments and credit memos
    BILLING_REOPEN = "billing.reopen"  # reopen a closed fiscal year (agency admin only)
    BILLING_REFUND_CHOOSE = "billing.refund_choose"  # apply or carry a member's refunds
    # Governance (edcoop.governance)
    COMPLIANCE_VIEW = "compliance.view"  # the rule table and the compliance check
    COMPLIANCE_EDIT = "compliance.edit"  # the agency's own rules
    STUDY_VIEW = "study.view"  # savings studies, drafts included (published ones are public)
    STUDY_EDIT = "study.edit"  # create, fill in, publish savings studies
    PUBLIC_DOCUMENT_POST = "public_document.post"  # post budgets, audits, minutes publicly
    COMPLIANCE_MONITOR = "compliance.monitor"  # the monitor's flags (members: their own)
    COMPLIANCE_REVIEW = "compliance.review"  # record a flag's review (explained, corrected...)
    # Contracts and purchasing (edcoop.contracts)
    CONTRACT_VIEW = "contract.view"  # the contract catalogue (members: to buy; suppliers: own)
    CONTRACT_EDIT = "contract.edit"  # contracts, price lists, renewals, documents, eligibility
    CONTRACT_ADOPT = "contract.adopt"  # a member joins a contract that requires adoption
    ORDER_VIEW = "order.view"  # purchase orders (members: their own)
    ORDER_CREATE = "order.create"  # draft, send, receive and cancel purchase orders
    ORDER_APPROVE = "order.approve"  # approve orders above the agency's threshold
    SALES_REPORT_VIEW = "sales_report.view"  # quarterly sales reports, fee invoices
    SALES_REPORT_FILE = "sales_report.file"  # a supplier's quarterly report
    PRICE_LIST_UPLOAD = "price_list.upload"  # a new price-list version (suppliers: their own)
    PATRONAGE_VIEW = "patronage.view"  # patronage allocations (members: their own)
    PATRONAGE_RUN = "patronage.run"  # the year-end patronage distribution


A = Action
_STAFF_READ = {
    A.AGENCY_CONSOLE,
    A.MEMBERSHIP_LIST,
    A.INSTITUTION_VIEW,
    A.SUPPLIER_LIST,
    A.SUPPLIER_VIEW,
}

# Role -> the actions it grants. Scope (whole agency, own institution, own supplier) is
# applied by ``can`` from the role's kind, not repeated here.
MATRIX: dict[str, frozenset[Action]] = {
    "agency_admin": frozenset(Action),
    "procurement_officer": frozenset(_STAFF_READ | {A.SUPPLIER_EDIT, A.SUPPLIER_DECIDE}),
    "business_office": frozenset(_STAFF_READ | {A.MEMBERSHIP_EDIT, A.INSTITUTION_EDIT}),
    "evaluator": frozenset({A.AGENCY_CONSOLE, A.SUPPLIER_LIST, A.SUPPLIER_VIEW}),
    # Read-only everything in the agency, the audit trail included.
    "auditor": frozenset(_STAFF_READ | {A.AUDIT_VIEW}),
    "member_admin": frozenset({A.INSTITUTION_VIEW, A.INSTITUTION_EDIT}),
    "member_buyer": frozenset({A.INSTITUTION_VIEW}),
    "member_finance": frozenset({A.INSTITUTION_VIEW}),
    "supplier_rep": frozenset({A.SUPPLIER_VIEW, A.SUPPLIER_EDIT}),
}

# Cooperative procurement: added to the rows above. Officers and admins run solicitations;
# evaluators and auditors read opened responses; a member buyer commits its institution's
# quantities; a supplier's representative responds and asks for its own supplier only.
# Submitting and asking are a supplier's acts: no agency role does them on its behalf.
_PROCUREMENT: dict[str, set[Action]] = {
    "procurement_officer": {A.SOLICITATION_VIEW, A.SOLICITATION_EDIT, A.SOLICITATION_PUBLISH,
                            A.DEMAND_VIEW, A.RESPONSE_OPEN, A.RESPONSE_READ,
                            A.EVALUATION_MANAGE, A.EVALUATION_SCORE},
    "business_office": {A.SOLICITATION_VIEW, A.DEMAND_VIEW},
    "evaluator": {A.SOLICITATION_VIEW, A.DEMAND_VIEW, A.RESPONSE_READ, A.EVALUATION_SCORE},
    "auditor": {A.SOLICITATION_VIEW, A.DEMAND_VIEW, A.RESPONSE_READ},
    "member_admin": {A.DEMAND_COMMIT},
    "member_buyer": {A.DEMAND_COMMIT},
    "supplier_rep": {A.RESPONSE_SUBMIT, A.QUESTION_ASK, A.PROTEST_FILE},
}  # fmt: skip
for _role, _actions in _PROCUREMENT.items():
    MATRIX[_role] = MATRIX[_role] | frozenset(_actions)
MATRIX["agency_admin"] = MATRIX["agency_admin"] - {
    A.RESPONSE_SUBMIT,
    A.QUESTION_ASK,
    A.PROTEST_FILE,
}

# Shared services and billing: the business office (and the agency admin, who holds every
# action) runs the billing year; auditors read it all; a member's administrator and finance
# officer see their own institution's invoices and statement; members file requests.
_BILLING: dict[str, set[Action]] = {
    "business_office": {A.SERVICE_VIEW, A.SERVICE_CATALOG_EDIT, A.SERVICE_REQUEST_FILE,
                        A.SERVICE_REQUEST_DECIDE, A.USAGE_RECORD, A.BILLING_VIEW,
                        A.BILLING_RUN, A.BILLING_ADJUST, A.BILLING_REFUND_CHOOSE},
    "procurement_officer": {A.SERVICE_VIEW},
    "auditor": {A.SERVICE_VIEW, A.BILLING_VIEW},
    "member_admin": {A.SERVICE_REQUEST_FILE, A.BILLING_VIEW, A.BILLING_REFUND_CHOOSE},
    "member_buyer": {A.SERVICE_REQUEST_FILE},
    "member_finance": {A.SERVICE_REQUEST_FILE, A.BILLING_VIEW, A.BILLING_REFUND_CHOOSE},
}  # fmt: skip
for _role, _actions in _BILLING.items():
    MATRIX[_role] = MATRIX[_role] | frozenset(_actions)

# Governance: every staff role reads the rule table; the procurement officer (and the agency
# admin, who holds every action) keeps it. The business office runs savings studies. The
# compliance monitor is read by the officers and auditors, and by members for their own.
_GOVERNANCE: dict[str, set[Action]] = {
    # The agency resolves flags (the officer and the business office); the auditor reads.
    "procurement_officer": {A.COMPLIANCE_VIEW, A.COMPLIANCE_EDIT, A.STUDY_VIEW,
                            A.COMPLIANCE_MONITOR, A.COMPLIANCE_REVIEW},
    "business_office": {A.COMPLIANCE_VIEW, A.STUDY_VIEW, A.STUDY_EDIT, A.PUBLIC_DOCUMENT_POST,
                        A.COMPLIANCE_MONITOR, A.COMPLIANCE_REVIEW},
    "evaluator": {A.COMPLIANCE_VIEW},
    "auditor": {A.COMPLIANCE_VIEW, A.STUDY_VIEW, A.COMPLIANCE_MONITOR},
    # A member's administrator and finance officer see the flags on their own purchases.
    "member_admin": {A.COMPLIANCE_MONITOR},
    "member_finance": {A.COMPLIANCE_MONITOR},
}  # fmt: skip
for _role, _actions in _GOVERNANCE.items():
    MATRIX[_role] = MATRIX[_role] | frozenset(_actions)

# Contracts and purchasing: the procurement officer keeps the portfolio; the business office
# reads sales reports, invoices fees and runs patronage; members' buyers order, their finance
# officer approves above the threshold; a supplier's representative files its own reports.
_CONTRACTS: dict[str, set[Action]] = {
    "procurement_officer": {A.CONTRACT_VIEW, A.CONTRACT_EDIT, A.ORDER_VIEW,
                            A.SALES_REPORT_VIEW, A.PRICE_LIST_UPLOAD},
    "business_office": {A.CONTRACT_VIEW, A.ORDER_VIEW, A.SALES_REPORT_VIEW,
                        A.SALES_REPORT_FILE, A.PATRONAGE_VIEW, A.PATRONAGE_RUN},
    "evaluator": {A.CONTRACT_VIEW},
    "auditor": {A.CONTRACT_VIEW, A.ORDER_VIEW, A.SALES_REPORT_VIEW, A.PATRONAGE_VIEW},
    "member_admin": {A.CONTRACT_VIEW, A.CONTRACT_ADOPT, A.ORDER_VIEW, A.ORDER_CREATE,
                     A.PATRONAGE_VIEW},
    "member_buyer": {A.CONTRACT_VIEW, A.ORDER_VIEW, A.ORDER_CREATE},
    "member_finance": {A.CONTRACT_VIEW, A.ORDER_VIEW, A.ORDER_APPROVE, A.PATRONAGE_VIEW},
    "supplier_rep": {A.CONTRACT_VIEW, A.SALES_REPORT_VIEW, A.SALES_REPORT_FILE,
                     A.PRICE_LIST_UPLOAD},
}  # fmt: skip
for _role, _actions in _CONTRACTS.items():
    MATRIX[_role] = MATRIX[_role] | frozenset(_actions)

_CACHE_ATTR = "_edcoop_role_cache"


def assignments(user: Any, agency: Agency) -> list[RoleAssignment]:
    """The user's roles in ``agency``, read once per user object (i.e. once per request).

    A user who holds a staff role and a supplier role in the same agency (which the role
    write refuses, so only a database edit makes one) holds nothing there: staff could
    otherwise bid in a supplier's name, or a supplier read its rivals' opened prices."""
    if user is None or not user.is_authenticated:
        return []
    cache: dict[int, list[RoleAssignment]] = user.__dict__.setdefault(_CACHE_ATTR, {})
    if agency.pk not in cache:

        # With the supplier a representative acts for: ``supplier_for`` answers from it.
        held = _read_assignments(user.pk, agency.pk)
        cache[agency.pk] = [] if _staff_and_supplier({ra.role for ra in held}) else held
    return cache[agency.pk]


_ROLES_READ: dict[str, tuple[str, list[str], list[str], list[Any]]] = {}


def _read_assignments(user_id: int, agency_id: int) -> list[RoleAssignment]:
    """``RoleAssignment.objects.filter(user, agency).select_related("supplier")``, its SQL
    written once per database kind: every request that checks a permission reads this, and
    Django compiling the query cost more than running it (issue 9). Rows become model
    instances the ORM's way (``from_db``, each field's database converters)."""
    from edcoop.members.models import RoleAssignment, Supplier

    if connection.vendor not in _ROLES_READ:
        quote = connection.ops.quote_name
        role_fields = list(RoleAssignment._meta.concrete_fields)
        supplier_fields = list(Supplier._meta.concrete_fields)
        columns = [f"r.{quote(str(f.column))}" for f in role_fields] + [
            f"s.{quote(str(f.column))}" for f in supplier_fields
        ]
        sql = (
            f"SELECT {', '.join(columns)} FROM {quote(RoleAssignment._meta.db_table)} r "  # noqa: S608
            f"LEFT JOIN {quote(Supplier._meta.db_table)} s ON s.id = r.supplier_id "
            "WHERE r.user_id = %s AND r.agency_id = %s"
        )
        converters = []
        for f in role_fields + supplier_fields:
            col = f.get_col(f.model._meta.db_table)
            converters.append((col, connection.ops.get_db_converters(col)
                               + f.get_db_converters(connection)))  # fmt: skip
        names = [f.attname for f in role_fields], [f.attname for f in supplier_fields]
        _ROLES_READ[connection.vendor] = (sql, *names, converters)
    sql, role_names, supplier_names, converters = _ROLES_READ[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, agency_id])
        rows = cursor.fetchall()
    out = []
    split = len(role_names)
    for row in rows:
        values = []
        for value, (col, convert) in zip(row, converters, strict=True):
            for c in convert:
                value = c(value, col, connection)
            values.append(value)
        ra = RoleAssignment.from_db(connection.alias, role_names, values[:split])
        supplier = Supplier.from_db(connection.alias, supplier_names, values[split:])
        ra.supplier = supplier if ra.supplier_id is not None else None
        out.append(ra)
    return out


def _staff_and_supplier(roles: set[str]) -> bool:
    from edcoop.members.models import AGENCY_ROLES, SUPPLIER_ROLES

    return bool(roles & set(AGENCY_ROLES)) and bool(roles & set(SUPPLIER_ROLES))


def role_conflict(person: Any, agency: Agency, role: str) -> str | None:
    """Why ``person`` may not also hold ``role`` in ``agency``, or None. Nobody is both the
    agency's staff and a supplier's representative in one agency: the supplier's identity
    belongs to the supplier. Asked by every role write (``RoleAssignment.clean``)."""
    from edcoop.members.models import SUPPLIER_ROLES, RoleAssignment

    if person is None or person.pk is None:
        return None
    held = set(
        RoleAssignment.objects.filter(user=person, agency=agency).values_list("role", flat=True)
    )
    if not _staff_and_supplier(held | {role}):
        return None
    if role in SUPPLIER_ROLES:
        return (
            f"{person.get_username()} is on the staff of {agency}; a supplier's "
            "representative must be someone else."
        )
    return (
        f"{person.get_username()} represents a supplier of {agency}; agency staff must be "
        "someone else."
    )


def forget(user: Any) -> None:
    """Drop the cached roles, after roles change within one request."""
    user.__dict__.pop(_CACHE_ATTR, None)


def can(
    user: Any,
    action: Action,
    agency: Agency,
    *,
    institution: Institution | None = None,
    supplier: Supplier | None = None,
) -> bool:
    """May ``user`` do ``action`` in ``agency`` (on ``institution`` / ``supplier``)?"""
    from edcoop.members.models import AGENCY_ROLES, MEMBER_ROLES, SUPPLIER_ROLES

    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if institution is not None and institution.agency_id != agency.pk:
        return False
    if supplier is not None and supplier.agency_id != agency.pk:
        return False
    for ra in assignments(user, agency):
        if action not in MATRIX.get(ra.role, ()):
            continue
        if ra.role in AGENCY_ROLES:
            return True
        own_institution = (
            ra.role in MEMBER_ROLES
            and institution is not None
            and supplier is None
            and ra.institution_id == institution.pk
        )
        own_supplier = (
            ra.role in SUPPLIER_ROLES
            and supplier is not None
            and institution is None
            and ra.supplier_id == supplier.pk
        )
        if own_institution or own_supplier:
            return True
    return False


def require(user: Any, action: Action, agency: Agency, **scope: Any) -> None:
    """Raise ``PermissionDenied`` unless ``can``; for writes, after the record was found."""
    if not can(user, action, agency, **scope):
        raise PermissionDenied(f"You may not {action.value.replace('.', ' ')} here.")


def is_agency_staff(user: Any, agency: Agency) -> bool:
    from edcoop.members.models import AGENCY_ROLES

    return any(ra.role in AGENCY_ROLES for ra in assignments(user, agency))


def has_any_role(user: Any, agency: Agency) -> bool:
    return bool(assignments(user, agency))


# Scoped reads: querysets already narrowed to what the user may see.


def agencies_for(user: Any) -> QuerySet[Agency]:
    from edcoop.members.models import Agency

    if user is None or not user.is_authenticated:
        return Agency.objects.none()
    return Agency.objects.filter(role_assignments__user=user).distinct()


def memberships_for(user: Any, agency: Agency) -> QuerySet[Membership]:
    """Memberships the user may see: all for staff who list members, else their own."""
    from edcoop.members.models import Membership

    return Membership.objects.filter(
        agency=agency, institution__in=institutions_for(user, agency)
    ).select_related("institution", "service_area")


def institutions_for(user: Any, agency: Agency) -> QuerySet[Institution]:
    from edcoop.members.models import Institution

    qs = Institution.objects.filter(agency=agency)
    if can(user, Action.MEMBERSHIP_LIST, agency):
        return qs
    own = [
        ra.institution_id
        for ra in assignments(user, agency)
        if ra.institution_id and Action.INSTITUTION_VIEW in MATRIX.get(ra.role, ())
    ]
    return qs.filter(pk__in=own)


def suppliers_for(user: Any, agency: Agency) -> QuerySet[Supplier]:
    from edcoop.members.models import Supplier

    qs = Supplier.objects.filter(agency=agency)
    if can(user, Action.SUPPLIER_LIST, agency):
        return qs
    own = [ra.supplier_id for ra in assignments(user, agency) if ra.supplier_id]
    return qs.filter(pk__in=own)


def supplier_for(user: Any, agency: Agency, supplier_id: int) -> Supplier:
    """``get_or_404(suppliers_for(user, agency), pk=supplier_id)``. For a supplier named by
    one of the user's own roles there (a representative acting for its supplier: every bid
    submission) that is the supplier read with the roles, so no query of its own."""
    for ra in assignments(user, agency):
        supplier = ra.supplier if ra.supplier_id == supplier_id else None
        if supplier is not None and supplier.agency_id == agency.pk:
            return supplier
    return get_or_404(suppliers_for(user, agency), pk=supplier_id)


def jobs_for(user: Any, agency: Agency) -> QuerySet[Job]:
    """Background jobs: those the user started, and those of a kind whose reading action
    (``job_kind(..., reads=...)``) the user holds agency-wide."""
    from edcoop.core.jobs import readers
    from edcoop.core.models import Job

    qs = Job.objects.filter(agency_id=agency.pk)
    if user is None or not user.is_authenticated:
        return qs.none()
    kinds = [kind for kind, action in readers().items() if can(user, action, agency)]
    return qs.filter(Q(kind__in=kinds) | Q(created_by=user))


def solicitations_for(user: Any, agency: Agency) -> QuerySet[Any]:
    """Solicitations: the agency's staff see all, drafts included; everyone else (the public
    too) only those that were published."""
    from edcoop.procurement.models import Solicitation

    qs = Solicitation.objects.filter(agency=agency)
    if can(user, Action.SOLICITATION_VIEW, agency):
        return qs
    return qs.filter(published_at__isnull=False)


def solicitation_visible(user: Any, solicitation: Any) -> bool:
    """The rule of ``solicitations_for`` for one solicitation already in hand."""
    return solicitation.published_at is not None or can(
        user, Action.SOLICITATION_VIEW, solicitation.agency
    )


def audit_events_for(user: Any, agency: Agency) -> QuerySet[Any]:
    """The agency's audit trail for those who may read it, less the committee scores the
    reader may not see yet: a reader seated on an evaluation committee (an agency
    administrator who also evaluates) sees no other evaluator's score on that solicitation
    until its own are submitted, as on the evaluation pages -- never, after declaring a
    conflict."""
    from edcoop.core.models import AuditEvent
    from edcoop.procurement.models import Evaluator, Score

    require(user, Action.AUDIT_VIEW, agency)
    qs = AuditEvent.objects.filter(agency_id=agency.pk)
    closed = Evaluator.objects.filter(solicitation__agency=agency, user=user).filter(
        Q(submitted_at__isnull=True) | Q(conflict_declared_at__isnull=False)
    )
    if not closed.exists():
        return qs
    hidden = (Score.objects.filter(evaluator__solicitation__in=closed.values("solicitation_id"))
              .exclude(evaluator__user=user)
              .annotate(key=Cast("pk", CharField())).values("key"))  # fmt: skip
    return qs.exclude(object_type="procurement.score", object_id__in=hidden)


def responses_for(user: Any, agency: Agency) -> QuerySet[Any]:
    """Responses (envelopes, not their sealed contents): staff who see solicitations see that
    each exists; a supplier's representative sees its own supplier's only."""
    from edcoop.procurement.models import Response

    qs = Response.objects.filter(solicitation__agency=agency)
    if can(user, Action.SOLICITATION_VIEW, agency):
        return qs.exclude(status=Response.Status.DRAFT)
    own = [ra.supplier_id for ra in assignments(user, agency) if ra.supplier_id]
    return qs.filter(supplier_id__in=own)


def _billing_scope(user: Any, agency: Agency, action: Action) -> list[int] | None:
    """None when the user holds ``action`` agency-wide; else the institutions it holds it
    for (member roles)."""
    if can(user, action, agency):
        return None
    return [
        ra.institution_id
        for ra in assignments(user, agency)
        if ra.institution_id and action in MATRIX.get(ra.role, ())
    ]


def billing_records_for(user: Any, agency: Agency, model: type[M]) -> QuerySet[M]:
    """Invoices, payments, credit memos (anything with ``agency`` and ``institution``):
    all of the agency's for billing staff, a member user's own institution's otherwise."""
    qs = model._default_manager.filter(agency=agency)
    own = _billing_scope(user, agency, Action.BILLING_VIEW)
    return qs if own is None else qs.filter(institution_id__in=own)


def service_records_for(user: Any, agency: Agency, model: type[M]) -> QuerySet[M]:
    """Requests, subscriptions, usage: all for staff who read services, else the member's
    own (those it may file requests for or see bills of)."""
    qs = model._default_manager.filter(agency=agency)
    if can(user, Action.SERVICE_VIEW, agency):
        return qs
    own = set(_billing_scope(user, agency, Action.SERVICE_REQUEST_FILE) or [])
    own |= set(_billing_scope(user, agency, Action.BILLING_VIEW) or [])
    return qs.filter(institution_id__in=own)


M = TypeVar("M", bound=Model)


def contracts_for(user: Any, agency: Agency) -> QuerySet[Any]:
    """Contracts: the whole portfolio for agency staff and members (the catalogue; whether a
    member may buy is eligibility's question); a supplier's representative sees its own."""
    from edcoop.contracts.models import Contract

    qs = Contract.objects.filter(agency=agency)
    if can(user, Action.CONTRACT_VIEW, agency):
        return qs
    scoped = [ra for ra in assignments(user, agency)
              if Action.CONTRACT_VIEW in MATRIX.get(ra.role, ())]  # fmt: skip
    if any(ra.institution_id for ra in scoped):
        return qs
    return qs.filter(supplier_id__in=[ra.supplier_id for ra in scoped if ra.supplier_id])


def member_scope(user: Any, agency: Agency, action: Action) -> list[int] | None:
    """None when ``action`` is held agency-wide; else the institutions it is held for."""
    return _billing_scope(user, agency, action)


def supplier_scope(user: Any, agency: Agency, action: Action) -> list[int] | None:
    """None when ``action`` is held agency-wide; else the suppliers it is held for."""
    if can(user, action, agency):
        return None
    return [ra.supplier_id for ra in assignments(user, agency)
            if ra.supplier_id and action in MATRIX.get(ra.role, ())]  # fmt: skip


def get_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """Fetch from an already-scoped queryset; anything outside the scope is a 404."""
    qs = queryset.filter(**lookup)
    if set(lookup) <= {"pk", "id"}:
        # One row by its key: the model's default ordering (often joins to order by a
        # related name) would only cost building and running a sort of one row.
        qs = qs.order_by()
    obj = qs.first()
    if obj is None:
        raise Http404("No such record.")
    return obj


def agency_for_user(user: Any, slug: str) -> Agency:
    """The agency named in the URL, if the user holds a role there; otherwise 404."""
    from edcoop.members.models import Agency

    agency = Agency.objects.filter(slug=slug).first()
    if agency is None or not has_any_role(user, agency):
        raise Http404("No such agency.")
    return agency

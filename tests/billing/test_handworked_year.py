"""A whole fiscal year worked out by hand: FY2026 (July 2025 - June 2026) on the ``north``
agency, every invoice, memo and the aid estimate checked against the figures below.

Members (all components): A (RWADA 1,000), B (3,000; withdraws at the end of March),
C (2,000; joins on 1 October). Services:

- 001.000 administration, pool by RWADA share among components, $120,000 (10,000 a month);
  actual cost 120,000 (no surplus).
  Jul-Sep A:B 1:3 -> 2,500 / 7,500. Oct-Mar A:B:C 1:3:2 -> 1,666.67 / 5,000.00 / 3,333.33
  (the odd cent to A, largest remainder). Apr-Jun A:C 1:2 -> 3,333.33 / 6,666.67.
  Year: A 27,500.01, B 52,500.00, C 39,999.99 = 120,000.00.
- 300.010 speech therapy at $50 an hour (a surplus rate service): A 10 h a month Sep-Jun
  (5,000), C 4 h Oct-Jun (1,800). A credit memo of 100.00 on A's October line. Revenue
  6,700 against an actual cost of 6,120: surplus 580 refunded by share of revenue
  (A 4,900 : C 1,800) -> A 424.18 (424.179..., the odd cent), C 155.82.
- 500.100 network pool by usage, $12,000 (1,000 a month), deficit assessed: A 1 device
  every month, C 3 devices Oct-Jun. Monthly: Jul-Sep A 1,000; Oct-Jun A 250, C 750.
  Billed A 5,250, C 6,750. The year's usage 12 : 27 -> A 3,692.31, C 8,307.69 (use
  adjustment -1,557.69 / +1,557.69). Actual 13,000: deficit 1,000 -> A 307.69, C 692.31.
  Final A 4,000.00, C 9,000.00.
- 601.200 data privacy, flat $1,200 a year (100 a month), delivered until 31 January: A and
  B pay July-January, 700 each; actual cost 1,400.

A pays $50,000 on 20 June 2026, more than it owes: the rest is unapplied credit.

Aid (aid year FY2027; ratios A 0.5, B 0.4, C 0.6): approved share of cost: administration
(120,000 - 12,000 over the cap) / 120,000 = 0.9; speech (6,120 - 3,060) / 6,120 = 0.5;
network and privacy 1 (no salary above $30,000).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from edcoop.billing import aid, closing, ledger, statements, yearend
from edcoop.billing.models import BillingRun, CreditMemo, Invoice
from edcoop.billing.runs import billing_run_compute, billing_run_post
from edcoop.members import services as members
from edcoop.members.models import Institution
from edcoop.services import services as svc
from edcoop.services.fiscal import fiscal_year_periods

FY = 2026
PERIODS = fiscal_year_periods(FY)
OCT, FEB, APR = date(2025, 10, 1), date(2026, 2, 1), date(2026, 4, 1)

# Each member's invoice total per month, worked out above.
EXPECTED = {
    **{m: {"A": "3600.00", "B": "7600.00"} for m in (7, 8)},
    9: {"A": "4100.00", "B": "7600.00"},
    **{m: {"A": "2516.67", "B": "5100.00", "C": "4283.33"} for m in (10, 11, 12, 1)},
    **{m: {"A": "2416.67", "B": "5000.00", "C": "4283.33"} for m in (2, 3)},
    **{m: {"A": "4083.33", "C": "7616.67"} for m in (4, 5, 6)},
}


@pytest.fixture
def book(year):
    """The FY2026 agency above, every month posted."""
    admin, agency = year.admin, year.tenant.agency
    c = members.membership_apply(agency=agency, application=members.Application(
        name="North District 3", kind=Institution.Kind.PUBLIC_K12, state="NY",
        contact_email=""))  # fmt: skip
    members.membership_approve(user=admin, membership=c, component=True,
                               joined_on=date(2025, 10, 1))  # fmt: skip
    who = {"A": year.a, "B": year.b, "C": c.institution}
    for key, rwada in (("A", "1000.00"), ("B", "3000.00"), ("C", "2000.00")):
        m = who[key].membership
        if key != "C":
            members.membership_update(user=admin, membership=m, component=True)
        members.membership_year_set(user=admin, membership=m, fiscal_year=FY, enrollment=900,
                                    rwada=D(rwada), aid_ratio=D("0.5"))  # fmt: skip
    for key, ratio in (("A", "0.5000"), ("B", "0.4000"), ("C", "0.6000")):
        aid.aid_ratio_set(user=admin, agency=agency, institution_id=who[key].pk, aid_year=2027,
                          ratio=D(ratio), data_years="2023 full value / 2023-24 RWADA")  # fmt: skip
    s = year.s
    adm, speech, net, privacy = s["share"], s["rate"], s["usage"], s["flat"]
    svc.service_update(user=admin, service=adm, all_components=True, aidable=True)
    svc.service_update(user=admin, service=speech, unit_rate=D("50.0000"))
    svc.service_update(user=admin, service=privacy, admin_fee_pct=D("0"))
    svc.service_update(user=admin, service=net, capacity=None)
    budgets = {adm: ("120000.00", "42000.00"), speech: ("7000.00", "33060.00"),
               net: ("12000.00", "30000.00"), privacy: ("1200.00", "25000.00")}  # fmt: skip
    for service, (budget, salary) in budgets.items():
        svc.service_year_set(user=admin, service=service, fiscal_year=FY, budget=D(budget),
                             positions=[("Staff", D(salary), D("1"))])  # fmt: skip
    subs = {"A": [(speech, 100), (net, 12), (privacy, 1)], "B": [(privacy, 1)],
            "C": [(speech, 36), (net, 27)]}  # fmt: skip
    for key, rows in subs.items():
        for service, qty in rows:
            svc.subscription_set(user=admin, institution=who[key], service=service,
                                 fiscal_year=FY, quantity=D(qty))  # fmt: skip
    svc.service_deactivate(user=admin, service=privacy, last_day=date(2026, 1, 31))
    members.membership_set_status(user=admin, membership=year.b.membership, status="withdrawn",
                                  effective_on=date(2026, 3, 31))  # fmt: skip
    for period in PERIODS:
        use = [("A", net, 1)]
        if period >= OCT:
            use += [("C", net, 3), ("C", speech, 4)]
        if period >= date(2025, 9, 1):
            use.append(("A", speech, 10))
        for key, service, qty in use:
            svc.usage_record(user=admin, institution=who[key], service=service, period=period,
                             quantity=D(qty))  # fmt: skip
        run = billing_run_compute(user=admin, agency=agency, period=period)
        billing_run_post(user=admin, run=run, issued_on=period + timedelta(days=32))
        if period == OCT:
            line = Invoice.objects.get(run=run, institution=year.a).lines.get(service=speech)
            ledger.memo_issue(user=admin, line=line, amount=D("100.00"),
                              reason="Two hours billed twice")  # fmt: skip
    ledger.payment_record(user=admin, institution=year.a, amount=D("50000.00"),
                          received_on=date(2026, 6, 20), reference="CHK 1001")  # fmt: skip
    for service, actual in ((adm, "120000.00"), (speech, "6120.00"), (net, "13000.00"),
                            (privacy, "1400.00")):  # fmt: skip
        svc.service_year_set(user=admin, service=service, fiscal_year=FY,
                             budget=D(budgets[service][0]), actual_cost=D(actual))  # fmt: skip
    year.who = who
    return year


def test_every_monthly_invoice_matches_the_hand_worked_figures(book):
    names = {inst.pk: key for key, inst in book.who.items()}
    for period in PERIODS:
        got = {names[i.institution_id]: str(i.total) for i in Invoice.objects.filter(
            period=period, run__kind="monthly")}  # fmt: skip
        assert got == EXPECTED[period.month], period
    a_oct = Invoice.objects.get(period=OCT, institution=book.a)
    lines = {ln.service.code: ln.amount for ln in a_oct.lines.all()}
    assert lines == {"001.000": D("1666.67"), "300.010": D("500.00"), "500.100": D("250.00"),
                     "601.200": D("100.00")}  # fmt: skip
    # B left at the end of March and the privacy service stopped in January: not billed after.
    assert not Invoice.objects.filter(institution=book.b, period__gte=APR).exists()
    assert not Invoice.objects.filter(lines__service=book.s["flat"], period__gte=FEB).exists()


def test_true_up_refunds_assesses_and_closes_the_year(book):
    agency, admin, who = book.tenant.agency, book.admin, book.who
    preview = yearend.true_up_preview(agency, FY)
    by = {(r.institution_id, r.service): r for r in preview.rows}
    a, c = who["A"].pk, who["C"].pk
    assert by[(a, "001.000")].charged == D("27500.01")
    assert by[(who["B"].pk, "001.000")].charged == D("52500.00")
    assert by[(c, "001.000")].charged == D("39999.99")
    assert by[(a, "300.010")].settlement == D("-424.18")
    assert by[(c, "300.010")].settlement == D("-155.82")
    assert by[(a, "500.100")].use_adjustment == D("-1557.69")
    assert by[(c, "500.100")].use_adjustment == D("1557.69")
    assert by[(a, "500.100")].settlement == D("307.69")
    assert by[(c, "500.100")].settlement == D("692.31")
    services = {s.service.code: s for s in preview.services}
    for code, actual in (("001.000", "120000.00"), ("300.010", "6120.00"),
                         ("500.100", "13000.00"), ("601.200", "1400.00")):  # fmt: skip
        assert services[code].final == D(actual), code  # every service at its actual cost

    run = yearend.true_up_post(user=admin, agency=agency, fiscal_year=FY)
    invoices = {i.institution_id: i for i in run.invoices.all()}
    assert set(invoices) == {a, c}
    assert invoices[a].total == D("307.69")
    assert invoices[c].total == D("2250.00")  # 1,557.69 use + 692.31 deficit
    memos = {m.institution_id: m for m in CreditMemo.objects.filter(source="true_up")}
    assert set(memos) == {a, c}
    assert memos[a].amount == D("1981.87")  # 424.18 refund + 1,557.69 use over-billed
    assert memos[c].amount == D("155.82")
    assert closing.year_closed(agency, FY)

    # A paid 50,000 against 38,757.70 invoiced less 2,081.87 credited: 13,324.17 in credit.
    st = statements.statement(who["A"], date(2026, 11, 30))
    assert st.balance == D("-13324.17") and st.unapplied == D("13324.17")
    assert all(item.open == 0 for item in st.items)
    assert st.aging == dict.fromkeys(statements.BUCKETS, D(0))

    estimate = aid.aid_estimate(agency, FY)
    got = {r.institution_id: r for r in estimate.members}
    assert got[a].by_category["administrative"] == D("12375.01")  # 27,500.01 x .9 x .5
    assert got[a].aid == D("12375.01") + D("1118.96") + D("2000.00") + D("350.00")
    assert got[c].aid == D("21599.99") + D("493.25") + D("5400.00")
    assert got[who["B"].pk].aid == D("18900.00") + D("280.00")
    assert estimate.not_shared == [] and estimate.missing_ratio == []

    # Closed: nothing more is dated into FY2026 until the administrator reopens it.
    with pytest.raises(ValidationError, match="closed"):
        svc.usage_record(user=admin, institution=who["A"], service=book.s["rate"],
                         period=date(2026, 6, 1), quantity=D("1"))  # fmt: skip
    with pytest.raises(ValidationError, match="closed"):
        ledger.payment_record(user=admin, institution=who["A"], amount=D("1.00"),
                              received_on=date(2026, 6, 30))  # fmt: skip
    line = Invoice.objects.filter(institution=who["A"], fiscal_year=FY).first().lines.first()
    with pytest.raises(ValidationError, match="closed"):
        ledger.memo_issue(user=admin, line=line, amount=D("1.00"), reason="late")
    with pytest.raises(ValidationError, match="closed"):
        billing_run_compute(user=admin, agency=agency, period=date(2026, 6, 1))
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        closing.year_reopen(user=book.tenant.users["business_office"], agency=agency,
                            fiscal_year=FY, reason="fix")  # fmt: skip
    closing.year_reopen(user=admin, agency=agency, fiscal_year=FY, reason="Audit adjustment")
    ledger.memo_issue(user=admin, line=line, amount=D("1.00"), reason="Audit adjustment")
    closing.year_reclose(user=admin, agency=agency, fiscal_year=FY)
    assert closing.year_closed(agency, FY)
    assert BillingRun.objects.filter(kind="true_up").count() == 1

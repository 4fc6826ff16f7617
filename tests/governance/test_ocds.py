"""OCDS 1.1 publication: valid against the official schema, never a sealed price."""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from tests.procurement.conftest import OPENING, build_bid
from tests.procurement.test_services import submit

from edcoop.governance import ocds
from edcoop.governance.models import PublicationSettings
from edcoop.procurement import opening

pytestmark = pytest.mark.django_db


def test_a_published_bid_is_a_valid_release_without_prices_until_opened(north, bid, clock):
    submit(north, bid, {"2.01": "0.2875"})
    package = ocds.package([north.agency], base_url="https://coop.example.org")
    assert ocds.validate(package) == []
    (release,) = package["releases"]
    assert release["ocid"] == "ocds-edcoop-north-IFB-2026-01"
    assert release["tender"]["status"] == "active"
    assert "bids" not in release and "0.2875" not in json.dumps(package)
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    bid.refresh_from_db()
    package = ocds.package([north.agency])
    assert ocds.validate(package) == []
    (release,) = package["releases"]
    assert release["bids"]["details"][0]["items"][0]["unitPrice"] == 0.2875
    assert "tenderUpdate" in release["tag"]
    tenderer = release["tender"]["tenderers"][0]["id"]
    assert any(p["id"] == tenderer and "tenderer" in p["roles"] for p in release["parties"])


def test_drafts_are_never_published(north, clock):
    build_bid(north, publish=False)
    assert ocds.package([north.agency])["releases"] == []


def test_the_agency_registered_prefix_makes_the_ocid(north, bid):
    PublicationSettings.objects.create(agency=north.agency, ocid_prefix="ocds-a1b2c3")
    release = ocds.package([north.agency])["releases"][0]
    assert release["ocid"] == "ocds-a1b2c3-IFB-2026-01"


def test_validation_catches_a_broken_package(north, bid):
    package = ocds.package([north.agency])
    package["version"] = "one"
    del package["releases"][0]["tag"]
    problems = ocds.validate(package)
    assert any(p.startswith("version:") for p in problems)
    assert any("'tag' is a required property" in p for p in problems)


def test_command_and_api(north, nation, bid):
    out = StringIO()
    call_command("export", "ocds", "--agency", "north", "--validate", stdout=out)
    data = json.loads(out.getvalue())
    assert [r["ocid"] for r in data["releases"]] == ["ocds-edcoop-north-IFB-2026-01"]
    with pytest.raises(CommandError) as caught:
        call_command("export", "ocds", "--agency", "north", "--since", "2026-13-01")
    assert caught.value.returncode == 2
    later = StringIO()
    call_command("export", "ocds", "--agency", "north", "--since", "2099-01-01", stdout=later)
    assert json.loads(later.getvalue())["releases"] == []  # nothing changed since then
    api = Client()
    everything = api.get("/api/v1/ocds/releases").json()
    assert ocds.validate(everything) == []
    assert api.get("/api/v1/ocds/releases", {"agency": "nowhere"}).status_code == 404
    since = api.get("/api/v1/ocds/releases", {"agency": "north", "since": "2099-01-01"}).json()
    assert since["releases"] == []
    one = api.get(f"/api/v1/agencies/north/solicitations/{bid.pk}/ocds")
    assert one.status_code == 200 and one.json()["ocid"].endswith("IFB-2026-01")
    draft = build_bid(north, number="IFB-2026-99", publish=False)
    staff = Client()
    staff.force_login(north.users["agency_admin"])
    assert staff.get(f"/api/v1/agencies/north/solicitations/{draft.pk}/ocds").status_code == 404


def test_contracts_from_the_award_and_what_was_ordered_under_them(north, bid, clock):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone
    from tests.contracts.conftest import make_contract

    from edcoop.contracts import orders, services
    from edcoop.procurement.models import Award

    submit(north, bid, {"2.01": "0.2875"})
    clock.set(OPENING)
    opening.solicitation_open(user=None, solicitation=bid)
    now = timezone.now()
    award = Award.objects.create(solicitation=bid, method="lowest_price", status="noticed",
                                 basis="Low bid", recommended_at=now, noticed_at=now,
                                 total=Decimal("95.75"))  # fmt: skip
    today = timezone.localdate()
    contract = make_contract(north, number="C-FROM-BID", starts_on=today - timedelta(days=10),
                             ends_on=today + timedelta(days=355))  # fmt: skip
    # As contracts.services.contract_from_award links it (that needs a final award's lines).
    type(contract).objects.filter(pk=contract.pk).update(solicitation=bid, source="award")
    services.item_save(user=north.users["procurement_officer"], contract=contract, sku="MILK",
                       description="Milk", unit="each", unit_price="0.2875")  # fmt: skip
    order = orders.order_create(user=north.users["member_buyer"], institution=north.institution,
                                contract=contract,
                                lines=[orders.LineInput(quantity="1000", sku="MILK")])  # fmt: skip
    orders.order_approve(user=north.users["member_buyer"], order=order)
    orders.order_send(user=north.users["member_buyer"], order=order)
    package = ocds.package([north.agency])
    assert ocds.validate(package) == []
    (release,) = package["releases"]
    (published,) = release["contracts"]
    assert published["awardID"] == f"award-{award.pk}" and published["status"] == "active"
    (transaction,) = published["implementation"]["transactions"]
    assert transaction["value"] == {"amount": 287.5, "currency": "USD"}
    assert {"contract", "implementation"} <= set(release["tag"])
    assert north.institution.name not in json.dumps(release)  # totals, not who bought
    # An order sent after the process last moved brings it back into a --since export.
    from edcoop.procurement.models import Solicitation, StatusChange

    later = timezone.now() - timedelta(seconds=1)
    StatusChange.objects.filter(solicitation=bid).update(at=later - timedelta(days=30))
    Award.objects.filter(pk=award.pk).update(noticed_at=later - timedelta(days=30))
    Solicitation.objects.filter(pk=bid.pk).update(opened_at=later - timedelta(days=30))
    type(contract).objects.filter(pk=contract.pk).update(created_at=later - timedelta(days=30))
    order.refresh_from_db()
    assert [r["ocid"] for r in ocds.package([north.agency], since=later)["releases"]] == [
        "ocds-edcoop-north-IFB-2026-01"
    ]
    type(order).objects.filter(pk=order.pk).update(sent_at=later - timedelta(days=29))
    assert ocds.package([north.agency], since=later)["releases"] == []


def test_main_procurement_category_comes_from_the_records(north, bid):
    """goods / works / services: from the contracts made from the process, else its category
    when that names the kind, else the agency's contracts in the same category, else goods."""
    from datetime import date

    from tests.contracts.conftest import make_contract

    from edcoop.procurement.models import Solicitation

    def tender():
        package = ocds.package([north.agency])
        assert ocds.validate(package) == []
        return package["releases"][0]["tender"]

    assert tender()["mainProcurementCategory"] == "goods"  # nothing says otherwise
    assert "additionalProcurementCategories" not in tender()
    # The agency's own service contracts in the bid's category ("Paper") classify it.
    other = make_contract(north, number="C-PAPER-SVC", kind="service",
                          starts_on=date(2026, 7, 1))  # fmt: skip
    assert tender()["mainProcurementCategory"] == "services"
    # A category that names the kind decides before the agency's other contracts do.
    Solicitation.objects.filter(pk=bid.pk).update(category="Public works")
    assert tender()["mainProcurementCategory"] == "works"
    # The contracts made from the process decide first; a second kind is an additional one.
    made = make_contract(north, number="C-FROM-BID", kind="commodity")
    type(made).objects.filter(pk=made.pk).update(solicitation=bid, source="award")
    type(other).objects.filter(pk=other.pk).update(solicitation=bid, source="award")
    second = make_contract(north, number="C-FROM-BID-2", kind="commodity")
    type(second).objects.filter(pk=second.pk).update(solicitation=bid, source="award")
    found = tender()
    assert found["mainProcurementCategory"] == "goods"
    assert found["additionalProcurementCategories"] == ["services"]


def _shared() -> Any:
    """../shared beside the project's checkout, or beside the main checkout of a worktree."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    checkouts = [root]
    dotgit = root / ".git"
    if dotgit.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(dotgit.read_text().split(":", 1)[1].strip())
        common = (gitdir / (gitdir / "commondir").read_text().strip()).resolve()
        checkouts.append(common.parent)
    for checkout in checkouts:
        if (checkout.parent / "shared").is_dir():
            return checkout.parent / "shared"
    return root.parent / "shared"


def test_the_schema_edcoop_validates_against_is_the_official_one():
    """ocds.validate reads the copy shipped inside the package (installed sites have no
    ../shared); it must be, byte for byte, the official OCDS 1.1 schema the project keeps in
    ../shared/domain/ocds-1.1, and validation must resolve the release schema offline."""
    from importlib import resources

    official = _shared() / "domain" / "ocds-1.1"
    if not official.is_dir():
        pytest.skip(f"{official} is not beside this checkout")
    shipped = resources.files("edcoop.governance") / "ocds_schema"
    for name in ("release-package-schema.json", "release-schema.json"):
        assert (shipped / name).read_bytes() == (official / name).read_bytes(), name
    package, release = ocds._schemas()
    assert package["id"].endswith("/1__1__5/release-package-schema.json")
    assert release["id"].endswith("/1__1__5/release-schema.json")


def test_validation_never_fetches_the_release_schema(north, bid, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("validation tried to use the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    package = ocds.package([north.agency])
    assert ocds.validate(package) == []
    package["releases"][0]["tender"]["status"] = "not-a-status"
    assert any("tender/status" in p for p in ocds.validate(package))


def test_the_public_package_costs_the_same_queries_for_more_processes(north, clock):
    """Fast, and no load lever for a visitor: the public release package reads a fixed number
    of queries however many processes the agency published, each opened, awarded, with a
    contract and orders under it (before: about 20 queries per release)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from tests.contracts.conftest import make_contract
    from tests.procurement.conftest import NOW, approve

    from edcoop.contracts import orders, services
    from edcoop.procurement.models import Award, AwardLine

    approve(north, north.supplier)

    def more(i: int) -> None:
        clock.set(NOW)
        s = build_bid(north, number=f"IFB-2026-{i:02}")
        receipt = submit(north, s, {"2.01": "0.2875"})
        clock.set(OPENING)
        opening.solicitation_open(user=None, solicitation=s)
        now = timezone.now()
        award = Award.objects.create(solicitation=s, method="lowest_price", status="noticed",
                                     basis=f"Low bid on {s.number}", recommended_at=now,
                                     noticed_at=now, total=Decimal("287.50"))  # fmt: skip
        item = s.items.get(number="2.01")
        AwardLine.objects.create(award=award, item=item, response_id=receipt.response_id,
                                 supplier=north.supplier, quantity=Decimal("1000"),
                                 unit_price=Decimal("0.2875"),
                                 amount=Decimal("287.50"))  # fmt: skip
        today = timezone.localdate()
        contract = make_contract(north, number=f"C-{i:02}", starts_on=today - timedelta(days=10),
                                 ends_on=today + timedelta(days=355))  # fmt: skip
        type(contract).objects.filter(pk=contract.pk).update(solicitation=s, source="award")
        services.item_save(user=north.users["procurement_officer"], contract=contract,
                           sku="MILK", description="Milk", unit="each",
                           unit_price="0.2875")  # fmt: skip
        buyer = north.users["member_buyer"]
        for _ in range(2):
            line = orders.LineInput(quantity="1000", sku="MILK")
            order = orders.order_create(user=buyer, institution=north.institution,
                                        contract=contract, lines=[line])  # fmt: skip
            orders.order_approve(user=buyer, order=order)
            orders.order_send(user=buyer, order=order)

    def cost() -> tuple[int, dict[str, Any]]:
        with CaptureQueriesContext(connection) as queries:
            response = Client().get("/api/v1/ocds/releases", {"agency": "north"})
        assert response.status_code == 200
        return len(queries.captured_queries), response.json()

    more(1)
    one, package = cost()
    (release,) = package["releases"]
    assert {"award", "contract", "implementation"} <= set(release["tag"])
    for i in range(2, 7):
        more(i)
    six, package = cost()
    assert len(package["releases"]) == 6 and ocds.validate(package) == []
    for release in package["releases"]:
        (transaction,) = release["contracts"][0]["implementation"]["transactions"]
        assert transaction["value"]["amount"] == 575  # both orders, in the quarter's total
        assert release["bids"]["details"][0]["items"][0]["unitPrice"] == 0.2875
        assert release["awards"][0]["items"][0]["unit"]["value"]["amount"] == 0.2875
    assert six == one

"""The generated browser crawl (issue 11): every URL pattern of the product, as the demo
logins of both agencies and as nobody, in Chromium at phone and desktop widths.

Routes are found, not listed (tests/routes.py, as the sealed walk finds them). Each login's
pages are found the way that person finds them: from its home, following every link and
form it is shown (in-process, with Django's test client); a pattern no link reaches is
filled from the demo data (``fills``). Then Chromium opens the pages and asserts, on every
one: no axe WCAG 2.1 A/AA violation, no sideways scroll (the document is never wider than
the viewport; a wide table scrolls inside its named region, a tab stop only while it
scrolls), no console or CSP error, no 5xx. Every download a login opens answers with its
file (checked where it is found). A POST form's target is requested with GET as well (a
405, or a page that is then checked) and counts as reached through the page showing the
form. The patterns no login can open are listed in ``NOT_PAGES`` with the reason; any
other pattern the crawl cannot reach fails it. Every state a page shows is in the demo
(a draft solicitation, a question to answer, a pending protest, a draft billing run, a
contract to adopt, ...), except a reopened year: the crawl reopens the demo's closed year
after discovery, as its administrator would, and the business office finds the form that
closes it again (``reopened``).

Two depths, both fixed (a failure reproduces: same demo, same order, same choices):

- ``make test`` runs the **sample** (``EDCOOP_CRAWL`` unset or ``sample``): discovery stops
  following a pattern once enough logins (of both agencies where both have it, and one of
  the login's own audience: staff, member, supplier or public, whose pages show different
  links and forms) have opened it, a download once it has answered; past that it still
  follows a few records of each pattern in states not seen yet (up to ``INSTANCES`` per
  agency and audience, and the first linked from each kind of page: a draft run links to
  draft invoices, the invoice list to issued ones); then every page pattern is opened
  twice, at 375 px by one login and at 1280 px by another, preferably of the other agency,
  both chosen from the pattern's name so the logins rotate over the patterns. The sample
  is bounded by count, not by the clock: at most ``MAX_REQUESTS`` discovery requests and
  ``MAX_VISITS`` browser visits. A product that outgrows either fails the test saying so
  (raise the bound with a new measurement in docs/performance.md); it never passes having
  checked less.
- ``make crawl`` (``EDCOOP_CRAWL=full``) opens every page of every login at 320, 375 and
  1280 px; ``EDCOOP_CRAWL=off`` skips the test.

The sample runs in the SQLite phase of CI only: what it checks (axe, layout, console, the
pages' HTML) does not depend on the database, and the PostgreSQL phase already requests
every pattern as every role for server errors (tests/web/test_sealed_walk.py) and runs the
e2e flows. ``make crawl`` runs on whichever database ``DATABASE_URL`` names. Durations are
in docs/performance.md; every problem found is also written to ``var/crawl-problems.txt``.
"""

from __future__ import annotations

import os
import re
import time
import zlib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from tests.routes import walk

from edcoop import demo
from edcoop.core.job_kinds import AUDIT_VERIFY
from edcoop.core.models import Job
from edcoop.members.models import Agency, SupplierChangeRequest
from edcoop.members.services import contact_confirm_path

from .conftest import WCAG_TAGS, Page

MODE = os.environ.get("EDCOOP_CRAWL", "sample").lower() or "sample"
FULL = MODE == "full"
ON_POSTGRESQL = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]
# Skipped before any fixture runs (the demo build alone costs a minute per database).
pytestmark = [
    pytest.mark.skipif(
        MODE not in ("sample", "full"), reason=f"EDCOOP_CRAWL={MODE}: the crawl is off"
    ),
    pytest.mark.skipif(
        MODE == "sample" and ON_POSTGRESQL,
        reason="the crawl's sample runs in the SQLite phase: the browser checks do not depend "
        "on the database, and the sealed walk requests every pattern on PostgreSQL "
        "(EDCOOP_CRAWL=full runs it here)",
    ),
]
WIDTHS = (320, 375, 1280) if FULL else (375, 1280)
# How many URLs of one pattern each login's discovery follows (a solicitation in each state
# shows different links; more adds requests, not patterns).
FOLLOW_PER_PATTERN = 4 if FULL else 2
# The sample's discovery stops following a pattern once this many logins opened it (and
# logins of both agencies, where both have it): the rotation needs a choice, not everyone.
ENOUGH_OPENERS = 3
# ... and follows at most this many URLs of one pattern per agency that nobody fetched yet.
INSTANCES = 5
# The sample's bounds (by count, so the box is the same on a fast and a loaded machine).
MAX_REQUESTS = 2_500
MAX_VISITS = 320

# Patterns that are not pages for anybody, with why. The crawl fails on a pattern that is
# neither reached nor listed here, and on a listed one it reaches (the list stays honest).
NOT_PAGES = {
    "admin/": "the Django admin is for installation operators, not a demo role "
    "(tests/core/test_admin.py)",
    "api/": "the API answers JSON, not pages: the sealed walk and schemathesis request it",
    "accounts/logout/": "POST only; it would end the session being crawled",
}
# Patterns with a layout or axe problem not yet fixed, each with what it is: issue 11's list
# of what remains. The crawl fails on a problem anywhere else.
KNOWN: dict[str, str] = {}

WIDER_THAN_VIEWPORT = "() => document.documentElement.scrollWidth - window.innerWidth"
REGIONS = """() => Array.from(document.querySelectorAll('.table-scroll')).map(r => ({
  scrolls: r.scrollWidth > r.clientWidth + 1,
  focusable: r.getAttribute('tabindex') === '0',
  role: r.getAttribute('role'),
  named: !!(r.getAttribute('aria-label') || r.getAttribute('aria-labelledby')),
}))"""
# After a resize the page's script updates the scroll regions on the next animation frame.
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
# axe is loaded into every page of a context once (an init script); only violations are
# computed and only what the report prints comes back.
AXE_RUN = """options => axe.run(document, options).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map(n => n.target)})))"""
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

HREF = re.compile(r'<(?:a|link)\b[^>]*\bhref="(/[^"#]*)"', re.I)
FORM = re.compile(r"<form\b([^>]*)>", re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
AGENCY = re.compile(r"^/a/([\w-]+)/")


@dataclass
class Seen:
    url: str
    status: int
    content_type: str
    download: bool


@dataclass
class Login:
    username: str
    agency: str
    client: Client
    audience: str = "public"  # staff, member, supplier or public: who the pages are for


@dataclass
class Crawl:
    """What discovery found: per login, the URLs seen per pattern; who opened each pattern
    (and of which audiences)."""

    full: bool
    requests: int = 0
    found: dict[str, dict[str, list[Seen]]] = field(default_factory=dict)
    openers: dict[str, list[tuple[str, Seen]]] = field(default_factory=lambda: defaultdict(list))
    downloads: set[str] = field(default_factory=set)  # patterns whose download answered
    actions: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    audiences: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fetched: set[tuple[str, str]] = field(default_factory=set)  # (audience, url)
    instances: dict[tuple[str, str, str], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    # (pattern, the pattern of the page linking to it, who): one URL of a pattern is followed
    # from each kind of page that links to it (a draft run links to draft invoices, the
    # invoice list to issued ones, and only those show the memo form).
    via: set[tuple[str, str, str]] = field(default_factory=set)

    def enough(self, route: str, audience: str) -> bool:
        """The sample has what it needs of ``route`` for a login of ``audience``: its
        download answered, or enough logins (of both agencies, or of the one that has it)
        opened the page, one of them of ``audience`` (a contract shows a member the forms to
        adopt and order, staff the forms to edit it)."""
        if self.full:
            return False
        if route in self.downloads and not self.openers.get(route):
            return True
        if audience not in self.audiences[route]:
            return False
        who = self.openers.get(route, [])
        agencies = {agency_of(seen.url) for _, seen in who}
        return len(who) >= ENOUGH_OPENERS or (len(who) >= 2 and {"lakes", "nation"} <= agencies)

    def who(self, login: Login) -> str:
        return login.username if self.full else login.audience

    def wanted(self, mine: list[Seen], route: str, url: str, login: Login, source: str) -> bool:
        """Whether ``login``, having fetched ``mine`` of ``route``, fetches ``url``, linked
        from a page of pattern ``source``. Full: up to ``FOLLOW_PER_PATTERN`` of each
        pattern, and the first linked from each other pattern. Sample: that too until the
        pattern has enough openers; after it, a URL nobody of the login's audience fetched
        yet while the pattern has fewer than ``INSTANCES`` in its agency for that audience
        or is the first linked from ``source`` (records in other states show other links)."""
        audience = login.audience
        if len(mine) < FOLLOW_PER_PATTERN and not self.enough(route, audience):
            return True
        if route in self.downloads:
            return False
        first_via = (route, source, self.who(login)) not in self.via
        if self.full:
            return first_via
        if (audience, url) in self.fetched:
            return False
        return len(self.instances[route, agency_of(url), audience]) < INSTANCES or first_via

    def get(self, login: Login, url: str, route: str, source: str = "") -> Any:
        self.requests += 1
        if not self.full and self.requests > MAX_REQUESTS:
            raise Bounded(
                f"discovery passed its bound of {MAX_REQUESTS} requests (at {url}): the sample "
                "grew; raise MAX_REQUESTS with a new measurement in docs/performance.md"
            )
        self.fetched.add((login.audience, url))
        self.via.add((route, source, self.who(login)))
        self.instances[route, agency_of(url), login.audience].add(url)
        started = time.monotonic()
        answer = login.client.get(url)
        self.seconds[route] += time.monotonic() - started
        return answer


class Bounded(Exception):
    pass


def agency_of(url: str) -> str:
    match = AGENCY.match(url)
    return match.group(1) if match else ""


def known(problem: str) -> bool:
    """A layout or axe problem already known on that pattern (``KNOWN``): tolerated and
    printed. A 5xx, a failed download or an unreached pattern never is."""
    if "answered" in problem or problem.startswith("not reached"):
        return False
    url = problem.split(" ")[1]
    return route_of(urlsplit(url).path) in KNOWN


def route_of(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def excluded(route: str) -> bool:
    return any(route.startswith(prefix) for prefix in NOT_PAGES)


def links(html: str) -> list[str]:
    """Every local URL a person can follow from the page: links and GET forms (POST forms
    are recorded as actions, see ``form_actions``)."""
    out = [unescape(h) for h in HREF.findall(html)]
    return [u for u in out if not u.startswith("/static/")]


def form_actions(html: str, path: str) -> list[tuple[str, str]]:
    out = []
    for attrs in FORM.findall(html):
        a = dict(ATTR.findall(attrs))
        action = unescape(a.get("action", "")) or path
        if action.startswith("/"):
            out.append((a.get("method", "get").lower(), action))
    return out


def fills(agency_slug: str) -> dict[str, list[str]]:
    """URLs no page links to, built from the demo data: the password-reset link a person
    gets by e-mail and the link mailed to confirm a supplier's new contact address, the
    thanks pages after a form, the progress page of a check of the audit trail just asked
    for (what the auditor sees before the worker starts it)."""
    User = get_user_model()
    name = "auditor@lakes.example.org" if agency_slug == "lakes" else "admin@nation.example.org"
    user = User.objects.get(username=name)
    agency = Agency.objects.get(slug=agency_slug)
    job = Job.objects.create(
        kind=AUDIT_VERIFY, title="Verification of the audit trail", agency_id=agency.pk,
        created_by=user, params={"back_url": f"/a/{agency_slug}/audit/"},
    )  # fmt: skip
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    out = {
        "accounts/reset/<uidb64>/<token>/": [f"/accounts/reset/{uid}/{token}/"],
        "accounts/reset/done/": ["/accounts/reset/done/"],
        "accounts/password_reset/done/": ["/accounts/password_reset/done/"],
        "accounts/password_change/done/": ["/accounts/password_change/done/"],
        "a/<slug:slug>/join/thanks/": [f"/a/{agency_slug}/join/thanks/"],
        "a/<slug:slug>/jobs/<int:pk>/": [f"/a/{agency_slug}/jobs/{job.pk}/"],
        "a/<slug:slug>/suppliers/register/thanks/": [
            f"/a/{agency_slug}/suppliers/register/thanks/"
        ],
    }
    contact = SupplierChangeRequest.objects.filter(
        supplier__agency=agency, kind=SupplierChangeRequest.Kind.CONTACT,
        status=SupplierChangeRequest.Status.PENDING,
    ).select_related("supplier__agency").first()  # fmt: skip
    if contact is not None:
        out["a/<slug:slug>/supplier/contact/<str:token>/"] = [contact_confirm_path(contact)]
    return out


def reopened() -> dict[str, list[str]]:
    """Reopen the demo's closed year as its agency administrator would (a state the demo
    does not keep: its year-end story is a closed year); the URLs to discover again, per
    login, to find the form that closes it again."""
    from edcoop.billing import closing
    from edcoop.billing.models import YearClose

    years = YearClose.objects.filter(agency__slug="lakes", closed=True).select_related("agency")
    closed = years.order_by("fiscal_year").last()
    assert closed is not None, "the demo has no closed year to reopen"
    admin = get_user_model().objects.get(username="admin@lakes.example.org")
    closing.year_reopen(user=admin, agency=closed.agency, fiscal_year=closed.fiscal_year,
                        reason="A courier credit was dated into the wrong year.")  # fmt: skip
    return {"business@lakes.example.org": [f"/a/lakes/billing/year-end/{closed.fiscal_year}/"]}


def body_of(answer: Any) -> bytes:
    if getattr(answer, "streaming", False):
        return b"".join(answer.streaming_content)
    return bytes(answer.content)


def discover(crawl: Crawl, login: Login, starts: list[str]) -> None:
    """Follow every link from ``starts`` as ``login``: record the URLs seen per pattern, who
    opened each page, the downloads, and the patterns of the POST forms shown (actions)."""
    pages: dict[str, list[Seen]] = crawl.found.setdefault(login.username, defaultdict(list))
    # Each URL with the pattern of the page that links to it ("" for a start).
    queue: deque[tuple[str, str]] = deque((url, "") for url in starts)
    first = set(starts)
    done: set[str] = set()
    while queue:
        url, source = queue.popleft()
        path = urlsplit(url).path
        route = route_of(path)
        if url in done or route is None or excluded(route):
            continue
        if url not in first and not crawl.wanted(pages[route], route, url, login, source):
            continue
        done.add(url)
        answer = crawl.get(login, url, route, source)
        if answer.status_code in (301, 302):
            queue.appendleft((answer["Location"], source))
            first.add(answer["Location"])  # where a start leads is a start
            continue
        ctype = answer.get("Content-Type", "")
        download = not ctype.startswith("text/html")
        seen = Seen(url, answer.status_code, ctype, download)
        pages[route].append(seen)
        if answer.status_code >= 500:
            crawl.problems.append(f"{login.username} {url}: answered {answer.status_code}")
        if answer.status_code != 200:
            continue
        if download:
            size = len(body_of(answer))
            if size:
                crawl.downloads.add(route)
            else:
                crawl.problems.append(f"{login.username} {url}: download answered 0 B")
            continue
        if all(who != login.username for who, _ in crawl.openers.get(route, [])):
            crawl.openers[route].append((login.username, seen))
            crawl.audiences[route].add(login.audience)
        html = answer.content.decode()
        queue += ((link, route) for link in links(html))
        for method, action in form_actions(html, path):
            action_route = route_of(urlsplit(action).path)
            if action_route is None:
                continue
            if method == "post":
                crawl.actions.add(action_route)
            queue.append((action, route))  # an action answers GET with 405 or shows its page


def logins() -> list[Login]:
    """Nobody first, then the demo logins, the two agencies' alternately (so the sample's
    discovery meets both early)."""
    by_agency: dict[str, list[Login]] = defaultdict(list)
    seen = set()
    for login in demo.logins():
        if login.username in seen:
            continue
        seen.add(login.username)
        user = get_user_model().objects.get(username=login.username)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        assignment = user.role_assignments.select_related("agency").first()
        assert assignment is not None, login.username
        agency = assignment.agency.slug
        audience = (
            "supplier" if assignment.supplier_id
            else "member" if assignment.institution_id
            else "staff"
        )  # fmt: skip
        by_agency[agency].append(Login(login.username, agency, client, audience))
    out = [Login("anonymous", "", Client(raise_request_exception=False))]
    lists = list(by_agency.values())
    for i in range(max(len(group) for group in lists)):
        out += [group[i] for group in lists if i < len(group)]
    return out


def starts_of(login: Login) -> list[str]:
    if login.username == "anonymous":
        return ["/", "/a/lakes/", "/a/nation/", "/accounts/login/", "/accounts/password_reset/"]
    return [f"/a/{login.agency}/", "/accounts/password_change/"]


def pick(key: str, n: int) -> int:
    return zlib.crc32(key.encode()) % n


def sample(crawl: Crawl) -> list[tuple[str, Seen, int]]:
    """(login, page, width) to open in Chromium. Full: every login's first page of every
    pattern it opens, at every width. Sample: each pattern at 375 px by one opener and at
    1280 px by another, of the other agency where there is one."""
    visits: list[tuple[str, Seen, int]] = []
    for route in sorted(r for r, who in crawl.openers.items() if who):
        who = crawl.openers[route]
        if crawl.full:
            visits += [(name, seen, w) for name, seen in who for w in WIDTHS]
            continue
        phone = who[pick(route, len(who))]
        others = [o for o in who if agency_of(o[1].url) != agency_of(phone[1].url)]
        others = others or [o for o in who if o[0] != phone[0]] or [phone]
        desk = others[pick(route + "|1280", len(others))]
        visits += [(phone[0], phone[1], 375), (desk[0], desk[1], 1280)]
    return visits


@pytest.fixture
def demo_data(demo_db: None, settings: Any) -> None:
    # The session's demo build (tests/conftest.py), given back whole to this test.
    for name in dir(django_settings):
        if name.startswith("EDCOOP_RATE_"):
            setattr(settings, name, "1000000/h")  # crawl the pages, not the limiter


def browse(
    browser: Any, base_url: str, login: Login, visits: list[tuple[Seen, int]]
) -> tuple[list[str], dict[str, float]]:
    """Open ``visits`` as ``login`` in one browser context; each URL is loaded once and
    checked at each of its widths (narrowest first; the page is resized between)."""
    from axe_playwright_python.base import AXE_SCRIPT

    problems: list[str] = []
    seconds: dict[str, float] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(15_000)
    context.add_init_script(script=AXE_SCRIPT)
    session = login.client.cookies.get(django_settings.SESSION_COOKIE_NAME)
    if session is not None:
        context.add_cookies([{
            "name": django_settings.SESSION_COOKIE_NAME, "value": session.value, "url": base_url,
        }])  # fmt: skip
    tab = Page(context.new_page(), base_url)
    widths: dict[str, list[int]] = defaultdict(list)
    for seen, width in visits:
        widths[seen.url].append(width)
    for url in sorted(widths):
        started = time.monotonic()
        tab.problems.clear()
        for i, width in enumerate(sorted(widths[url])):
            where = f"{login.username} {url} at {width} px"
            tab.set_viewport_size({"width": width, "height": 800})
            if i == 0:
                response = tab.goto(url)
                if response is None or response.status >= 400:
                    problems.append(f"{where}: answered {response and response.status}")
                    break
            else:
                tab.evaluate(TWO_FRAMES)
            overflow = tab.evaluate(WIDER_THAN_VIEWPORT)
            if overflow > 0:
                problems.append(f"{where}: scrolls sideways by {overflow} px")
            for region in tab.evaluate(REGIONS):
                if region["role"] != "region" or not region["named"]:
                    problems.append(f"{where}: a table scroll region has no role or name")
                elif region["focusable"] != region["scrolls"]:
                    problems.append(f"{where}: a scroll region is a tab stop only if it scrolls")
            for v in tab.evaluate(AXE_RUN, AXE_OPTIONS):
                targets = ", ".join(str(t) for t in v["targets"])
                problems.append(f"{where}: axe {v['id']} ({v['impact']}) at {targets}")
        problems += [f"{login.username} {url}: {p}" for p in tab.problems]
        seconds[url] = time.monotonic() - started
    context.close()
    return problems, seconds


def test_every_page_as_every_login_at_phone_and_desktop_widths(
    browser: Any, live_server: Any, demo_data: None
) -> None:
    started = time.monotonic()
    load = os.getloadavg()[0]
    routes = [route for route, _ in walk() if not excluded(route)]
    people = logins()
    crawl = Crawl(full=FULL)
    filled = {slug: fills(slug) for slug in ("lakes", "nation")}
    try:
        for login in people:
            discover(crawl, login, starts_of(login))
            pages = crawl.found[login.username]
            for route, urls in filled[login.agency or "lakes"].items():
                if not pages.get(route) and not crawl.enough(route, login.audience):
                    discover(crawl, login, urls)
        # A reopened year shows the form that closes it again: reopened after everyone's
        # discovery (a closed year shows the form that reopens it).
        by_name = {login.username: login for login in people}
        for username, urls in reopened().items():
            discover(crawl, by_name[username], urls)
    except Bounded as bound:
        pytest.fail(str(bound))
    discovered = time.monotonic() - started

    reached = {r for r, who in crawl.openers.items() if who} | crawl.downloads
    unreached = [
        r for r in routes if r not in reached and r not in crawl.actions
    ]  # fmt: skip
    actions_only = sorted(r for r in routes if r not in reached and r in crawl.actions)

    visits = sample(crawl)
    if not FULL and len(visits) > MAX_VISITS:
        pytest.fail(
            f"the sample has {len(visits)} browser visits, past its bound of {MAX_VISITS}: "
            "raise MAX_VISITS with a new measurement in docs/performance.md"
        )
    by_login: dict[str, list[tuple[Seen, int]]] = defaultdict(list)
    for who, seen, width in visits:
        by_login[who].append((seen, width))
    problems = list(crawl.problems)
    page_seconds: dict[str, float] = {}
    for login in people:
        if by_login.get(login.username):
            found, seconds = browse(browser, live_server.url, login, by_login[login.username])
            problems += found
            page_seconds.update({f"{login.username} {u}": s for u, s in seconds.items()})

    elapsed = time.monotonic() - started
    tolerated = [p for p in problems if known(p)]
    problems = [p for p in problems if not known(p)]
    if tolerated:
        print("known, not yet fixed:\n" + "\n".join(tolerated))
    out = Path(__file__).resolve().parents[2] / "var" / "crawl-problems.txt"
    out.parent.mkdir(exist_ok=True)
    problems += [f"not reached: {r}" for r in unreached]
    out.write_text("\n".join(problems) + "\n")
    pages_n = sum(len(p) for p in crawl.openers.values())
    slow = sorted(crawl.seconds.items(), key=lambda kv: -kv[1])[:8]
    slow_pages = sorted(page_seconds.items(), key=lambda kv: -kv[1])[:8]
    print(
        f"\ncrawl ({'full' if FULL else 'sample'}): {len(routes)} patterns, {len(people)} "
        f"logins, {crawl.requests} discovery requests, {pages_n} (login, pattern) pages, "
        f"{len(crawl.downloads)} download patterns, {len(visits)} browser visits; "
        f"discovery {discovered:.0f} s, total {elapsed:.0f} s (load {load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end); {len(actions_only)} patterns are form actions "
        f"only\nslowest patterns to discover: "
        + ", ".join(f"{r} {s:.1f} s" for r, s in slow)
        + "\nslowest pages in the browser: "
        + ", ".join(f"{u} {s:.1f} s" for u, s in slow_pages)
    )
    # "not reached": no login's links lead there; link it, fill it in ``fills`` or say why in
    # NOT_PAGES.
    assert not problems, f"{len(problems)} problems (all in {out}):\n" + "\n".join(problems[:80])

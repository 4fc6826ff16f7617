"""Benchmark: the last minutes before a bid deadline, against the production server.

    .venv/bin/python bench/deadline_rush.py                 # PostgreSQL, the full rush
    .venv/bin/python bench/deadline_rush.py --quick         # PostgreSQL, a short one
    .venv/bin/python bench/deadline_rush.py --sqlite --quick
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edcoop_bench_rush  (the default; the
    database is dropped and made again; needs a role that may do that)

1. A fresh database, migrated; one agency, ``--suppliers`` approved suppliers each with a
   representative and an API token, a published bid closing ``--window`` seconds after the
   rush starts.
2. ``edcoop serve`` (gunicorn, ``--workers``) on 127.0.0.1, production settings on PostgreSQL.
3. The rush: each supplier submits a response and two revisions inside the window, a third
   of all submissions in its last tenth (the last 60 s of 10 minutes); at most
   ``--connections`` requests open at once; 5% of submissions sent twice with the same
   idempotency key; a client timeout retries with the same key; ``--late`` attempts in the
   10 s after the deadline. Every request goes to 127.0.0.1 and their number is bounded.
4. Verification in the database: every acknowledged submission stored exactly once with the
   receipt it was given, one current response per supplier that submitted, every refusal as
   late sent at or after the deadline (or how early, when not), no 5xx.
5. Capacity: open loop at constant arrival rates (revisions on a bid due next week), the
   highest at which p99 stays under 1 s with no error.
6. CPU per request: the server's worker processes plus the database's backends, for
   sequential submissions and for as many authenticated ``GET /api/v1/me``.

Prints the figures and the machine's load average (docs/performance.md records them).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/edcoop_bench_rush"
TICK = os.sysconf("SC_CLK_TCK")
MS = timedelta(milliseconds=1)


@dataclass
class Attempt:
    supplier: int
    key: str
    body: bytes
    at: float  # scheduled send, seconds on the client's wall clock (time.time())
    sent: float = 0.0
    status: int = 0
    latency: float = 0.0
    tries: int = 0
    answer: dict[str, Any] = field(default_factory=dict)
    duplicate: bool = False
    reconnects: int = 0


# Setup ------------------------------------------------------------------------------------


def environment(args: argparse.Namespace, tmp: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {
        "EDCOOP_SEALING_KEY": Fernet.generate_key().decode(),
        "EDCOOP_AUDIT_KEY": secrets.token_urlsafe(32),
        "EDCOOP_SECRET_KEY": secrets.token_urlsafe(50),
        "EDCOOP_VAR_DIR": str(tmp / "var"),
        "EDCOOP_CHECKPOINT_DIR": str(tmp / "checkpoints"),
        "EDCOOP_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "EDCOOP_LOG_LEVEL": "WARNING",
        "EDCOOP_THREADS": str(args.threads),  # more than 1: gunicorn's gthread workers
    }
    if args.sqlite:
        env |= {"EDCOOP_ENV": "development",
                "DATABASE_URL": f"sqlite:///{tmp / 'rush.sqlite3'}"}  # fmt: skip
    else:
        env |= {"EDCOOP_ENV": "production", "EDCOOP_ALLOWED_HOSTS": "127.0.0.1",
                "EDCOOP_SSL_REDIRECT": "false",
                "DATABASE_URL": os.environ.get("DATABASE_URL", PG_DEFAULT)}  # fmt: skip
    return env


def seed(suppliers: int, window: float, lead: float) -> dict[str, Any]:
    """Agency, suppliers with tokens, the rush bid and the capacity bid (this process)."""
    from decimal import Decimal

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from tests.conftest import make_tenant

    from edcoop.api.services import token_create
    from edcoop.members import services as ms
    from edcoop.members.models import Role
    from edcoop.procurement import drafting, publication

    tenant = make_tenant("rush", kind="national", state="MN", time_zone="America/Chicago")
    officer, admin = tenant.users["procurement_officer"], tenant.users["agency_admin"]

    def bid(number: str, due: datetime) -> tuple[int, list[int]]:
        s = drafting.solicitation_create(
            user=officer, agency=tenant.agency, number=number, title="Copy paper",
            kind="ifb", category="Paper", required_attestations=["non_collusion"],
            questions_due_at=min(now + timedelta(seconds=60), due), responses_due_at=due,
            opening_at=due + timedelta(days=1),
        )  # fmt: skip
        lot = drafting.lot_add(user=officer, solicitation=s, title="Paper", award_basis="per_item")
        ids = [drafting.item_add(user=officer, lot=lot, number=f"1.0{i}", unit="case",
                                 description=f"Copy paper {i}",
                                 estimated_quantity=Decimal("100")).pk
               for i in (1, 2)]  # fmt: skip
        publication.solicitation_publish(user=officer, solicitation=s)
        return s.pk, ids

    people = []
    user_model = get_user_model()
    for i in range(suppliers):
        sup = ms.supplier_register(agency=tenant.agency, legal_name=f"Supplier {i:04d} Inc",
                                   tax_id=f"{20 + i // 10000:02d}-{1000000 + i:07d}")  # fmt: skip
        ms.supplier_set_status(user=admin, supplier=sup, status="active")
        rep = user_model.objects.create_user(username=f"rep{i:04d}", password=None)
        ms.role_assign(user=None, agency=tenant.agency, person=rep, role=Role.SUPPLIER_REP,
                       supplier=sup)  # fmt: skip
        _, token = token_create(user=rep, name="bench")
        people.append({"supplier": sup.pk, "token": token})
    # The bids last, so that the window starts ``lead`` seconds after seeding however long
    # seeding took on a loaded machine.
    now = datetime.now(UTC)
    due = now + timedelta(seconds=lead + window)
    rush_id, rush_items = bid("IFB-RUSH", due)
    cap_id, cap_items = bid("IFB-CAPACITY", now + timedelta(days=7))
    connection.close()
    return {"due": due.timestamp(), "rush": [rush_id, rush_items], "people": people,
            "capacity": [cap_id, cap_items]}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], workers: int, port: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "edcoop.cli", "serve", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}"],
        env=os.environ | env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(300):
        try:
            if request(port, "GET", "/readyz", None, {}, 2)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the server did not become ready; see {log}")


# HTTP ---------------------------------------------------------------------------------------


def request(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str],
            timeout: float) -> tuple[int, dict[str, Any]]:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json",
                                                       **headers})  # fmt: skip
        answer = conn.getresponse()
        raw = answer.read()
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"raw": raw[:200].decode(errors="replace")}
        return answer.status, data
    finally:
        conn.close()


def send(port: int, path: str, attempt: Attempt, token: str, timeout: float) -> None:
    """Send at its time; after a client timeout (three tries) or a refused or dropped
    connection (a server restarting: for up to 30 s), again with the same key. The latency
    runs from the first send to the answer."""
    delay = attempt.at - time.time()
    if delay > 0:
        time.sleep(delay)
    attempt.sent = time.time()
    timeouts = 0
    while True:
        attempt.tries += 1
        try:
            attempt.status, attempt.answer = request(
                port, "POST", path, attempt.body, {"Authorization": f"Bearer {token}"}, timeout
            )
            attempt.latency = time.time() - attempt.sent
            return
        except TimeoutError:
            timeouts += 1
            if timeouts < 3:
                continue
            attempt.status, attempt.answer = -2, {"error": "timed out three times"}
        except OSError as exc:  # refused, reset: the server is restarting
            attempt.reconnects += 1
            if time.time() - attempt.sent < 30:
                time.sleep(0.5)
                continue
            attempt.status, attempt.answer = -1, {"error": str(exc)}
        attempt.latency = time.time() - attempt.sent
        return


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# The rush -----------------------------------------------------------------------------------


def rush_schedule(world: dict[str, Any], args: argparse.Namespace) -> list[Attempt]:
    rng = random.Random(7)
    due, window = world["due"], args.window
    last = window / 10  # the last 60 s of 10 minutes
    _, items = world["rush"]
    attempts: list[Attempt] = []
    for n, person in enumerate(world["people"]):
        times = sorted(
            due - (rng.uniform(0, last) if rng.random() < 1 / 3 else rng.uniform(last, window))
            for _ in range(3)
        )
        for version, at in enumerate(times, 1):
            price = f"{20 + version}.{n % 100:02d}"
            body = {"supplier_id": person["supplier"], "attestations": ["non_collusion"],
                    "idempotency_key": f"s{n}-v{version}-{secrets.token_hex(4)}",
                    "lines": [{"item_id": items[0], "unit_price": price},
                              {"item_id": items[1], "unit_price": f"{30 + version}"}]}  # fmt: skip
            a = Attempt(n, body["idempotency_key"], json.dumps(body).encode(), at)
            attempts.append(a)
            if rng.random() < 0.05:  # a double click: the same key again, 50 ms later
                attempts.append(Attempt(n, a.key, a.body, at + 0.05, duplicate=True))
    for i in range(args.late):
        person = world["people"][i % len(world["people"])]
        body = {"supplier_id": person["supplier"], "attestations": ["non_collusion"],
                "idempotency_key": f"late-{i}",
                "lines": [{"item_id": items[0], "unit_price": "19.99"}]}  # fmt: skip
        attempts.append(Attempt(i % len(world["people"]), f"late-{i}", json.dumps(body).encode(),
                                due + rng.uniform(0, 10)))  # fmt: skip
    return sorted(attempts, key=lambda a: a.at)


def run_rush(port: int, world: dict[str, Any], args: argparse.Namespace) -> list[Attempt]:
    sid = world["rush"][0]
    path = f"/api/v1/agencies/rush/solicitations/{sid}/responses"
    attempts = rush_schedule(world, args)
    tokens = [p["token"] for p in world["people"]]
    wait = attempts[0].at - time.time()
    print(f"rush: {len(attempts)} requests; first in {wait:.0f} s, deadline in "
          f"{world['due'] - time.time():.0f} s", flush=True)  # fmt: skip
    with ThreadPoolExecutor(max_workers=args.connections) as pool:
        for a in attempts:
            pool.submit(send, port, path, a, tokens[a.supplier], args.timeout)
        if args.restart:
            # Mid-rush, in the busiest part: kill -9 the server and all its workers, start
            # it again on the same port. Clients retry with the same keys.
            time.sleep(max(0.0, world["due"] - args.window / 20 - time.time()))
            old = world["server"]
            for pid in [old.pid, *_workers(old)]:
                os.kill(pid, signal.SIGKILL)
            old.wait()
            down = time.time()
            world["server"] = start_server(world["env"], args.workers, port, world["log"])
            print(f"  restarted the server (kill -9) {world['due'] - down:.1f} s before the "
                  f"deadline; down {time.time() - down:.1f} s", flush=True)  # fmt: skip
    return attempts


def verify(world: dict[str, Any], attempts: list[Attempt]) -> dict[str, Any]:
    from django.db import connection

    from edcoop.procurement.models import Response

    due = world["due"]
    sid = world["rush"][0]
    stored = {r.idempotency_key: r for r in Response.objects.filter(solicitation_id=sid)}
    by_key: dict[str, int] = {}
    keys = Response.objects.filter(solicitation_id=sid).values_list("idempotency_key", flat=True)
    for key in keys:
        by_key[key] = by_key.get(key, 0) + 1
    problems: list[str] = []
    acknowledged = [a for a in attempts if a.status == 201]
    for a in acknowledged:
        r = stored.get(a.key)
        if r is None:
            problems.append(f"acknowledged {a.key} is not stored")
        elif r.pk != a.answer.get("response_id") or r.version != a.answer.get("version"):
            problems.append(f"{a.key}: the receipt does not match the stored response")
        elif abs(datetime.fromisoformat(a.answer["received_at"]) - r.received_at) >= MS:
            # (JSON carries milliseconds)
            problems.append(f"{a.key}: the receipt's time differs from the stored one")
    problems += [f"{k} stored {n} times" for k, n in by_key.items() if n > 1]
    currents = Response.objects.filter(solicitation_id=sid, is_current=True)
    submitters = {a.supplier for a in acknowledged}
    if currents.count() != len(submitters):
        problems.append(f"{currents.count()} current responses for {len(submitters)} suppliers")
    late = [a for a in attempts if a.status == 400 and "deadline" in json.dumps(a.answer)]
    unfair = [a for a in late if a.sent < due]
    # The server stamps a request after the client sent it (one clock): none sent at or
    # after the deadline may be acknowledged.
    accepted_late = [a for a in acknowledged if a.sent >= due]
    errors = [a for a in attempts if a.status >= 500 or a.status < 0]
    other = [a for a in attempts if a.status not in (201, 400) and a not in errors]
    connection.close()
    return {
        "acknowledged": len(acknowledged), "stored": sum(by_key.values()),
        "refused_late": len(late),
        "refused_late_sent_before_deadline": len(unfair),
        "earliest_unfair_s": round(max((due - a.sent for a in unfair), default=0.0), 3),
        "accepted_after_deadline": len(accepted_late), "errors_5xx_or_network": len(errors),
        "other_statuses": sorted({a.status for a in other}),
        "error_samples": [a.answer for a in errors[:3]],
        "retried": sum(a.tries > 1 for a in attempts),
        "unfair_after_a_dropped_connection": sum(a.reconnects > 0 for a in unfair),
        "problems": problems[:10], "problem_count": len(problems),
    }  # fmt: skip


# Capacity and CPU ---------------------------------------------------------------------------


def open_loop(port: int, world: dict[str, Any], rate: float, seconds: float,
              connections: int, timeout: float) -> tuple[float, int, int]:  # fmt: skip
    sid, items = world["capacity"]
    path = f"/api/v1/agencies/rush/solicitations/{sid}/responses"
    people = world["people"]
    start = time.time() + 0.5
    attempts = []
    for i in range(int(rate * seconds)):
        n = random.randrange(len(people))
        body = {"supplier_id": people[n]["supplier"], "attestations": ["non_collusion"],
                "idempotency_key": f"cap-{rate}-{i}-{secrets.token_hex(3)}",
                "lines": [{"item_id": items[0], "unit_price": f"{10 + i % 50}.00"}]}  # fmt: skip
        attempts.append(Attempt(n, body["idempotency_key"], json.dumps(body).encode(),
                                start + i / rate))  # fmt: skip
    with ThreadPoolExecutor(max_workers=connections) as pool:
        for a in attempts:
            pool.submit(send, port, path, a, people[a.supplier]["token"], timeout)
    ok = [a.latency for a in attempts if a.status == 201]
    bad = sum(a.status != 201 for a in attempts)
    return percentile(ok, 99), len(ok), bad


def drain(port: int, limit: float = 180.0) -> float:
    """Wait until the server has worked off what an overloaded step left queued (requests
    whose clients gave up are still handled): a /healthz answered within 0.5 s. Without
    this the next step, and the CPU measurement, inherit the backlog. Returns the wait."""
    start = time.time()
    while time.time() - start < limit:
        sent = time.time()
        try:
            if request(port, "GET", "/healthz", None, {}, 30)[0] == 200 and (
                time.time() - sent < 0.5
            ):
                break
        except OSError:
            pass
        time.sleep(1.0)
    return time.time() - start


def capacity(port: int, world: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    seconds = args.capacity_seconds
    rate, passed, failed, rows = 4.0, 0.0, 0.0, []
    while rate <= 512:
        drain(port)
        p99, ok, bad = open_loop(port, world, rate, seconds, args.connections, args.timeout)
        rows.append({"rate": rate, "p99_s": round(p99, 3), "ok": ok, "failed": bad})
        print(f"  capacity: {rate:g}/s for {seconds:g} s: p99 {p99:.3f} s, {bad} failed",
              flush=True)  # fmt: skip
        if p99 < 1.0 and bad == 0:
            passed = rate
            if failed:
                break
            rate *= 2
        else:
            failed = rate
            if not passed or failed - passed <= max(2.0, passed / 4):
                break
            rate = (passed + failed) / 2
    return {"highest_rate_p99_under_1s": passed, "steps": rows}


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


def _workers(server: subprocess.Popen) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == server.pid:
                pids.append(int(entry.name))
    return pids


def _backends(env: dict[str, str]) -> list[int]:
    if env["DATABASE_URL"].startswith("sqlite"):
        return []
    import psycopg

    url = env["DATABASE_URL"]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres") as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                            [url.rsplit("/", 1)[1]]).fetchall()  # fmt: skip
    return [r[0] for r in rows]


def cpu_per_request(port: int, server: subprocess.Popen, env: dict[str, str],
                    world: dict[str, Any], count: int) -> dict[str, Any]:  # fmt: skip
    sid, items = world["capacity"]
    path = f"/api/v1/agencies/rush/solicitations/{sid}/responses"
    people = world["people"]

    def submissions() -> None:
        for i in range(count):
            p = people[i % len(people)]
            body = {"supplier_id": p["supplier"], "attestations": ["non_collusion"],
                    "idempotency_key": f"cpu-{i}-{secrets.token_hex(3)}",
                    "lines": [{"item_id": items[1], "unit_price": f"{40 + i % 9}.00"}]}  # fmt: skip
            status, _ = request(port, "POST", path, json.dumps(body).encode(),
                                {"Authorization": f"Bearer {p['token']}"}, 30)  # fmt: skip
            if status != 201:
                raise SystemExit(f"a measured submission answered {status}")

    def reads() -> None:
        for i in range(count):
            p = people[i % len(people)]
            status, _ = request(port, "GET", "/api/v1/me", None,
                                {"Authorization": f"Bearer {p['token']}"}, 30)  # fmt: skip
            if status != 200:
                raise SystemExit(f"GET /api/v1/me answered {status}")

    result: dict[str, Any] = {}
    for name, work in (("submission", submissions), ("get_me", reads)):
        work_pids, db_pids = _workers(server), _backends(env)
        before = (_cpu_seconds(work_pids), _cpu_seconds(db_pids))
        work()
        after = (_cpu_seconds(work_pids), _cpu_seconds(db_pids))
        app_ms = (after[0] - before[0]) * 1000 / count
        db_ms = (after[1] - before[1]) * 1000 / count
        result[name] = {"app_ms": round(app_ms, 1), "db_ms": round(db_ms, 1),
                        "total_ms": round(app_ms + db_ms, 1)}  # fmt: skip
    result["ratio"] = round(result["submission"]["total_ms"] / max(result["get_me"]["total_ms"],
                                                                   0.1), 2)  # fmt: skip
    return result


# Main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="A short run (2 min, fewer).")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL.")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="Threads a worker.")
    parser.add_argument("--suppliers", type=int)
    parser.add_argument("--window", type=float, help="Seconds from rush start to deadline.")
    parser.add_argument("--connections", type=int)
    parser.add_argument("--late", type=int)
    parser.add_argument("--timeout", type=float, default=10.0, help="Client timeout (s).")
    parser.add_argument("--capacity-seconds", type=float)
    parser.add_argument("--cpu-requests", type=int)
    parser.add_argument("--no-capacity", action="store_true")
    parser.add_argument(
        "--restart", action="store_true",
        help="kill -9 the server in the last 5%% of the window and start it again.",
    )  # fmt: skip
    args = parser.parse_args()
    q = args.quick
    args.suppliers = args.suppliers or (60 if q else 500)
    args.window = args.window or (60.0 if q else 600.0)
    args.connections = args.connections or (50 if q else 200)
    args.late = args.late if args.late is not None else (20 if q else 100)
    args.capacity_seconds = args.capacity_seconds or (8.0 if q else 30.0)
    args.cpu_requests = args.cpu_requests or (60 if q else 300)

    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="edcoop-rush-"))
    env = environment(args, tmp)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "edcoop.settings"
    _database.fresh()  # PostgreSQL's dropped and made again; the SQLite file is new anyway
    started = time.time()
    # The rush starts once the server is ready after seeding (a generous allowance).
    lead = 45.0
    world = seed(args.suppliers, args.window, lead)
    print(f"seeded {args.suppliers} suppliers in {time.time() - started:.0f} s", flush=True)
    port = free_port()
    server = start_server(env, args.workers, port, tmp / "server.log")
    world |= {"server": server, "env": env, "log": tmp / "server.log"}
    results: dict[str, Any] = {
        "database": "sqlite" if args.sqlite else "postgresql", "workers": args.workers,
        "threads": args.threads,
        "suppliers": args.suppliers, "window_s": args.window, "connections": args.connections,
        "cpus": os.cpu_count(), "load_before": [round(x, 2) for x in load_before],
    }  # fmt: skip
    try:
        if world["due"] - args.window < time.time():
            raise SystemExit("seeding took longer than the allowance; use fewer --suppliers")
        attempts = run_rush(port, world, args)
        on_time = [a for a in attempts if a.status == 201 and a.sent < world["due"]]
        lat = [a.latency for a in on_time]
        span = max(a.sent + a.latency for a in attempts) - min(a.sent for a in attempts)
        last = [a.latency for a in on_time if a.sent >= world["due"] - args.window / 10]
        results["rush"] = {
            "requests": len(attempts), "throughput_per_s": round(len(attempts) / span, 1),
            "p50_s": round(percentile(lat, 50), 3), "p95_s": round(percentile(lat, 95), 3),
            "p99_s": round(percentile(lat, 99), 3),
            "last_tenth_p99_s": round(percentile(last, 99), 3),
        }  # fmt: skip
        server = world["server"]
        results["verify"] = verify(world, attempts)
        print(json.dumps(results["rush"]), json.dumps(results["verify"]), flush=True)
        if not args.no_capacity:
            results["capacity"] = capacity(port, world, args)
        # An overloaded last capacity step (SQLite's write lock at load) can leave minutes of
        # backlog; the CPU figure waits for it, and a failure there keeps the rush's figures.
        results["drained_s"] = round(drain(port, limit=600.0), 1)
        try:
            results["cpu"] = cpu_per_request(port, server, env, world, args.cpu_requests)
        except OSError as exc:  # TimeoutError included
            results["cpu"] = {"error": f"not measured: {exc!r}"}
    finally:
        world["server"].terminate()
        world["server"].wait(30)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)
    v = results["verify"]
    if v["problem_count"] or v["errors_5xx_or_network"] or v["accepted_after_deadline"]:
        raise SystemExit(1)


if __name__ == "__main__":
    threading.stack_size(512 * 1024)
    main()

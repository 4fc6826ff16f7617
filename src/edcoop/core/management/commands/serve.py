"""``edcoop serve``: the production web server (gunicorn) with the installation's settings.

EDCOOP_WORKERS processes (each EDCOOP_THREADS threads; one thread means gunicorn's sync
worker) listen on EDCOOP_BIND. Before the first worker starts, the server checks that it
can serve (``core.health.problems``: database, migrations, the sealing and audit keys) and
refuses in one line, exit 2, when it cannot. Each worker opens its own database pool after
it starts (never shared across the fork), of at most EDCOOP_DB_MAX_CONNECTIONS //
EDCOOP_WORKERS connections, so the server never holds more than EDCOOP_DB_MAX_CONNECTIONS.
Logs (gunicorn's own too) go to standard error in the format of EDCOOP_LOG_FORMAT.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication

from edcoop.core import health


def options(bind: str, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn's settings for this installation."""
    log: dict[str, Any] = copy.deepcopy(settings.LOGGING)
    log.setdefault("loggers", {}).update(
        {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            # EdCoop logs each request itself (core.requests), with its id.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        }
    )
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        # A worker silent this long is killed and replaced (its request answered 502 by the
        # proxy); long work belongs to the background jobs, never to a request.
        "timeout": settings.EDCOOP_SERVER_TIMEOUT,
        "graceful_timeout": 30,
        "keepalive": 5,
        "preload_app": False,  # each worker builds its app and its pool after the fork
        "logconfig_dict": log,
        "accesslog": None,
        "errorlog": "-",
        "proc_name": "edcoop",
        "forwarded_allow_ips": "127.0.0.1",
    }


class Command(BaseCommand):
    help = "Run the production web server (gunicorn) with EDCOOP_WORKERS workers."
    requires_system_checks = "__all__"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", help="Address to listen on (default EDCOOP_BIND).")
        parser.add_argument("--workers", type=int, help="Processes (default EDCOOP_WORKERS).")
        parser.add_argument("--threads", type=int, help="Threads a process (EDCOOP_THREADS).")
        parser.add_argument(
            "--print-config", action="store_true",
            help="Print the server's settings as JSON and stop (starts nothing).",
        )  # fmt: skip

    def handle(self, *args: Any, **opts: Any) -> None:
        workers = opts["workers"] or settings.EDCOOP_WORKERS
        threads = opts["threads"] or settings.EDCOOP_THREADS
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1.", returncode=2)
        if workers * threads > settings.EDCOOP_DB_MAX_CONNECTIONS:
            raise CommandError(
                f"{workers} workers x {threads} threads need {workers * threads} database "
                f"connections; EDCOOP_DB_MAX_CONNECTIONS allows "
                f"{settings.EDCOOP_DB_MAX_CONNECTIONS}.",
                returncode=2,
            )
        config = options(opts["bind"] or settings.EDCOOP_BIND, workers, threads)
        if opts["print_config"]:
            shown = {k: v for k, v in config.items() if k != "logconfig_dict"}
            shown["database_pool"] = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
            self.stdout.write(json.dumps(shown, default=str, indent=2))
            return
        found = health.problems()
        # The check's connection (and pool) must not be inherited by the forked workers.
        for conn in connections.all(initialized_only=True):
            conn.close()
            if hasattr(conn, "close_pool"):
                conn.close_pool()
        if found:
            raise CommandError("refusing to start: " + "; ".join(found) + ".", returncode=2)
        _Server(config).run()


class _Server(BaseApplication):
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.config.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()

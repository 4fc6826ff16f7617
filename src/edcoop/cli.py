"""The ``edcoop`` console script: Django's manage.py under the product's name.

``edcoop audit verify``, ``edcoop import institutions FILE --agency SLUG``, ``edcoop demo``
and every stock command (``edcoop migrate``, ``edcoop runserver``) go through here.
"""

from __future__ import annotations

import os
import sys
import time

# When this run of the console script began (time.perf_counter()): commands with a time
# limit (``edcoop award solve --time-limit``) count Django's start-up against it too.
STARTED: float | None = None


def main(argv: list[str] | None = None) -> None:
    global STARTED  # one run per process
    STARTED = time.perf_counter()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edcoop.settings")
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        os.environ.setdefault("EDCOOP_DB_POOL", "true")  # the web server pools (settings)
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reads the settings: refuses here, in one line)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"edcoop: {exc}\n")
        raise SystemExit(2) from None

    execute_from_command_line(["edcoop", *args])


if __name__ == "__main__":
    main()

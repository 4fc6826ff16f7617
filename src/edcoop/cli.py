"""The ``edcoop`` console script: Django's manage.py under the product's name.

``edcoop audit verify``, ``edcoop import institutions FILE --agency SLUG``, ``edcoop demo``
and every stock command (``edcoop migrate``, ``edcoop runserver``) go through here.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edcoop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["edcoop", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()

"""Every URL pattern Django resolves, found rather than listed: the sealed walk
(tests/web/test_sealed_walk.py) and the browser crawl (tests/e2e/test_crawl.py) both start
from here, so a route added tomorrow is requested by both tomorrow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# A path parameter in a route: ``<int:pk>``, ``<slug>``.
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def walk(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """(route, pattern) for every pattern, routes written as ``ResolverMatch.route`` is."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p

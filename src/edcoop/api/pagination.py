"""Page-numbered lists for every API list operation: ``?page=2&page_size=100``.

``page_size`` is refused (422) above :data:`MAX_PAGE_SIZE`, never silently clamped, and a
page past the last one is a 404 that says how many pages there are, so neither a huge
number nor an offset the database cannot hold ever reaches a query.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination

PAGE_SIZE: int = settings.NINJA_PAGINATION_PER_PAGE
MAX_PAGE_SIZE = 500
# Far above any real list; keeps the number an ordinary integer everywhere.
MAX_PAGE = 2**31 - 1


def last_page(count: int, page_size: int) -> int:
    return max(1, -(-count // page_size))


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
        page_size: int = Field(
            PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE,
            description=f"Records per page (default {PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
        )  # fmt: skip

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs)

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        size = pagination.page_size
        count = self._items_count(queryset)
        last = last_page(count, size)
        if pagination.page > last:
            raise HttpError(
                404,
                f"Page {pagination.page} does not exist: {count} records make {last} "
                f"page{'s' if last != 1 else ''} of {size}.",
            )
        offset = (pagination.page - 1) * size
        return {self.items_attribute: queryset[offset : offset + size], "count": count}

"""Helpers for the API tests: a client that speaks JSON with a bearer token."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from edcoop.api import services as token_services
from edcoop.core.models import AuditEvent
from edcoop.members.models import Institution, Membership, MembershipYear, Supplier

BASE = "/api/v1"


class Api:
    """``api.get("/agencies")``: JSON in, response out, with the user's token if any."""

    def __init__(self, secret: str | None = None) -> None:
        self.client = Client()
        self.secret = secret

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"} if self.secret else {}

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        kwargs: dict[str, Any] = {"headers": self._headers()}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(BASE + path, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("post", path, {} if body is None else body)

    def put(self, path: str, body: Any) -> Any:
        return self.call("put", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.call("patch", path, body)


def _api_for(user: Any, name: str = "test") -> Api:
    _, secret = token_services.token_create(user=user, name=name)
    return Api(secret)


@pytest.fixture
def api_for() -> Callable[..., Api]:
    """``api_for(user)``: an Api acting through a fresh token of ``user``."""
    return _api_for


@pytest.fixture
def anon() -> Api:
    return Api()


@pytest.fixture
def bearer() -> Callable[[str | None], Api]:
    """``bearer(secret)``: an Api sending that secret."""
    return Api


def _state() -> Any:
    """Everything an API write could touch, to prove that nothing did."""
    return (
        AuditEvent.objects.count(),
        list(Institution.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        list(MembershipYear.objects.order_by("pk").values()),
        list(Supplier.objects.order_by("pk").values()),
    )


@pytest.fixture
def state() -> Callable[[], Any]:
    return _state

"""Helpers for the page tests: a signed-in client per role, and checks every page passes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from edcoop.members.models import Role

AGENCY_ROLES = ["agency_admin", "procurement_officer", "business_office", "evaluator", "auditor"]
MEMBER_ROLES = ["member_admin", "member_buyer", "member_finance"]
ALL_ROLES = [r.value for r in Role]

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style[\s>]", re.IGNORECASE)
HANDLER_ATTR = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def assert_csp_clean(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), "inline <script> without src"
    assert not STYLE_ATTR.search(html), "style= attribute"
    assert not STYLE_BLOCK.search(html), "<style> block"
    assert not HANDLER_ATTR.search(html), "on*= event handler attribute"


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_role(north: Any) -> Any:
    def make(role: str) -> Client:
        return client_for(north.users[role])

    return make


def last_event(action: str) -> Any:
    from edcoop.core.models import AuditEvent

    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def assert_audited(action: str, user: Any) -> Any:
    """The newest ``action`` event names ``user``, and the whole chain still verifies."""
    from edcoop.core import audit

    event = last_event(action)
    assert event is not None, f"no {action} event"
    assert event.actor_id == user.pk
    assert event.actor_label == user.get_username()
    assert event.source == "web"
    assert audit.verify() == []
    return event

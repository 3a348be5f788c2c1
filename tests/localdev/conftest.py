"""Fixtures: one set of stand-ins per test session, reset before every test."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import requests

from localdev.standins import Standins

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture(scope="session")
def running_standins() -> Iterator[Standins]:
    """The stand-ins, started once per session."""
    with Standins.start() as standins:
        yield standins


@pytest.fixture
def standins(running_standins: Standins) -> Standins:
    """The stand-ins with runtime state reset (configuration kept); ``http`` is tests/conftest.py's."""
    running_standins.reset()
    return running_standins


def make_assertion(standins: Standins, **overrides: Any) -> str:
    """A JWT bearer assertion for the seeded client; ``overrides`` replace claims (None removes one)."""
    claims: dict[str, Any] = {
        "iss": standins.consumer_key,
        "sub": standins.user_name,
        "aud": standins.salesforce.base_url,
        "exp": int(time.time()) + 180,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, standins.private_key_pem, algorithm="RS256")


@pytest.fixture
def token(standins: Standins, http: requests.Session) -> str:
    """An access token obtained through the JWT bearer grant."""
    response = http.post(
        f"{standins.salesforce.base_url}/services/oauth2/token",
        data={"grant_type": JWT_GRANT, "assertion": make_assertion(standins)},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def headers(standins: Standins, token: str) -> Callable[..., dict[str, str]]:
    """Build Interaction Service headers; keyword overrides replace a header (None removes it)."""

    def build(**overrides: str | None) -> dict[str, str]:
        values: dict[str, str | None] = {
            "Authorization": f"Bearer {token}",
            "OrgId": standins.salesforce.org_id_15,
            "AuthorizationContext": standins.authorization_context,
            "RequestId": str(uuid.uuid4()),
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}

    return build

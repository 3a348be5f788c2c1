"""Helpers for tests that replace Salesforce with `responses`."""

from __future__ import annotations

import json

import responses

from tests.conftest import AUTH_URL, INSTANCE_URL, SCRT_URL

TOKEN_URL = f"{AUTH_URL}/services/oauth2/token"


def add_token(rsps: responses.RequestsMock, token: str = "00Dtoken!first", status: int = 200) -> None:
    body = (
        {"access_token": token, "instance_url": INSTANCE_URL, "token_type": "Bearer", "id": "x", "issued_at": "1"}
        if status == 200
        else {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"}
    )
    rsps.add(responses.POST, TOKEN_URL, json=body, status=status)


def scrt(path: str) -> str:
    return f"{SCRT_URL}/api/v1{path}"


def calls_to(rsps: responses.RequestsMock, url: str) -> list:
    return [c for c in rsps.calls if c.request.url.split("?")[0] == url]


def json_body(call) -> dict:
    return json.loads(call.request.body)

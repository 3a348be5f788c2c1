"""Standins: start/stop time, the environment, env overlay/restore, no leaked ports."""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests

from localdev.salesforce_emulator import is_id, to_15
from localdev.standins import Standins

pytestmark = pytest.mark.standins

EXPECTED_KEYS = {
    "SALESFORCE_ORG_ID",
    "SALESFORCE_SCRT_URL",
    "SALESFORCE_AUTH_URL",
    "SALESFORCE_AUTHORIZATION_CONTEXT",
    "SALESFORCE_SECRET_ID",
    "CALL_CENTER_ID",
    "CONNECT_INSTANCE_ARN",
    "CHAT_TRANSCRIPTS_BUCKET",
    "STATE_TABLE_NAME",
    "CHAT_TRANSCRIPTS_PREFIX",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_CONNECT",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "REQUESTS_CA_BUNDLE",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_SERVICE_NAME",
}


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


def test_start_and_stop_are_clean() -> None:
    """Every server listens once started, and stop leaves no port open and no thread running (how long either
    takes is the machine's, not asserted)."""
    threads_before = set(threading.enumerate())
    standins = Standins.start()
    urls = [standins.salesforce.base_url, standins.moto.endpoint_url, standins.connect.endpoint_url]
    server_threads = [
        t for t in set(threading.enumerate()) - threads_before if t.name in {"sf-emulator", "moto", "connect-standin"}
    ]
    assert len(server_threads) == 3
    try:
        assert all(_port_open(url) for url in urls)
    finally:
        standins.stop()
    assert not any(_port_open(url) for url in urls)
    assert [t for t in server_threads if t.is_alive()] == []
    leftover = [t for t in set(threading.enumerate()) - threads_before if t.is_alive() and not t.daemon]
    assert leftover == []
    standins.stop()  # idempotent


def test_env_values(running_standins: Standins) -> None:
    s = running_standins
    env = s.env
    assert set(env) == EXPECTED_KEYS
    assert env["SALESFORCE_SCRT_URL"] == env["SALESFORCE_AUTH_URL"] == s.salesforce.base_url
    assert env["SALESFORCE_AUTH_URL"].startswith("https://127.0.0.1:")
    assert is_id(env["SALESFORCE_ORG_ID"], "00D") and len(env["SALESFORCE_ORG_ID"]) == 18
    assert to_15(env["SALESFORCE_ORG_ID"]) == s.salesforce.org_id_15
    assert is_id(env["CALL_CENTER_ID"], "04v")
    assert env["CONNECT_INSTANCE_ARN"] == f"arn:aws:connect:us-east-1:111122223333:instance/{s.instance_id}"
    assert env["SALESFORCE_SECRET_ID"].startswith("arn:aws:secretsmanager:us-east-1:")
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["AWS_ENDPOINT_URL_CONNECT"].startswith("http://127.0.0.1:")
    with open(env["REQUESTS_CA_BUNDLE"]) as handle:
        assert "BEGIN CERTIFICATE" in handle.read()
    assert len(s.queues) == 2
    for queue in s.queues:
        assert is_id(queue.salesforce_queue_id, "00G")
        assert queue.connect_queue_arn.startswith(f"{s.instance_arn}/queue/")
    assert is_id(s.users[0].salesforce_user_id, "005")
    assert s.users[0].connect_agent_arn.startswith(f"{s.instance_arn}/agent/")


def test_environment_overlays_and_restores(running_standins: Standins, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someone-elses-profile")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://example.invalid")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/original/bundle.pem")
    before = dict(os.environ)
    with running_standins.environment() as env:
        assert os.environ["REQUESTS_CA_BUNDLE"] == env["REQUESTS_CA_BUNDLE"] == running_standins.salesforce.ca_file
        assert "AWS_PROFILE" not in os.environ and "AWS_ENDPOINT_URL_S3" not in os.environ
        assert os.environ["SALESFORCE_ORG_ID"] == running_standins.salesforce.org_id
        # requests picks the emulator CA up from the environment.
        response = requests.post(f"{env['SALESFORCE_AUTH_URL']}/services/oauth2/token", data={}, timeout=5)
        assert response.status_code == 400
    assert dict(os.environ) == before


def test_environment_resets_container_when_importable(
    running_standins: Standins, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types

    calls: list[str] = []
    package = types.ModuleType("connect_omni")
    container = types.ModuleType("connect_omni.container")
    container.reset = lambda: calls.append(os.environ.get("SALESFORCE_ORG_ID", "<unset>"))  # type: ignore[attr-defined]
    package.container = container  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "connect_omni", package)
    monkeypatch.setitem(sys.modules, "connect_omni.container", container)
    monkeypatch.delenv("SALESFORCE_ORG_ID", raising=False)
    with running_standins.environment():
        pass
    assert calls == [running_standins.salesforce.org_id, "<unset>"]

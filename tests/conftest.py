"""Shared fixtures: environment, keys, the Secrets Manager secret (moto), Lambda context, events, and the local
stand-ins (started once per module; never in a module that uses ``moto.mock_aws``, which would wipe their data)."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    import requests

    from localdev.standins import Standins

EVENTS = Path(__file__).parent / "events"

INSTANCE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/11111111-2222-3333-4444-555555555555"
QUEUE_ARN = f"{INSTANCE_ARN}/queue/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
AGENT_ARN = f"{INSTANCE_ARN}/agent/99999999-8888-7777-6666-555555555555"
SCRT_URL = "https://example.my.salesforce-scrt.com"
AUTH_URL = "https://login.salesforce.com"
INSTANCE_URL = "https://example.my.salesforce.com"
ORG_ID_18 = "00D5g000004ABCDEAA"
CHANNEL = "5f0c6f5e-7a33-4c3d-9a38-2f0d3c1b7a11"
CALL_CENTER_ID = "04v5g000000XyZ1AAK"
SECRET_ID = "SCCAC-Secret"

ENV = {
    "SALESFORCE_ORG_ID": ORG_ID_18,
    "SALESFORCE_SCRT_URL": SCRT_URL,
    "SALESFORCE_AUTH_URL": AUTH_URL,
    "SALESFORCE_AUTHORIZATION_CONTEXT": "SCC_AC_Chat",
    "SALESFORCE_SECRET_ID": SECRET_ID,
    "CALL_CENTER_ID": CALL_CENTER_ID,
    "CONNECT_INSTANCE_ARN": INSTANCE_ARN,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_METRICS_NAMESPACE": "ConnectOmniChannelTest",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def fuzz_examples(default: int) -> int:
    """Examples per hypothesis property: ``default`` (the count CI runs, derandomized), or ``FUZZ_EXAMPLES`` when
    set, for a thorough run (e.g. ``FUZZ_EXAMPLES=5000 pytest tests -k propert --hypothesis-show-statistics``).

    An explicit ``max_examples`` in ``@settings`` wins over any hypothesis profile, hence a variable, not a profile.
    """
    return int(os.environ.get("FUZZ_EXAMPLES") or default)


def load_event(name: str) -> dict:
    """A JSON event from ``tests/events/``."""
    return json.loads((EVENTS / name).read_text())


@dataclass
class LambdaContext:
    """A fake Lambda context whose remaining time counts down from ``budget_ms``.

    ``clock`` gives monotonic seconds (``time.monotonic`` unless a test passes a fake clock).
    """

    budget_ms: int = 8000
    function_name: str = "test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:111122223333:function:test-function"
    aws_request_id: str = "7f6c0a6e-0000-4000-8000-000000000001"
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._start = self.clock()

    def get_remaining_time_in_millis(self) -> int:
        return int(self.budget_ms - (self.clock() - self._start) * 1000)


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def private_key_pem(rsa_key) -> str:
    return rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="session")
def public_key_pem(rsa_key) -> str:
    return (
        rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def secret_value(private_key_pem) -> dict:
    return {
        "CONNECTED_APP_CONSUMER_KEY": "3MVG9-test-consumer-key",
        "CERTIFICATE_PRIVATE_KEY": private_key_pem,
        "API_ACCESS_USER_NAME": "api.user@example.com",
    }


@pytest.fixture
def env(monkeypatch):
    """The functions' environment, with the container's caches cleared before and after."""
    from connect_omni import container

    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CONNECT", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    container.reset()
    yield ENV
    container.reset()


@pytest.fixture
def secret(env, secret_value):
    """The SCC-AC secret in moto's Secrets Manager; yields the moto-backed boto3 client."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(Name=SECRET_ID, SecretString=json.dumps(secret_value))
        yield client


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


def new_uuid() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope="module")
def module_standins() -> Iterator[Standins]:
    """The stand-ins (Salesforce emulator, moto, Connect stand-in on 127.0.0.1), started once per module."""
    from localdev.standins import Standins

    with Standins.start() as standins:
        yield standins


@pytest.fixture
def standins(module_standins: Standins) -> Standins:
    """The stand-ins with runtime state reset (configuration kept)."""
    module_standins.reset()
    return module_standins


@pytest.fixture
def http(standins: Standins) -> Iterator[requests.Session]:
    """A requests session that trusts the emulator's CA."""
    import requests

    with requests.Session() as session:
        session.verify = standins.salesforce.ca_file
        session.trust_env = False  # an inherited REQUESTS_CA_BUNDLE would override session.verify
        yield session

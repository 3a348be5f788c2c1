"""Fixtures of the fault tests: one set of stand-ins per module, reset before each test.

Nothing here uses ``moto.mock_aws`` (it would wipe the stand-ins' moto data in this process).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import requests

from localdev.standins import Standins


@pytest.fixture(scope="module")
def module_standins() -> Iterator[Standins]:
    standins = Standins.start()
    try:
        yield standins
    finally:
        standins.stop()


@pytest.fixture
def standins(module_standins: Standins) -> Standins:
    module_standins.reset()
    return module_standins


@pytest.fixture
def http(standins: Standins) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.verify = standins.salesforce.ca_file
        session.trust_env = False
        yield session


@pytest.fixture
def sf_headers(standins: Standins) -> Callable[[], dict[str, str]]:
    """Interaction Service headers with a token issued directly by the emulator."""
    token = standins.salesforce.issue_token()

    def build() -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "OrgId": standins.salesforce.org_id_15,
            "AuthorizationContext": standins.authorization_context,
            "RequestId": str(uuid.uuid4()),
        }

    return build

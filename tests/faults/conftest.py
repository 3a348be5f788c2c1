"""Fixtures of the fault tests; the stand-ins (``module_standins``, ``standins``, ``http``) are tests/conftest.py's:
one set per module, reset before each test.

Nothing here uses ``moto.mock_aws`` (it would wipe the stand-ins' moto data in this process).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from localdev.standins import Standins


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

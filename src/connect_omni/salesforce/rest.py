"""Salesforce REST API calls through simple-salesforce, on the project's token, budget and retry rules.

simple-salesforce builds the URLs, headers and JSON of the REST API
(``{instance_url}/services/data/v{version}/...``); every HTTP request it makes goes through the container's
:class:`~connect_omni.salesforce.transport.Transport`, so each try's whole answer must arrive within the
invocation's :class:`~connect_omni.budget.Budget`, and 429 / 5xx / connection errors / unknown outcomes are retried
with backoff, never past the budget. Only idempotent calls go through here (a SOQL read, an upsert by external id),
so the transport may send a request again when its outcome is unknown. A 401 leads to one new token grant and one
retry (as the Interaction Service client does). Errors come out as the project's :mod:`connect_omni.errors`.

simple-salesforce is imported on first use: its module load pulls in zeep, which costs start-up time that the
functions that never call the REST API do not need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests

from connect_omni.budget import Budget
from connect_omni.errors import SalesforceAuthError, SalesforceError, SalesforceUnavailableError
from connect_omni.salesforce.auth import TokenProvider
from connect_omni.salesforce.transport import Transport

T = TypeVar("T")


class _BudgetedSession:
    """The part of ``requests.Session`` simple-salesforce uses (``request`` and ``proxies``), sending every
    request through :meth:`Transport.send` (idempotent) with one budget and one operation name."""

    def __init__(self, transport: Transport, budget: Budget, operation: str, expect_json_object: bool) -> None:
        self.transport = transport
        self.budget = budget
        self.operation = operation
        self.expect_json_object = expect_json_object
        self.proxies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        return self.transport.send(
            self.operation,
            method,
            url,
            self.budget,
            idempotent=True,
            expect_json=self.expect_json_object,
            **kwargs,
        )


class RestClient:
    """Runs simple-salesforce calls with the container's token and transport.

    Parameters
    ----------
    api_version:
        REST API version, e.g. ``"62.0"`` (``SALESFORCE_API_VERSION``).
    tokens, transport:
        The container's :class:`TokenProvider` and :class:`Transport`.
    """

    def __init__(self, *, api_version: str, tokens: TokenProvider, transport: Transport) -> None:
        self.api_version = api_version
        self.tokens = tokens
        self.transport = transport

    def call(self, operation: str, budget: Budget, fn: Callable[[Any], T], *, expect_json_object: bool = False) -> T:
        """Run ``fn(client)`` with a ``simple_salesforce.Salesforce`` client bound to ``budget``.

        Parameters
        ----------
        operation:
            Name for logs and errors, e.g. ``PATCH composite/sobjects/awsac__SCC_ContactTraceRecord__c``.
        fn:
            Makes the calls, e.g. ``lambda sf: sf.restful(path, method="PATCH", json=body)``. They must be
            idempotent: the transport sends a request again when its outcome is unknown.
        expect_json_object:
            A 2xx answer must be a JSON object (a query result), else it counts as an unknown outcome and is
            retried; leave False for resources that answer a list (sObject Collections).

        Raises
        ------
        SalesforceAuthError
            401 even with a freshly granted token, or 403, or the grant was refused.
        SalesforceError
            Any other 4xx; ``code`` is REST's ``errorCode`` (e.g. ``INVALID_FIELD``), ``detail`` its message.
        SalesforceUnavailableError
            429 / 5xx / connection errors on every try, a read timeout, or a 2xx body that is not JSON (the
            call may have taken effect: only idempotent calls go through here).
        BudgetExhaustedError
            Too little budget left to start a try.
        """
        from simple_salesforce import Salesforce
        from simple_salesforce.exceptions import SalesforceError as SimpleSalesforceError
        from simple_salesforce.exceptions import SalesforceExpiredSession

        for attempt in (1, 2):
            token = self.tokens.get(budget)
            client = Salesforce(
                instance_url=token.instance_url,
                session_id=token.access_token,
                session=_BudgetedSession(self.transport, budget, operation, expect_json_object),  # type: ignore[arg-type]
                version=self.api_version,
            )
            try:
                return fn(client)
            except SalesforceExpiredSession:
                self.tokens.invalidate(token)
                if attempt == 2:
                    raise SalesforceAuthError(operation, status=401, code="INVALID_SESSION_ID") from None
            except SimpleSalesforceError as exc:
                code, message = _rest_error(exc.content)
                cls = SalesforceAuthError if exc.status == 403 else SalesforceError
                raise cls(operation, status=exc.status, code=code, detail=message) from None
            except ValueError:  # simple-salesforce's JSON decoding of a 2xx body
                raise SalesforceUnavailableError(operation, detail="response is not JSON") from None
        raise AssertionError("unreachable")  # pragma: no cover


def _rest_error(content: Any) -> tuple[str | None, str]:
    """``(errorCode, message)`` of a REST error body ``[{"errorCode", "message"}]`` (cut to 500 characters)."""
    detail = content[0] if isinstance(content, list) and content else content
    if isinstance(detail, dict):
        return detail.get("errorCode"), str(detail.get("message", ""))[:500]
    return None, str(detail)[:200]


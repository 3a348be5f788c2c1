"""HTTP to Salesforce with the invocation's budget, bounded retries and Salesforce's error bodies.

- Every attempt gets ``(connect, read)`` timeouts from the :class:`~connect_omni.budget.Budget`.
- 429, 5xx and connection errors are retried with exponential backoff and full jitter (tenacity), at most
  ``SALESFORCE_MAX_ATTEMPTS`` tries and never past the budget.
- A read timeout is not retried: the read timeout already is the rest of the budget.
- Other statuses are returned to the caller, which turns them into the project's errors with
  :func:`error_from_response`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from connect_omni.budget import MIN_ATTEMPT_S, Budget
from connect_omni.errors import SalesforceError, SalesforceUnavailableError
from connect_omni.observability import count, logger

_USER_AGENT = "connect-omni/0.1 (+Amazon Connect to Salesforce Omni-Channel)"


class _Transient(Exception):
    def __init__(self, status: int | None, detail: str, response: requests.Response | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.response = response


def new_session() -> requests.Session:
    """A keep-alive session (one TLS handshake per host per container); trusts ``REQUESTS_CA_BUNDLE``."""
    session = requests.Session()
    session.headers["User-Agent"] = _USER_AGENT
    return session


class Transport:
    """Sends requests within a budget, retrying what is safe to retry.

    Parameters
    ----------
    session:
        The container's ``requests.Session``.
    connect_timeout_s:
        Cap on the connect timeout of each try (s).
    max_attempts:
        Tries per call on 429 / 5xx / connection errors, at least 1.
    sleep:
        Injected for tests (tenacity's default is ``time.sleep``).
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        connect_timeout_s: float,
        max_attempts: int,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.session = session
        self.connect_timeout_s = connect_timeout_s
        self.max_attempts = max_attempts
        self._sleep = sleep

    def send(
        self,
        operation: str,
        method: str,
        url: str,
        budget: Budget,
        *,
        request_id: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request, retrying transient failures.

        Parameters
        ----------
        operation:
            Name for logs and errors, e.g. ``POST /api/v1/route``.
        kwargs:
            Passed to ``requests.Session.request`` (``headers``, ``json``, ``data``, ``files``, ``params``).

        Returns
        -------
        requests.Response
            Any response that is not 429 or 5xx (including 4xx; see :func:`error_from_response`).

        Raises
        ------
        SalesforceUnavailableError
            429 / 5xx / connection errors on every try, or a read timeout.
        BudgetExhaustedError
            Too little budget left to start a try.
        """

        def stop_when_out_of_budget(state: RetryCallState) -> bool:
            return budget.remaining() - (state.upcoming_sleep or 0) < MIN_ATTEMPT_S

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            count("SalesforceRetries")
            logger.warning(
                "Retrying Salesforce call",
                extra={
                    "operation": operation,
                    "attempt": state.attempt_number,
                    "status": getattr(exc, "status", None),
                    "error": getattr(exc, "detail", str(exc)),
                    "sleep_ms": round((state.upcoming_sleep or 0) * 1000),
                    "request_id": request_id,
                },
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts) | stop_when_out_of_budget,
            wait=wait_random_exponential(multiplier=0.1, max=1.0),
            retry=retry_if_exception_type(_Transient),
            before_sleep=before_sleep,
            reraise=True,
            **({"sleep": self._sleep} if self._sleep else {}),
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._try_once(operation, method, url, budget, **kwargs)
        except _Transient as exc:
            if exc.response is not None:
                err = error_from_response(operation, exc.response, request_id)
                raise SalesforceUnavailableError(
                    operation, status=err.status, code=err.code, detail=err.detail, request_id=request_id
                ) from None
            raise SalesforceUnavailableError(
                operation, status=exc.status, detail=exc.detail, request_id=request_id
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _try_once(self, operation: str, method: str, url: str, budget: Budget, **kwargs: Any) -> requests.Response:
        timeout = budget.timeouts(self.connect_timeout_s, operation)
        try:
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.exceptions.ConnectionError as exc:  # includes ConnectTimeout
            raise _Transient(None, f"connection error: {type(exc).__name__}") from None
        except requests.exceptions.Timeout:
            raise SalesforceUnavailableError(
                operation, detail=f"no response within {timeout[1]:.2f} s (the rest of the budget)"
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(response.status_code, f"HTTP {response.status_code}", response)
        return response


def error_from_response(operation: str, response: requests.Response, request_id: str | None = None) -> SalesforceError:
    """Turn a Salesforce error response into a :class:`SalesforceError` (not raised).

    Understands the three error bodies Salesforce uses: the Interaction Service's ``{"code", "message"}``
    (inbound-interaction-api.yaml ``Error``), REST's ``[{"errorCode", "message"}]`` and OAuth's
    ``{"error", "error_description"}``. Bodies are cut to 500 characters.
    """
    code: str | None = None
    detail = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        raw_code = body.get("code", body.get("errorCode", body.get("error")))
        code = None if raw_code is None else str(raw_code)
        detail = str(body.get("message") or body.get("error_description") or body.get("errorMessage") or "")
    elif response.text:
        detail = response.text[:200]
    return SalesforceError(
        operation, status=response.status_code, code=code, detail=detail[:500], request_id=request_id
    )

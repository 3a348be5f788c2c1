"""HTTP to Salesforce within the invocation's budget, retrying only what is safe to retry.

**The whole answer inside the budget.** ``requests``' read timeout only bounds the gap between two bytes, so an
answer trickling in at 8 bytes/s could outlast Connect's 8 s by minutes. Each attempt therefore gets an urllib3
``Timeout(connect=…, read=…, total=…)`` whose ``total`` is the rest of the budget (connect and the wait for the
status line and headers share it), and the body is streamed and read with the socket's timeout set, before every
read, to the time left until the deadline. A body sent chunked or compressed can need several socket reads per
chunk, so for those a watchdog timer also shuts the socket down at the deadline. An answer not complete at the
deadline is abandoned (the connection is closed, never reused).

**Retries by idempotency, not by status alone.** A request whose outcome is unknown may have been carried out:
a timeout after it was sent, a connection dropped after it was written, a 5xx (a gateway in front of a server
that finished), a 2xx whose body cannot be read. :meth:`Transport.send` retries those only for calls marked
``idempotent`` (the token grant, ``POST /conversation``, SOQL, ``/conversationHistory`` with deterministic entry
ids). Every call, idempotent or not, is retried when the request is known not to have been processed: the
connection could not be made (nothing was sent) or Salesforce answered 429 (rate limits are checked before a
request is handled, RFC 6585 §4). A non-idempotent call's unknown outcome is raised as
:class:`SalesforceUnavailableError` with ``outcome_unknown=True`` for the caller's own design (``/route``:
:mod:`connect_omni.routing`; ``/interactions``: :mod:`connect_omni.messaging`).

**Retry-After** (seconds or an HTTP date, RFC 9110 §10.2.3) on a 429 or 503 is honoured when the wait leaves at
least :data:`~connect_omni.budget.MIN_ATTEMPT_S` of the budget; otherwise the call fails at once, saying how long
Salesforce asked to wait and how much budget was left. Other waits are exponential with full jitter (tenacity),
at most ``SALESFORCE_MAX_ATTEMPTS`` tries, never past the budget.

Other statuses are returned to the caller, which turns them into the project's errors with
:func:`error_from_response`.
"""

from __future__ import annotations

import contextlib
import email.utils
import html
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from connect_omni.budget import MIN_ATTEMPT_S, Budget
from connect_omni.errors import SalesforceError, SalesforceUnavailableError
from connect_omni.observability import count, logger

#: The wait between tries; tests replace it (the fault matrix records the waits asked for instead of waiting).
SLEEP: Callable[[float], None] = time.sleep
_USER_AGENT = "connect-omni/0.1 (+Amazon Connect to Salesforce Omni-Channel)"
_READ_SIZE = 65536
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


class _Retryable(Exception):
    """An attempt that failed in a way a later attempt may not.

    ``sent``: the request may have reached Salesforce (False only when the connection could not be made or
    the answer was 429). ``retry_after``: seconds Salesforce asked to wait, if it said.
    """

    def __init__(
        self,
        status: int | None,
        detail: str,
        *,
        sent: bool,
        response: requests.Response | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.sent = sent
        self.response = response
        self.retry_after = retry_after


def new_session() -> requests.Session:
    """A keep-alive session (one TLS handshake per host per container); trusts ``REQUESTS_CA_BUNDLE``.

    Asks for uncompressed answers (``Accept-Encoding: identity``): Salesforce's JSON answers are small, and an
    uncompressed body can be read against the deadline one socket read at a time.
    """
    session = requests.Session()
    session.headers["User-Agent"] = _USER_AGENT
    session.headers["Accept-Encoding"] = "identity"
    return session


@dataclass(frozen=True)
class Attempt:
    """What one attempt was given (for logs and tests): ``connect_s`` and ``total_s`` timeouts (s)."""

    operation: str
    connect_s: float
    total_s: float


class Transport:
    """Sends requests within a budget, retrying what is safe to retry (see the module docstring).

    Parameters
    ----------
    session:
        The container's ``requests.Session``.
    connect_timeout_s:
        Cap on the connect timeout of each try (s).
    max_attempts:
        Tries per call, at least 1.
    sleep:
        Injected for tests (default the module's :data:`SLEEP`, ``time.sleep``).
    on_attempt:
        Called with each :class:`Attempt` before it is sent (tests record the timeouts handed out).
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        connect_timeout_s: float,
        max_attempts: int,
        sleep: Callable[[float], None] | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> None:
        self.session = session
        self.connect_timeout_s = connect_timeout_s
        self.max_attempts = max_attempts
        self._sleep = sleep
        self.on_attempt = on_attempt

    def send(
        self,
        operation: str,
        method: str,
        url: str,
        budget: Budget,
        *,
        idempotent: bool,
        expect_json: bool = False,
        request_id: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request and read its whole answer before the budget's deadline.

        Parameters
        ----------
        operation:
            Name for logs and errors, e.g. ``POST /api/v1/route``.
        idempotent:
            True when sending the request twice has the effect of sending it once; only then is a request whose
            outcome is unknown sent again.
        expect_json:
            A 2xx answer must be a JSON object; one that is not (empty, HTML, cut short) counts as an unknown
            outcome (retried when ``idempotent``).
        kwargs:
            Passed to ``requests.Session.request`` (``headers``, ``json``, ``data``, ``files``, ``params``).

        Returns
        -------
        requests.Response
            Any answer that is not 429 or 5xx (including 4xx; see :func:`error_from_response`), body read.

        Raises
        ------
        SalesforceUnavailableError
            The tries allowed by ``SALESFORCE_MAX_ATTEMPTS`` and the budget all failed (429, 5xx, connection,
            no complete answer before the deadline, an unreadable 2xx), or ``Retry-After`` asked for longer than
            the budget allows. ``outcome_unknown`` is True when the last try may have been carried out.
        BudgetExhaustedError
            Too little budget left to start the first try.
        """
        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                return exc.retry_after
            return _jitter(state)

        def out_of_budget(state: RetryCallState) -> bool:
            return budget.remaining() - (state.upcoming_sleep or 0) < MIN_ATTEMPT_S

        def safe_to_retry(exc: BaseException) -> bool:
            return isinstance(exc, _Retryable) and (idempotent or not exc.sent)

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
            stop=stop_after_attempt(self.max_attempts) | out_of_budget,
            wait=wait,
            retry=retry_if_exception(safe_to_retry),
            before_sleep=before_sleep,
            reraise=True,
            sleep=self._sleep or (lambda seconds: SLEEP(seconds)),
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._try_once(operation, method, url, budget, expect_json, **kwargs)
        except _Retryable as exc:
            raise self._give_up(operation, exc, budget, idempotent, request_id) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _give_up(
        self, operation: str, exc: _Retryable, budget: Budget, idempotent: bool, request_id: str | None
    ) -> SalesforceUnavailableError:
        status, code, detail = exc.status, None, exc.detail
        if exc.response is not None and exc.status is not None and exc.status >= 400:
            err = error_from_response(operation, exc.response, request_id)
            code, detail = err.code, err.detail or detail
        left = max(budget.remaining(), 0.0)
        if exc.retry_after is not None and exc.retry_after > left - MIN_ATTEMPT_S:
            detail = (
                f"{detail}; Salesforce asked to retry after {exc.retry_after:g} s, "
                f"{left * 1000:.0f} ms left of the invocation's budget"
            )
        elif exc.sent and not idempotent:
            detail = f"{detail}; not sent again: the request may have been carried out"
        return SalesforceUnavailableError(
            operation,
            status=status,
            code=code,
            detail=detail,
            request_id=request_id,
            outcome_unknown=exc.sent,
        )

    def _try_once(
        self, operation: str, method: str, url: str, budget: Budget, expect_json: bool, **kwargs: Any
    ) -> requests.Response:
        connect_s, total_s = budget.timeouts(self.connect_timeout_s, operation)
        deadline = time.monotonic() + total_s
        if self.on_attempt is not None:
            self.on_attempt(Attempt(operation, connect_s, total_s))
        timeout = urllib3.Timeout(connect=connect_s, read=total_s, total=total_s)
        try:
            response = self.session.request(method, url, timeout=timeout, stream=True, **kwargs)
        except requests.exceptions.ConnectTimeout:
            raise _Retryable(None, f"no connection within {connect_s:.2f} s", sent=False) from None
        except requests.exceptions.ReadTimeout:
            raise _Retryable(None, f"no response within {total_s:.2f} s (the rest of the budget)", sent=True) from None
        except requests.exceptions.ConnectionError as exc:
            sent = _may_have_been_sent(exc)
            what = "connection dropped" if sent else "connection failed"
            raise _Retryable(None, f"{what}: {_reason(exc)}", sent=sent) from None
        except requests.exceptions.RequestException as exc:
            raise _Retryable(None, f"request not sent: {type(exc).__name__}", sent=False) from None
        _read_body(response, deadline, total_s)
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(
                status,
                f"HTTP {status}",
                sent=status != 429,
                response=response,
                retry_after=_retry_after(response) if status in (429, 503) else None,
            )
        if expect_json and 200 <= status < 300 and not _is_json_object(response):
            raise _Retryable(status, f"HTTP {status} with {_describe_body(response)}", sent=True, response=response)
        return response


_jitter = wait_random_exponential(multiplier=0.1, max=1.0)


def _read_body(response: requests.Response, deadline: float, total_s: float) -> None:
    """Read the whole body into ``response`` before ``deadline`` (monotonic s), or raise ``_Retryable``."""
    raw = response.raw
    connection = getattr(raw, "_connection", None)
    sock: socket.socket | None = getattr(connection, "sock", None)
    plain = "Content-Length" in response.headers and "Content-Encoding" not in response.headers
    watchdog = _Watchdog(sock, deadline) if sock is not None and not plain else None
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if sock is not None:
                sock.settimeout(left)
            chunk = raw.read1(_READ_SIZE, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
        if watchdog is not None and watchdog.fired:
            raise TimeoutError
    except (TimeoutError, OSError, urllib3.exceptions.HTTPError, requests.exceptions.RequestException) as exc:
        response.close()
        timed_out = isinstance(exc, TimeoutError | urllib3.exceptions.TimeoutError) or (
            watchdog is not None and watchdog.fired
        )
        if timed_out or time.monotonic() >= deadline:
            detail = (
                f"HTTP {response.status_code} answer not complete within {total_s:.2f} s (the rest of the budget)"
            )
        else:
            detail = f"HTTP {response.status_code} answer cut short: {type(exc).__name__}"
        raise _Retryable(None, detail, sent=True) from None
    finally:
        if watchdog is not None:
            watchdog.cancel()
    response._content = b"".join(chunks)  # what requests itself does when it reads a body
    response._content_consumed = True
    with contextlib.suppress(Exception):
        raw.release_conn()


class _Watchdog:
    """Shuts ``sock`` down at ``deadline`` (monotonic s), so a read blocked in a chunk header returns."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.fired = False
        self._sock = sock
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


_CONNECT_PHASE = (
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.SSLError,
)


def _may_have_been_sent(exc: requests.exceptions.ConnectionError) -> bool:
    """False only when urllib3 failed to make the connection (it then raises ``MaxRetryError`` wrapping a
    connect-phase error); a ``ProtocolError`` means the connection broke after the request was (being) sent."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
        return not isinstance(reason, _CONNECT_PHASE)
    return True


def _reason(exc: BaseException) -> str:
    reason = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    inner = reason.args[-1] if isinstance(reason, urllib3.exceptions.ProtocolError) and reason.args else reason
    return type(inner).__name__


def _retry_after(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds (delay-seconds or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _is_json_object(response: requests.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def _describe_body(response: requests.Response) -> str:
    """"a body that is not a JSON object (text/html, 312 bytes: <title>)" — never the body itself."""
    kind = response.headers.get("Content-Type", "no content type").split(";")[0]
    size = len(response.content or b"")
    if not size:
        return "an empty body"
    title = _html_title(response)
    return f"a body that is not a JSON object ({kind}, {size} bytes{': ' + title if title else ''})"


def _html_title(response: requests.Response) -> str:
    text = response.text or ""
    if "<" not in text[:200]:
        return ""
    found = _TITLE.search(text)
    words = found.group(1) if found else _TAGS.sub(" ", text)
    return " ".join(html.unescape(words).split())[:120]


def error_from_response(operation: str, response: requests.Response, request_id: str | None = None) -> SalesforceError:
    """Turn a Salesforce error response into a :class:`SalesforceError` (not raised).

    Understands the three error bodies Salesforce uses: the Interaction Service's ``{"code", "message"}``
    (inbound-interaction-api.yaml ``Error``), REST's ``[{"errorCode", "message"}]`` and OAuth's
    ``{"error", "error_description"}``; an HTML page (a gateway's) is named by its title. Details are cut to
    500 characters.
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
    elif "html" in response.headers.get("Content-Type", "") or _html_title(response):
        detail = f"HTML page: {_html_title(response) or 'untitled'}"
    elif response.text:
        detail = response.text[:200]
    return SalesforceError(
        operation, status=response.status_code, code=code, detail=detail[:500], request_id=request_id
    )


__all__ = ["Attempt", "Transport", "error_from_response", "new_session"]

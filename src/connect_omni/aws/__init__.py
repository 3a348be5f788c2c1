"""Adapters of the AWS services the functions use: Secrets Manager, Connect, S3, DynamoDB (the state table).

Every AWS call goes through :func:`call`, which holds it to the invocation's budget:

- **Bounded by the budget, answer included.** botocore's timeouts bound a connect and the gap between two bytes,
  not a call (an answer trickling in, or botocore's own retries, can outlast any budget), and a client's
  ``Config`` is fixed when the client is made while the budget shrinks during an invocation. So the call runs in
  a worker thread and the caller waits at most the time left (:meth:`Budget.remaining`); an answer not complete
  by then is abandoned (for a read nothing is lost; the ledger's conditional writes are built for it, see
  :mod:`connect_omni.aws.state_table`). The clients themselves (:func:`connect_omni.container.aws_client`) have
  ``connect_timeout`` = ``HTTP_CONNECT_TIMEOUT_SECONDS``, a short ``read_timeout`` (:data:`READ_TIMEOUT_S`) and
  **no botocore retries**, so an abandoned thread ends soon and every retry is one of ours.
- **Retries we can see.** Throttling (``ThrottlingException``, ``TooManyRequestsException``, ``SlowDown``, ...,
  or HTTP 429), 5xx, connection errors, timeouts and unreadable answers are retried for idempotent calls
  (reads, and the conditional writes of the state table) with exponential backoff and jitter, ``Retry-After``
  when the service sends one, at most :data:`MAX_ATTEMPTS` tries, never past the budget.
- **The project's errors.** Whatever fails becomes :class:`AwsCallError` (``transient`` says whether a retry could
  succeed), never a botocore exception.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_omni.budget import MIN_ATTEMPT_S, Budget
from connect_omni.errors import BudgetExhaustedError, ConnectOmniError

#: Tries per call on transient failures.
MAX_ATTEMPTS = 3
#: botocore ``read_timeout`` of the clients (s): the longest gap between two bytes of an answer.
READ_TIMEOUT_S = 5.0
#: Error codes that mean "slow down", whatever the HTTP status (botocore's standard retry mode's list).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
#: The wait between tries; tests replace it.
SLEEP: Callable[[float], None] = time.sleep
#: Budget for commands and tests that call an adapter without an invocation (s).
DEFAULT_BUDGET_S = 60.0


class AwsCallError(ConnectOmniError):
    """An AWS API call failed (throttling, 5xx, network, timeout, an unreadable answer, access denied, ...).

    Parameters
    ----------
    operation:
        e.g. ``connect:GetContactAttributes``.
    code:
        The AWS error code (``ThrottlingException``, ``AccessDenied``), ``Timeout``, or the botocore exception
        name.
    detail:
        The service's message or what went wrong (cut to 300 characters; never a secret value).
    transient:
        A later retry may succeed (throttling, 5xx, network, timeout); False for refusals (4xx).
    """

    def __init__(self, operation: str, code: str, detail: str = "", *, transient: bool = False) -> None:
        self.operation = operation
        self.code = code
        self.detail = detail
        self.transient = transient
        super().__init__(f"{operation} failed: {code}" + (f": {detail[:300]}" if detail else ""))


def error_code(exc: ClientError | BotoCoreError) -> str:
    """``Error.Code`` of a ``ClientError``, else the exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


class UnreadableAnswerError(Exception):
    """Raised inside a call's ``fn`` when a 200 answer lacks what the operation always returns (an empty or
    foreign body botocore parsed as ``{}``): transient, so :func:`call` retries it."""


class _Failed(Exception):
    def __init__(self, error: AwsCallError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def _classify(operation: str, exc: BaseException) -> _Failed:
    if isinstance(exc, ClientError):
        code = error_code(exc)
        meta = exc.response.get("ResponseMetadata", {})
        status = int(meta.get("HTTPStatusCode") or 0)
        message = str(exc.response.get("Error", {}).get("Message") or "")
        transient = status >= 500 or status == 429 or code in THROTTLING_CODES
        retry_after = None
        header = (meta.get("HTTPHeaders") or {}).get("retry-after", "")
        if transient and str(header).strip().isdigit():
            retry_after = float(header)
        detail = message or (f"HTTP {status}" if status else "")
        return _Failed(AwsCallError(operation, code, detail, transient=transient), retry_after)
    if isinstance(exc, BotoCoreError):
        return _Failed(AwsCallError(operation, error_code(exc), str(exc), transient=True))
    # botocore.parsers.ResponseParserError (not a BotoCoreError): a 200 with a body that is not the service's;
    # UnreadableAnswerError: one botocore could parse but that lacks what the operation always returns.
    detail = str(exc) if isinstance(exc, UnreadableAnswerError) else type(exc).__name__
    return _Failed(AwsCallError(operation, "UnreadableAnswer", detail, transient=True))


def call[T](
    operation: str,
    fn: Callable[[], T],
    budget: Budget | None = None,
    *,
    idempotent: bool = True,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Run ``fn`` (one AWS call, plus reading its answer) within ``budget``; see the module docstring.

    Parameters
    ----------
    operation:
        ``service:Operation`` for errors and logs.
    fn:
        Makes the call and returns what the caller needs (for S3 ``GetObject``, the body's bytes).
    budget:
        The invocation's budget; a :data:`DEFAULT_BUDGET_S` one when None (commands, tests).
    idempotent:
        Retry transient failures (False: one try).
    sleep:
        Injected for tests (default: an uninterruptible wait of the given seconds).

    Raises
    ------
    AwsCallError
        The call failed (``transient`` tells whether a later retry could succeed), or no answer came before the
        deadline (code ``Timeout``).
    BudgetExhaustedError
        Too little budget left to start the call.
    """
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

    budget = budget or Budget.of_seconds(DEFAULT_BUDGET_S)
    jitter = wait_random_exponential(multiplier=0.1, max=1.0)

    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Failed) and exc.retry_after is not None:
            return exc.retry_after
        return jitter(state)

    def out_of_budget(state: Any) -> bool:
        return budget.remaining() - (state.upcoming_sleep or 0) < MIN_ATTEMPT_S

    retrying = Retrying(
        stop=stop_after_attempt(MAX_ATTEMPTS if idempotent else 1) | out_of_budget,
        wait=wait,
        retry=retry_if_exception(lambda e: isinstance(e, _Failed) and e.error.transient),
        reraise=True,
        sleep=sleep or (lambda seconds: SLEEP(seconds)),
    )
    try:
        for attempt in retrying:
            with attempt:
                return _once(operation, fn, budget)
    except _Failed as failed:
        raise failed.error from None
    raise AssertionError("unreachable")  # pragma: no cover


def _once[T](operation: str, fn: Callable[[], T], budget: Budget) -> T:
    left = budget.remaining()
    if left < MIN_ATTEMPT_S:
        raise BudgetExhaustedError(
            f"{operation} not attempted: {max(left, 0) * 1000:.0f} ms left of the invocation's budget"
        )
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"aws-{operation}", daemon=True)
    worker.start()
    worker.join(left)
    if worker.is_alive():
        raise _Failed(
            AwsCallError(
                operation, "Timeout", f"no complete answer within {left:.2f} s (the rest of the budget)", transient=True
            )
        )
    if "error" in box:
        error = box["error"]
        if isinstance(error, AwsCallError | BudgetExhaustedError):
            raise error
        raise _classify(operation, error)
    return box["value"]


__all__ = ["AwsCallError", "UnreadableAnswerError", "call", "error_code"]

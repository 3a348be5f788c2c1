"""The invocation's time budget.

Amazon Connect waits at most the flow block's ``InvocationTimeLimitSeconds`` (1-8 s) for a Lambda; past that
the flow takes the Error branch while the Lambda may still be talking to Salesforce. Every HTTP call here
therefore takes its timeouts from what is left of the invocation, minus a margin, so a slow Salesforce
makes the handler fail on its own terms and in time. (docs.aws.amazon.com/connect/latest/adminguide/
connect-lambda-functions.html)

On an on-demand cold start the container's initialisation also ran on the caller's clock but not on Lambda's,
so the container's first invocation is shortened by the time spent initialising. Only that invocation: when it
is a warm-up ping, the init ran on the ping's clock and no later invocation pays for it. Provisioned
concurrency and SnapStart initialise ahead of any invocation, so nothing is taken off
(``AWS_LAMBDA_INITIALIZATION_TYPE``: ``on-demand``, ``provisioned-concurrency``, ``snap-start``;
docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
"""

from __future__ import annotations

import os
import time
from typing import Protocol

from connect_omni.errors import BudgetExhaustedError

#: When this module was first imported: the start of the container's initialisation (monotonic s).
_CONTAINER_INIT_STARTED = time.monotonic()
_invocation_started = False
#: Lambda allows 10 s of initialisation; a longer gap means a pre-initialised container.
_MAX_INIT_S = 10.0
#: No attempt is started with less than this left (s).
MIN_ATTEMPT_S = 0.2


class LambdaContextLike(Protocol):
    """The part of the Lambda context object the budget needs."""

    def get_remaining_time_in_millis(self) -> int:  # pragma: no cover - protocol
        ...


def start_invocation() -> float:
    """Call once at the very start of every invocation, warm-ups included, before anything else.

    Returns
    -------
    float
        Seconds of initialisation that ran on this invocation's caller's clock: the init time (s) on the
        container's first invocation after an on-demand initialisation, else ``0.0``.
    """
    global _invocation_started
    if _invocation_started:
        return 0.0
    _invocation_started = True
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "on-demand":
        return 0.0
    init_s = time.monotonic() - _CONTAINER_INIT_STARTED
    return init_s if 0 < init_s < _MAX_INIT_S else 0.0


class Budget:
    """A deadline on the monotonic clock.

    Parameters
    ----------
    deadline:
        ``time.monotonic()`` value (s) at which the handler must have answered, margin already taken off.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    @classmethod
    def from_context(cls, context: LambdaContextLike, margin_ms: int, init_s: float = 0.0) -> Budget:
        """Budget for one invocation.

        Parameters
        ----------
        context:
            The Lambda context; ``get_remaining_time_in_millis()`` gives the time left (ms).
        margin_ms:
            Kept back for answering and for Connect's own overhead (ms).
        init_s:
            Initialisation time that ran on the caller's clock (s), from :func:`start_invocation`.
        """
        now = time.monotonic()
        remaining_s = context.get_remaining_time_in_millis() / 1000.0 - init_s
        return cls(now + remaining_s - margin_ms / 1000.0)

    @classmethod
    def of_seconds(cls, seconds: float) -> Budget:
        """A budget of ``seconds`` from now (for commands and tests)."""
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left (may be negative)."""
        return self.deadline - time.monotonic()

    def timeouts(self, connect_cap_s: float, operation: str) -> tuple[float, float]:
        """``(connect, read)`` timeouts (s) for the next HTTP attempt.

        Raises
        ------
        BudgetExhaustedError
            When less than ``MIN_ATTEMPT_S`` is left; the message names ``operation``.
        """
        left = self.remaining()
        if left < MIN_ATTEMPT_S:
            raise BudgetExhaustedError(
                f"{operation} not attempted: {max(left, 0) * 1000:.0f} ms left of the invocation's budget"
            )
        return (min(connect_cap_s, left), left)

"""Who answers an InvokeLambdaFunction block of the flow runner: stubs, or this project's handlers in-process.

An invoker is ``invoke(function_arn, event, timeout_s) -> response``; raising means the invocation failed (the
block takes its error branch). The event is the Lambda input Connect sends
(https://docs.aws.amazon.com/connect/latest/adminguide/connect-lambda-functions.html).
"""

from __future__ import annotations

import importlib
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from localdev.flows.model import PROJECT_HANDLERS, REPO_ROOT, function_name

Invoker = Callable[[str, dict[str, Any], float], Any]
"""``invoke(function_arn, event, timeout_s) -> response``; raise to signal a failed invocation."""


class LambdaError(Exception):
    """A stubbed invocation that fails (``--lambda NAME=error``)."""


class UnknownHandlerError(LookupError):
    """:func:`local_handler_invoker` was asked for a function it has no handler for (a runner misuse, not a flow
    outcome: the run stops)."""


class FakeLambdaContext:
    """The parts of the Lambda context object the handlers use; remaining time counts down from the
    block's InvocationTimeLimitSeconds in wall time."""

    def __init__(self, function_arn: str, timeout_s: float, memory_limit_in_mb: int = 256) -> None:
        self.function_name = function_arn.rsplit(":", 1)[-1]
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local/flow-runner"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def import_handler(dotted: str) -> Callable[[dict[str, Any], Any], Any]:
    """Import ``package.module.function``; ``src/`` is put on ``sys.path`` when the package is not installed."""
    module_name, attr = dotted.rsplit(".", 1)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        src = str(REPO_ROOT / "src")
        if src in sys.path:
            raise
        sys.path.insert(0, src)
        module = importlib.import_module(module_name)
    return getattr(module, attr)


def local_handler_invoker(handlers: Mapping[str, str] = PROJECT_HANDLERS) -> Invoker:
    """Return an invoker that calls the project's handlers in this process.

    The function is named by :func:`localdev.flows.model.function_name` (``...:function:RoutingFunction`` ->
    ``RoutingFunction``), looked up in ``handlers`` and imported on first use.

    Raises
    ------
    UnknownHandlerError
        (from the invoker) for a function not in ``handlers``.
    """

    def invoke(function_arn: str, event: dict[str, Any], timeout_s: float) -> Any:
        name = function_name(function_arn)
        if name not in handlers:
            raise UnknownHandlerError(f"no local handler for function {name!r} (known: {', '.join(handlers)})")
        handler = import_handler(handlers[name])
        return handler(event, FakeLambdaContext(function_arn, timeout_s))

    return invoke


class StubInvoker:
    """Answers every function with ``{}``, unless told otherwise.

    Parameters
    ----------
    responses : mapping
        Function name (or full ARN) -> the response (any JSON value) or an exception instance to raise
        (``LambdaError`` for ``--lambda NAME=error``).
    real : invoker, optional
        Used for this project's own functions (:data:`localdev.flows.model.PROJECT_HANDLERS`) that ``responses``
        does not name (``--standins``).

    Attributes
    ----------
    calls : list of (function_arn, event, timeout_s)
    """

    def __init__(self, responses: Mapping[str, Any] | None = None, real: Invoker | None = None) -> None:
        self.responses = dict(responses or {})
        self.real = real
        self.calls: list[tuple[str, dict[str, Any], float]] = []

    def __call__(self, function_arn: str, event: dict[str, Any], timeout_s: float) -> Any:
        self.calls.append((function_arn, event, timeout_s))
        name = function_name(function_arn)
        for key in (function_arn, name):
            if key in self.responses:
                answer = self.responses[key]
                if isinstance(answer, BaseException):
                    raise answer
                return answer
        if self.real is not None and name in PROJECT_HANDLERS:
            return self.real(function_arn, event, timeout_s)
        return {}

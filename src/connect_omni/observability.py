"""The one Logger, Tracer and Metrics of the package (Powertools for AWS Lambda).

Service name and metrics namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE`` (set in the template's Globals); the defaults below serve local runs.

The tracer costs nothing when tracing is off. Powertools' ``Tracer`` imports the X-Ray SDK even when it is
disabled (``Tracer._disable_tracer_provider`` and its default provider both load ``aws_xray_sdk``), and with
tracing on its default ``patch_all`` patches botocore at import, whose ``botocore.client`` pulls
``botocore.docs`` (100-200 ms) though a warm invocation makes no AWS call. So :data:`tracer` is a Powertools
``Tracer`` only when :func:`tracing_enabled`, patching ``requests`` (the Salesforce calls) at import and
botocore only when the first AWS client is made (:func:`trace_aws_calls`, called by
:func:`connect_omni.container.aws_client` and before the secret is read); otherwise it is a
:class:`DisabledTracer` with the same decorators, which do nothing. The stack's ``Tracing`` parameter sets both
Lambda's X-Ray mode and ``POWERTOOLS_TRACE_DISABLED``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

__all__ = [
    "DisabledTracer",
    "MetricUnit",
    "count",
    "logger",
    "metrics",
    "trace_aws_calls",
    "traced_in_thread",
    "tracer",
    "tracing_enabled",
]

#: Library the Tracer patches at import when tracing is on (X-Ray SDK name); botocore follows on first use.
TRACED_AT_IMPORT = ("requests",)

_TRUTHY = ("1", "true", "on", "yes", "y")


def tracing_enabled(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Whether X-Ray tracing is on: Powertools' own rule (``Tracer._is_tracer_disabled``).

    On inside Lambda (``LAMBDA_TASK_ROOT`` set), unless ``POWERTOOLS_TRACE_DISABLED`` is truthy; off outside
    Lambda and under ``sam local`` (``AWS_SAM_LOCAL``) or Chalice (``AWS_CHALICE_CLI_MODE``), where no X-Ray
    daemon listens. (docs.powertools.aws.dev/lambda/python/latest/core/tracer/)
    """
    if environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUTHY:
        return False
    if not environ.get("LAMBDA_TASK_ROOT"):
        return False
    return not (environ.get("AWS_SAM_LOCAL") or environ.get("AWS_CHALICE_CLI_MODE"))


class DisabledTracer:
    """The part of Powertools' ``Tracer`` the package uses, doing nothing (tracing is off).

    ``capture_lambda_handler`` and ``capture_method`` return the function they decorate unchanged, with or
    without arguments; ``put_annotation`` and ``put_metadata`` drop what they are given.
    """

    disabled = True

    @staticmethod
    def _passthrough(function: Callable[..., Any] | None) -> Any:
        return function if function is not None else (lambda f: f)

    def capture_lambda_handler(self, lambda_handler: Callable[..., Any] | None = None, **_: Any) -> Any:
        """``@tracer.capture_lambda_handler`` or ``@tracer.capture_lambda_handler(...)``: the handler itself."""
        return self._passthrough(lambda_handler)

    def capture_method(self, method: Callable[..., Any] | None = None, **_: Any) -> Any:
        """``@tracer.capture_method`` or ``@tracer.capture_method(...)``: the method itself."""
        return self._passthrough(method)

    def put_annotation(self, key: str, value: Any) -> None:
        """Nothing to annotate."""

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        """Nothing to record."""


def _make_tracer(service: str) -> Any:
    if not tracing_enabled():
        return DisabledTracer()
    from aws_lambda_powertools import Tracer

    return Tracer(service=service, patch_modules=TRACED_AT_IMPORT)


logger = Logger(service=os.getenv("POWERTOOLS_SERVICE_NAME", "connect-omni"))
tracer = _make_tracer(os.getenv("POWERTOOLS_SERVICE_NAME", "connect-omni"))
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE", "ConnectOmniChannel"))


_aws_traced = False


def trace_aws_calls() -> None:
    """Patch botocore for X-Ray (one subsegment per AWS call) if tracing is on; once per process.

    Call it before making a boto3 client: patching needs ``botocore.client``, which a client loads anyway.
    """
    global _aws_traced
    if _aws_traced or isinstance(tracer, DisabledTracer):
        return
    tracer.patch(modules=("botocore",))
    _aws_traced = True


def traced_in_thread(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` made to run in a worker thread under the calling thread's X-Ray segment.

    The X-Ray SDK keeps the current segment per thread; without this, subsegments (the patched ``requests``
    calls) made in a ``ThreadPoolExecutor`` find no parent and are dropped with an error line. With tracing
    off, ``function`` itself is returned.
    """
    if isinstance(tracer, DisabledTracer):
        return function
    from aws_xray_sdk.core import xray_recorder

    entity = xray_recorder.get_trace_entity()

    def in_thread(*args: Any, **kwargs: Any) -> Any:
        xray_recorder.set_trace_entity(entity)
        try:
            return function(*args, **kwargs)
        finally:
            xray_recorder.clear_trace_entities()

    return in_thread


def count(name: str, value: int = 1) -> None:
    """Add ``value`` to the count metric ``name`` (unit Count) for this invocation."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def log_failure(message: str, exc: BaseException, extra: dict[str, object] | None = None) -> None:
    """One error line for a failure: the exception type and text, and, for Salesforce errors, the HTTP
    ``status``, Salesforce's error ``code`` and the ``RequestId`` sent; ``extra`` adds keys (identifiers)."""
    logger.error(
        message,
        extra={
            "error_type": type(exc).__name__,
            "error": str(exc),
            "status": getattr(exc, "status", None),
            "code": getattr(exc, "code", None),
            "request_id": getattr(exc, "request_id", None),
            **(extra or {}),
        },
    )

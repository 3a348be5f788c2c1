"""The one Logger, Tracer and Metrics of the package (Powertools for AWS Lambda).

Service name and metrics namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE`` (set in the template's Globals); the defaults below serve local runs.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service=os.getenv("POWERTOOLS_SERVICE_NAME", "connect-omni"))
tracer = Tracer(service=os.getenv("POWERTOOLS_SERVICE_NAME", "connect-omni"))
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE", "ConnectOmniChannel"))

__all__ = ["MetricUnit", "count", "logger", "metrics", "tracer"]


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

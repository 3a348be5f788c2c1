"""Shared wiring of handlers that EventBridge invokes asynchronously (Amazon Connect contact events).

The sibling of :mod:`connect_omni.handlers._flow` for events that do not come from a contact flow: Powertools
Logger (``detail.contactId`` as correlation id), Tracer and Metrics; parsing the event; the invocation's
:class:`~connect_omni.budget.Budget`; one log line per failure. Unlike a flow handler, the answer is a summary
nobody waits for, and the error policy is Lambda's asynchronous one: what is raised is retried (twice by
default) and then sent to the on-failure destination, so the use case raises only what is worth retrying and
returns a summary for everything else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from connect_omni import container
from connect_omni.budget import Budget, start_invocation
from connect_omni.errors import ConnectOmniError, InputError, UnexpectedError
from connect_omni.models.contact_event import ContactEvent
from connect_omni.observability import count, log_failure, logger, metrics, tracer

UseCase = Callable[[ContactEvent, Budget], dict[str, Any]]


def contact_event_handler(use_case: UseCase) -> Callable[[Any, Any], dict[str, Any]]:
    """Make ``use_case(event, budget) -> summary`` a Lambda handler for EventBridge contact events.

    A malformed event is logged and answered ``{"status": "invalid_event"}`` (retrying cannot fix it);
    :class:`~connect_omni.errors.ConnectOmniError` from the use case is logged with its type and re-raised.
    """

    @logger.inject_lambda_context(correlation_id_path="detail.contactId", clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    @functools.wraps(use_case)
    def handler(event: Any, context: Any) -> dict[str, Any]:
        init_s = start_invocation()
        try:
            parsed = ContactEvent.parse(event)
        except InputError as exc:
            count("InputErrors")
            logger.error("Not an Amazon Connect contact event; dropped", extra={"field": exc.field, "error": str(exc)})
            return {"status": "invalid_event", "error": str(exc)}
        detail = parsed.detail
        logger.append_keys(
            contact_id=detail.contact_id,
            initial_contact_id=parsed.initial_contact_id,
            event_type=detail.event_type,
            event_id=parsed.id,
        )
        tracer.put_annotation("contact_id", detail.contact_id)
        try:
            budget = Budget.from_context(context, container.settings().budget_margin_ms, init_s)
            summary = use_case(parsed, budget)
        except ConnectOmniError as exc:
            reason = type(exc).__name__.removesuffix("Error")
            count("TranscriptFailures")
            count(f"TranscriptFailures{reason}")
            log_failure("Failed; Lambda retries the event, then sends it to the on-failure destination", exc)
            raise
        except Exception as exc:
            reason = "Unexpected"
            count("TranscriptFailures")
            count(f"TranscriptFailures{reason}")
            logger.exception("Unexpected error (a bug); Lambda retries the event, then sends it to the DLQ")
            raise UnexpectedError(f"{type(exc).__name__} (a bug; the log has its traceback)") from exc
        logger.info("Done", extra={"summary": summary})
        return summary

    return handler

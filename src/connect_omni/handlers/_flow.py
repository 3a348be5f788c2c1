"""Shared wiring of the handlers that Amazon Connect flows invoke.

Powertools Logger (the contact id as correlation id), Tracer and Metrics; the warm-up answer; parsing the
event; the invocation's :class:`~connect_omni.budget.Budget`; one log line per failure with the identifiers an
operator searches by. Failures are re-raised: Connect then takes the block's Error branch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from connect_omni import container
from connect_omni.budget import Budget, start_invocation
from connect_omni.errors import ConnectOmniError, InputError, UnexpectedError
from connect_omni.models.connect import ContactFlowEvent, is_warmup
from connect_omni.observability import count, log_failure, logger, metrics, tracer

UseCase = Callable[[ContactFlowEvent, Budget], dict[str, str]]


def connect_flow_handler(use_case: UseCase) -> Callable[[Any, Any], dict[str, str]]:
    """Make ``use_case(event, budget) -> STRING_MAP`` a Lambda handler for a Connect flow block.

    The handler answers ``{}`` to a warm-up event (``"source": "aws.events"``) without any call, raises
    :class:`~connect_omni.errors.InputError` for a malformed event, and otherwise returns what
    ``use_case`` returns (a flat map of non-empty strings).
    """

    @logger.inject_lambda_context(correlation_id_path="Details.ContactData.ContactId", clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    @functools.wraps(use_case)
    def handler(event: Any, context: Any) -> dict[str, str]:
        init_s = start_invocation()  # first, so that a warm-up ping consumes the cold start
        if is_warmup(event):
            return {}
        try:
            parsed = ContactFlowEvent.parse(event)
            contact = parsed.contact
            logger.append_keys(
                contact_id=contact.contact_id,
                initial_contact_id=contact.initial_contact_id,
                initiation_method=contact.initiation_method,
            )
            tracer.put_annotation("contact_id", contact.contact_id)
            budget = Budget.from_context(context, container.settings().budget_margin_ms, init_s)
            answer = use_case(parsed, budget)
        except InputError as exc:
            count("InputErrors")
            logger.warning("Bad input from the contact flow", extra={"field": exc.field, "error": str(exc)})
            raise
        except ConnectOmniError as exc:
            count("Failures")
            log_failure("Failed; the flow takes the Error branch", exc)
            raise
        except Exception as exc:
            count("Failures")
            logger.exception("Unexpected error (a bug); the flow takes the Error branch")
            raise UnexpectedError(f"{type(exc).__name__} (a bug; the log has its traceback)") from exc
        logger.info("Answered the flow", extra={"answer": answer})
        return answer

    return handler

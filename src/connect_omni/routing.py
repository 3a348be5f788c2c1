"""Use case: have Omni-Channel route the work item, and find the Amazon Connect queue it lands in.

The answer of ``POST /route`` carries a ``contextParamMap`` ("userId, queueId, etc."; the key holding an
external queue is not documented). The target is resolved from its values, in this order:

1. a Connect queue ARN of ``CONNECT_INSTANCE_ARN`` -> ``externalQueueId`` as is;
2. a Salesforce queue id (``00G...``) -> ``CallCenterRoutingMap.ExternalId`` -> ``externalQueueId``;
3. a Connect agent ARN of the instance, or a Salesforce user id (``005...``) mapped to one ->
   ``externalAgentId``.

Nothing mapped is not an error: the answer has no ``externalQueueId`` and the flow decides (the inbound flow's
fallback queue; a transfer flow uses the queue or agent Connect already set), and the reason is logged.

**Exactly one PSR per contact and routing type.** ``POST /route`` creates a PendingServiceRouting ("Create PSR for
given conversation", Interaction Service API, operation ``post-route``) and is not idempotent: a retry after an
unknown outcome (a 5xx, a dropped connection, an answer that never completed) can make a second PSR, and so can
the flow's retry loop, a new invocation that cannot see what the previous one did. So:

1. Before the POST, a claim ``route#<ContactId>#<routingType>#<workItemId>`` is written to the state table
   with a conditional put (:meth:`connect_omni.aws.state_table.StateTable.begin`). A retry finds the earlier
   attempt's claim: completed → its answer is given back and nothing is sent; outcome unknown (the attempt said
   so, or died and its lease expired) → ``DELETE /route`` first.
2. ``DELETE /route`` ("Delete PSR for given conversation", operation ``delete-route``) cancels the conversation's
   pending PSR, if the earlier attempt made one, and is itself idempotent. It never takes work from an agent:
   Omni-Channel deletes the PSR when an agent accepts ("Expected Behavior for External Routing for
   Omni-Channel", Omni-Channel Developer Guide), so after an acceptance there is nothing to cancel and the
   answer is ``success: false``. On a Transfer it cancels what is still pending for the conversation, which the
   transfer replaces anyway.
3. Within one invocation the same rule holds: an unknown outcome is followed, budget permitting, by
   ``DELETE /route`` and one more POST.

Cost: the happy path is one Salesforce round trip plus two single-digit-ms DynamoDB writes (the claim, then
"completed"); the DELETE is paid only after an unknown outcome. Without ``STATE_TABLE_NAME`` (or when the table
cannot be reached) only step 3 applies. What no client can prevent: a request that Salesforce commits later
than the DELETE that follows it (a backend still working behind a gateway that gave up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connect_omni.aws import AwsCallError
from connect_omni.aws.state_table import Claim, StateTable
from connect_omni.budget import MIN_ATTEMPT_S, Budget
from connect_omni.errors import (
    BudgetExhaustedError,
    InputError,
    RoutingRejectedError,
    SalesforceError,
    SalesforceUnavailableError,
)
from connect_omni.models.connect import ContactFlowEvent
from connect_omni.models.salesforce import FlowInfo, RouteRequest, RouteResponse, RoutingInfo
from connect_omni.observability import count, logger
from connect_omni.salesforce.interaction import InteractionServiceClient
from connect_omni.salesforce.routing_map import CallCenterRoutingMap

ROUTING_TYPES = ("Initial", "Transfer")
ROUTING_ATTRIBUTE_PREFIX = "salesforceFlowRoutingAttributes."
_SALESFORCE_ID = re.compile(r"^[0-9A-Za-z]{15}([0-9A-Za-z]{3})?$")
_CONVERSATION_IDENTIFIER = re.compile(r"^[0-9A-Za-z-]{1,80}$")


def _salesforce_id(event: ContactFlowEvent, name: str, prefix: str, what: str) -> str | None:
    value = event.value(name)
    if value is not None and not (_SALESFORCE_ID.match(value) and value.startswith(prefix)):
        raise InputError(name, f"a Salesforce {what} id (15 or 18 characters, starting {prefix}), got {value!r}")
    return value


def build_route_request(event: ContactFlowEvent) -> RouteRequest:
    """The ``/route`` request for a Routing invocation.

    Inputs (block parameter first, then contact attribute): ``conversationIdentifier`` (required),
    ``routingType`` (``Initial`` or ``Transfer``, exactly), and optional overrides ``salesforceQueueId``, or
    ``salesforceFlowId`` + ``salesforceFlowFallbackQueueId`` (both) with ``salesforceFlowRoutingAttributes.*``.

    Raises
    ------
    InputError
        A missing, malformed or contradictory input, naming it.
    """
    conversation_identifier = event.value("conversationIdentifier")
    if conversation_identifier is None:
        raise InputError(
            "conversationIdentifier",
            "the conversation identifier returned by CreateMessagingSession, as a contact attribute",
        )
    if not _CONVERSATION_IDENTIFIER.match(conversation_identifier):
        raise InputError(
            "conversationIdentifier", f"a Salesforce conversation identifier, got {conversation_identifier[:60]!r}"
        )
    routing_type = event.value("routingType")
    if routing_type not in ROUTING_TYPES:
        raise InputError("routingType", f"Initial or Transfer, got {routing_type!r}")

    queue_id = _salesforce_id(event, "salesforceQueueId", "00G", "queue")
    flow_id = _salesforce_id(event, "salesforceFlowId", "300", "flow")
    fallback_queue_id = _salesforce_id(event, "salesforceFlowFallbackQueueId", "00G", "queue")
    routing_attributes = event.inputs_with_prefix(ROUTING_ATTRIBUTE_PREFIX)

    if queue_id and (flow_id or fallback_queue_id):
        raise InputError(
            "salesforceQueueId", "either salesforceQueueId or salesforceFlowId (+ fallback queue), not both"
        )
    if bool(flow_id) != bool(fallback_queue_id):
        missing = "salesforceFlowFallbackQueueId" if flow_id else "salesforceFlowId"
        raise InputError(missing, "salesforceFlowId and salesforceFlowFallbackQueueId together")
    if routing_attributes and not flow_id:
        raise InputError("salesforceFlowRoutingAttributes", "routing attributes only with salesforceFlowId (Omni-Flow)")

    routing_info = None
    if queue_id:
        routing_info = RoutingInfo(queue_id=queue_id)
    elif flow_id and fallback_queue_id:
        routing_info = RoutingInfo(
            flow=FlowInfo(flow_id=flow_id, queue_id=fallback_queue_id),
            routing_attributes=routing_attributes or None,
        )
    return RouteRequest(
        conversation_identifier=conversation_identifier, routing_type=routing_type, routing_info=routing_info
    )


@dataclass(frozen=True)
class RoutingOutcome:
    """What Routing returns to the flow (``None`` fields are left out of the answer)."""

    psr_id: str | None
    external_queue_id: str | None
    external_agent_id: str | None


def route_work_item(
    client: InteractionServiceClient,
    routing_map: CallCenterRoutingMap,
    request: RouteRequest,
    instance_arn: str,
    budget: Budget,
    *,
    ledger: StateTable | None = None,
    contact_id: str | None = None,
    work_item_id: str | None = None,
) -> RoutingOutcome:
    """Route the work item exactly once (see the module docstring) and resolve the Connect queue it lands in.

    Parameters
    ----------
    ledger, contact_id:
        The state table and the contact the route is for; without them only the in-process rule applies.
    work_item_id:
        The contact's ``workItemId`` attribute (its MessagingSession): part of the claim's key, so a chat
        re-queued with a new session is routed again rather than answered from the earlier route.

    Raises
    ------
    RoutingRejectedError
        ``success: false``; the message carries ``reasonForNotRouting``.
    SalesforceError, BudgetExhaustedError, LedgerBusyError
        From ``/route``, or another invocation is still routing this contact. A failure to read the routing map
        after a successful route is not raised (the work item is already routed); it is logged and the flow's
        fallback queue is used.
    """
    claim = _claim(ledger, contact_id, work_item_id, request, budget)
    if claim is not None and claim.kind == "completed":
        count("RoutesReplayed")
        logger.info("Routing already done for this contact; answering what it answered", extra={"claim": claim.key})
        response = RouteResponse.model_validate(claim.answer or {})
    else:
        response = _route_once(client, request, budget, ledger, claim)
    if not response.success:
        count("RoutingRejected")
        raise RoutingRejectedError(
            "POST /api/v1/route",
            status=200,
            detail=f"not routed: {response.reason_for_not_routing or response.errors or 'no reason given'}",
        )
    count("Routes")
    logger.info(
        "Work item routed",
        extra={
            "psr_id": response.psr_id,
            "work_item_id": response.work_item_id,
            "context_param_keys": sorted(response.context_param_map),
        },
    )
    try:
        queue_arn, agent_arn = resolve_target(response.context_param_map, instance_arn, routing_map, budget)
    except (SalesforceError, BudgetExhaustedError) as exc:
        count("QueueFallback")
        logger.error(
            "CallCenterRoutingMap unavailable; externalQueueId left out", extra={"error": str(exc)}
        )
        return RoutingOutcome(response.psr_id, None, None)
    count("QueueResolved" if queue_arn else "QueueFallback")
    return RoutingOutcome(response.psr_id, queue_arn, agent_arn)


def _claim(
    ledger: StateTable | None, contact_id: str | None, work_item_id: str | None, request: RouteRequest, budget: Budget
) -> Claim | None:
    if ledger is None or not contact_id:
        return None
    try:
        return ledger.begin(
            f"route#{contact_id}#{request.routing_type}#{work_item_id or ''}",
            budget,
            context={"conversation_identifier": request.conversation_identifier},
        )
    except (AwsCallError, BudgetExhaustedError) as exc:
        count("StateTableUnavailable")
        logger.warning("State table unavailable; going on without it", extra={"error": str(exc)})
        return None


def _route_once(
    client: InteractionServiceClient,
    request: RouteRequest,
    budget: Budget,
    ledger: StateTable | None,
    claim: Claim | None,
) -> RouteResponse:
    """POST /route, preceded by DELETE /route whenever an earlier attempt's outcome is unknown."""
    earlier_unknown = claim is not None and claim.kind == "unknown"
    try:
        for attempt in (1, 2):
            if earlier_unknown:
                cancelled = client.delete_route(request.conversation_identifier, budget)
                count("RouteDeletesBeforeRetry")
                logger.warning(
                    "An earlier /route may have been carried out; DELETE /route before routing again",
                    extra={"attempt": attempt, "psr_cancelled": cancelled},
                )
            try:
                response = client.route(request, budget)
            except SalesforceUnavailableError as exc:
                if not exc.outcome_unknown or attempt == 2 or budget.remaining() < 2 * MIN_ATTEMPT_S:
                    raise
                earlier_unknown = True
                continue
            _record(ledger, claim, budget, response)
            return response
    except SalesforceError as exc:
        _record(ledger, claim, budget, None, unknown=exc.outcome_unknown or earlier_unknown)
        raise
    except BudgetExhaustedError:
        _record(ledger, claim, budget, None, unknown=earlier_unknown)
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def _record(
    ledger: StateTable | None,
    claim: Claim | None,
    budget: Budget,
    response: RouteResponse | None,
    *,
    unknown: bool = False,
) -> None:
    """Tell the ledger how the attempt ended: completed (with the answer), unknown, or certainly not done."""
    if ledger is None or claim is None:
        return
    try:
        if response is not None and response.success:
            ledger.complete(claim, response.body(), budget)
        elif unknown:
            ledger.unknown(claim, budget)
        else:
            ledger.forget(claim, budget)
    except (AwsCallError, BudgetExhaustedError) as exc:
        # The claim stays INPROGRESS; its lease ends with our deadline, so a retry treats it as unknown (safe).
        count("StateTableUnavailable")
        logger.warning("State table unavailable; going on without it", extra={"error": str(exc)})


def resolve_target(
    context_param_map: dict[str, str | None],
    instance_arn: str,
    routing_map: CallCenterRoutingMap,
    budget: Budget,
) -> tuple[str | None, str | None]:
    """``(external queue ARN, external agent ARN)`` for a ``contextParamMap``; see the module docstring.

    The routing map is only read when the answer holds no ARN of this instance of the kind wanted.
    """
    queue_prefix, agent_prefix = f"{instance_arn}/queue/", f"{instance_arn}/agent/"
    values = [v.strip() for v in context_param_map.values() if isinstance(v, str) and v.strip()]

    def mapped(id_prefix: str, arn_prefix: str) -> str | None:
        for value in values:
            if _SALESFORCE_ID.match(value) and value.startswith(id_prefix):
                external = routing_map.external_id(value, budget)
                if external and external.startswith(arn_prefix):
                    return external
                logger.warning(
                    "Salesforce record is not mapped to this Connect instance",
                    extra={"salesforce_id": value, "mapped_to": external},
                )
        return None

    queue_arn = next((v for v in values if v.startswith(queue_prefix)), None) or mapped("00G", queue_prefix)
    agent_arn = next((v for v in values if v.startswith(agent_prefix)), None) or mapped("005", agent_prefix)
    if queue_arn is None:
        logger.warning(
            "No Connect queue resolved from the routing answer; externalQueueId left out",
            extra={"context_param_keys": sorted(context_param_map)},
        )
    return queue_arn, agent_arn

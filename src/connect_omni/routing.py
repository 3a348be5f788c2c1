"""Use case: have Omni-Channel route the work item, and find the Amazon Connect queue it lands in.

The answer of ``POST /route`` carries a ``contextParamMap`` ("userId, queueId, etc."; the key holding an
external queue is not documented). The target is resolved from its values, in this order:

1. a Connect queue ARN of ``CONNECT_INSTANCE_ARN`` -> ``externalQueueId`` as is;
2. a Salesforce queue id (``00G...``) -> ``CallCenterRoutingMap.ExternalId`` -> ``externalQueueId``;
3. a Connect agent ARN of the instance, or a Salesforce user id (``005...``) mapped to one ->
   ``externalAgentId``.

Nothing mapped is not an error: the answer has no ``externalQueueId`` and the flow decides (the inbound flow's
fallback queue; a transfer flow uses the queue or agent Connect already set), and the reason is logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connect_omni.budget import Budget
from connect_omni.errors import InputError, RoutingRejectedError, SalesforceError
from connect_omni.models.connect import ContactFlowEvent
from connect_omni.models.salesforce import FlowInfo, RouteRequest, RoutingInfo
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
) -> RoutingOutcome:
    """Route the work item and resolve the Connect queue (and agent) it lands in.

    Raises
    ------
    RoutingRejectedError
        ``success: false``; the message carries ``reasonForNotRouting``.
    SalesforceError, BudgetExhaustedError
        From the ``/route`` call. A failure to read the routing map after a successful route is not raised
        (the work item is already routed); it is logged and the flow's fallback queue is used.
    """
    response = client.route(request, budget)
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
    except SalesforceError as exc:
        count("QueueFallback")
        logger.error(
            "CallCenterRoutingMap unavailable; externalQueueId left out", extra={"error": str(exc)}
        )
        return RoutingOutcome(response.psr_id, None, None)
    count("QueueResolved" if queue_arn else "QueueFallback")
    return RoutingOutcome(response.psr_id, queue_arn, agent_arn)


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

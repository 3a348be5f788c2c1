"""RoutingFunction: Omni-Channel routes the work item; the answer names the Connect queue to enqueue in.

Input: ``conversationIdentifier`` (contact attribute), ``routingType`` (block parameter, ``Initial`` or
``Transfer``), optional overrides ``salesforceQueueId`` | ``salesforceFlowId`` +
``salesforceFlowFallbackQueueId`` (+ ``salesforceFlowRoutingAttributes.<name>``).
Answer: ``psrId`` and ``externalQueueId`` (and ``externalAgentId``) when known; a key is left out rather
than empty, so the flow's Set working queue takes its Error branch to the fallback queue.

Integrations: ``POST /api/v1/route`` (and ``DELETE /api/v1/route`` after an unknown outcome); the state table
(``STATE_TABLE_NAME``, DynamoDB) for the routing ledger; SOQL on ``CallCenterRoutingMap`` when the cache is
cold or stale.
"""

from __future__ import annotations

from connect_omni import container
from connect_omni.budget import Budget
from connect_omni.handlers._flow import connect_flow_handler
from connect_omni.models.connect import ContactFlowEvent, string_map
from connect_omni.observability import logger
from connect_omni.routing import build_route_request, route_work_item


def route(event: ContactFlowEvent, budget: Budget) -> dict[str, str]:
    """Route the contact's work item and answer the flow (see the module docstring)."""
    request = build_route_request(event)
    logger.append_keys(conversation_identifier=request.conversation_identifier)
    outcome = route_work_item(
        container.interaction_service(),
        container.routing_map(),
        request,
        container.settings().connect_instance_arn,
        budget,
        ledger=container.state_table(),
        contact_id=event.contact.contact_id,
        work_item_id=event.value("workItemId"),
    )
    return string_map(
        {
            "psrId": outcome.psr_id,
            "externalQueueId": outcome.external_queue_id,
            "externalAgentId": outcome.external_agent_id,
        }
    )


lambda_handler = connect_flow_handler(route)

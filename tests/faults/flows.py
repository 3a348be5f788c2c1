"""Helpers of the fault tests: Connect-shaped events for the stand-ins and one call of each handler."""

from __future__ import annotations

import uuid
from typing import Any

from localdev.standins import Standins
from tests.conftest import LambdaContext


def flow_event(standins: Standins, contact_id: str, parameters: dict[str, str], **attributes: str) -> dict[str, Any]:
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {"channelAddressIdentifier": standins.channel_address_identifier, **attributes},
                "Channel": "CHAT",
                "ContactId": contact_id,
                "InitialContactId": contact_id,
                "InitiationMethod": "API",
                "InstanceARN": standins.instance_arn,
            },
            "Parameters": parameters,
        },
    }


def create_session(standins: Standins, contact_id: str, budget_ms: int = 8000, **attributes: str) -> dict:
    from connect_omni.handlers import create_messaging_session

    event = flow_event(standins, contact_id, {}, **attributes)
    return create_messaging_session.lambda_handler(event, LambdaContext(budget_ms=budget_ms))


def route(
    standins: Standins, contact_id: str, conversation: str, routing_type: str = "Initial", budget_ms: int = 8000
) -> dict:
    from connect_omni.handlers import routing

    event = flow_event(standins, contact_id, {"routingType": routing_type}, conversationIdentifier=conversation)
    return routing.lambda_handler(event, LambdaContext(budget_ms=budget_ms))


def new_contact() -> str:
    return str(uuid.uuid4())

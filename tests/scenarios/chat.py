"""A chat contact that calls the real CreateMessagingSession and Routing handlers as the sample flows do,
without the flow runner: for scenarios about what the handlers do across a chat's life."""

from __future__ import annotations

from typing import Any

from localdev.flows.runner import Contact, local_handler_invoker
from localdev.standins import Standins

CMS_ARN = "arn:aws:lambda:us-east-1:111122223333:function:CreateMessagingSessionFunction"
ROUTING_ARN = "arn:aws:lambda:us-east-1:111122223333:function:RoutingFunction"


def contact_flow_event(
    contact: Contact,
    attributes: dict[str, str],
    parameters: dict[str, str],
    *,
    subtype: str = "connect:Chat",
    customer_endpoint: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ``ContactFlowEvent`` Connect sends for ``contact`` (shapes of tests/events/*.json)."""
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": dict(attributes),
                "Channel": "CHAT",
                "ContactId": contact.contact_id,
                "InitialContactId": contact.initial_contact_id,
                "InitiationMethod": contact.initiation_method,
                "InstanceARN": contact.instance_arn,
                "SegmentAttributes": {"connect:Subtype": {"ValueString": subtype}},
                "CustomerEndpoint": customer_endpoint,
            },
            "Parameters": dict(parameters),
        },
    }


class Chat:
    """One chat contact calling the handlers as the sample flows do, keeping the attributes they save."""

    def __init__(
        self, standins: Standins, *, subtype: str = "connect:Chat", customer_endpoint: dict[str, str] | None = None
    ) -> None:
        self.standins = standins
        self.subtype = subtype
        self.customer_endpoint = customer_endpoint
        self.contact = Contact(instance_arn=standins.instance_arn, customer_endpoint=customer_endpoint)
        self.attributes: dict[str, str] = {"channelAddressIdentifier": standins.channel_address_identifier}
        self.invoke = local_handler_invoker()

    def event(self, parameters: dict[str, str]) -> dict[str, Any]:
        return contact_flow_event(
            self.contact,
            self.attributes,
            parameters,
            subtype=self.subtype,
            customer_endpoint=self.customer_endpoint,
        )

    def create_session(self) -> dict[str, str]:
        event = self.event({"channelAddressIdentifier": self.attributes["channelAddressIdentifier"]})
        answer = self.invoke(CMS_ARN, event, 8.0)
        self.attributes.update(answer)
        return answer

    def route(self) -> dict[str, str]:
        answer = self.invoke(ROUTING_ARN, self.event({"routingType": "Initial"}), 8.0)
        self.attributes.update({k: v for k, v in answer.items() if k == "psrId"})
        return answer

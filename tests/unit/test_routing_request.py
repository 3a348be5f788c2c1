"""Routing inputs -> the /route request: overrides, validation, names kept whole."""

from __future__ import annotations

import copy

import pytest

from connect_omni.errors import InputError
from connect_omni.models.connect import ContactFlowEvent
from connect_omni.routing import build_route_request
from tests.conftest import load_event

QUEUE = "00G5g000004AbCdEAK"
FLOW = "3005g000000AbCdAAK"


def event_with(parameters: dict | None = None, attributes: dict | None = None) -> ContactFlowEvent:
    raw = copy.deepcopy(load_event("routing_initial.json"))
    if parameters is not None:
        raw["Details"]["Parameters"] = parameters
    if attributes is not None:
        raw["Details"]["ContactData"]["Attributes"].update(attributes)
    return ContactFlowEvent.parse(raw)


def test_no_override_sends_no_routing_info():
    body = build_route_request(event_with({"routingType": "Initial"})).body()
    assert body == {"conversationIdentifier": "a7d1e9c4-2f3b-4c5d-8e6f-7a8b9c0d1e2f", "routingType": "Initial"}


def test_queue_override():
    body = build_route_request(event_with({"routingType": "Transfer", "salesforceQueueId": QUEUE})).body()
    assert body["routingType"] == "Transfer"
    assert body["routingInfo"] == {"queueId": QUEUE}


def test_flow_override_with_routing_attributes_keeps_dotted_names():
    params = {
        "routingType": "Initial",
        "salesforceFlowId": FLOW,
        "salesforceFlowFallbackQueueId": QUEUE,
        "salesforceFlowRoutingAttributes.Language": "fr",
        "salesforceFlowRoutingAttributes.customer.tier": "gold",
        "salesforceFlowRoutingAttributes.empty": "",
    }
    body = build_route_request(event_with(params)).body()
    assert body["routingInfo"] == {
        "flow": {"flowId": FLOW, "queueId": QUEUE},
        "routingAttributes": {"Language": "fr", "customer.tier": "gold"},
    }


def test_parameter_wins_over_attribute():
    ev = event_with({"routingType": "Initial"}, {"routingType": "Transfer"})
    assert build_route_request(ev).routing_type == "Initial"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"routingType": "initial"}, "routingType"),
        ({"routingType": "Conference"}, "routingType"),
        ({}, "routingType"),
        (
            {
                "routingType": "Initial",
                "salesforceQueueId": QUEUE,
                "salesforceFlowId": FLOW,
                "salesforceFlowFallbackQueueId": QUEUE,
            },
            "salesforceQueueId",
        ),
        ({"routingType": "Initial", "salesforceFlowId": FLOW}, "salesforceFlowFallbackQueueId"),
        ({"routingType": "Initial", "salesforceFlowFallbackQueueId": QUEUE}, "salesforceFlowId"),
        ({"routingType": "Initial", "salesforceQueueId": "Support"}, "salesforceQueueId"),
        ({"routingType": "Initial", "salesforceQueueId": "0055g000004AbCdEAK"}, "salesforceQueueId"),
        ({"routingType": "Initial", "salesforceFlowRoutingAttributes.x": "1"}, "salesforceFlowRoutingAttributes"),
    ],
)
def test_bad_inputs_name_the_field(params, field):
    with pytest.raises(InputError) as caught:
        build_route_request(event_with(params))
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: expected")


def test_missing_conversation_identifier():
    raw = load_event("routing_initial.json")
    del raw["Details"]["ContactData"]["Attributes"]["conversationIdentifier"]
    with pytest.raises(InputError, match="^conversationIdentifier: expected the conversation identifier"):
        build_route_request(ContactFlowEvent.parse(raw))


def test_malformed_event_names_the_path():
    with pytest.raises(InputError) as caught:
        ContactFlowEvent.parse({"Details": {"ContactData": {"Attributes": {}}}})
    assert caught.value.field == "Details.ContactData.ContactId"

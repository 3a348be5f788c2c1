"""Each shipped flow, run by the flow runner with the real handlers against the stand-ins.

What is asserted is what a contact-centre engineer would check: the exact blocks and branches, the queue, the
contact attributes, the Salesforce records (emulator state) and the exact Salesforce requests.
"""

from __future__ import annotations

import re
import time

import pytest

from connect_omni.budget import MIN_ATTEMPT_S
from localdev.demo import DemoInvoker, fallback_queue_arn, task_fallback_queue_arn
from localdev.flows.runner import Contact, RunResult
from localdev.salesforce_emulator import new_id
from localdev.standins import Standins
from tests.flows.inbound_paths import MODULE_STEPS, SESSION_OK
from tests.scenarios.conftest import Runner

TOKEN = ("POST", "/services/oauth2/token", 200)
CONVERSATION = ("POST", "/api/v1/conversation", 202)
ROUTE = ("POST", "/api/v1/route", 202)
QUERY = ("GET", "/services/data/v62.0/query/", 200)
SORRY = "We're sorry, we can't connect your chat right now. Please try again later."

SESSION_FAILED = [
    ("create-session-loop", "Loop", "ContinueLooping"),
    ("create-messaging-session", "InvokeLambdaFunction", "NoMatchingError"),
]
ROUTED_TO_MAPPED_QUEUE = [
    ("routing-loop", "Loop", "ContinueLooping"),
    ("route-initial", "InvokeLambdaFunction", "Success"),
    ("save-psr-id", "UpdateContactAttributes", "Success"),
    ("save-external-queue-id", "UpdateContactAttributes", "Success"),
    ("set-queue-from-routing", "UpdateContactTargetQueue", "Success"),
    ("transfer-to-queue", "TransferContactToQueue", "end"),
]
HAPPY_PATH = MODULE_STEPS + SESSION_OK + ROUTED_TO_MAPPED_QUEUE
FAILED_AND_DISCONNECTED = [
    ("failure-message", "MessageParticipant", "Success"),
    ("disconnect", "DisconnectParticipant", "end"),
]


def sent(standins: Standins) -> list[tuple[str, str, int | None]]:
    """The Salesforce requests made so far: (method, path, status)."""
    return [(r.method, r.path, r.status) for r in standins.salesforce.requests]


def assert_queued_chat(standins: Standins, result: RunResult, queue: str) -> None:
    """The chat's attributes match the one Conversation / MessagingSession / PSR the emulator holds."""
    state = standins.salesforce.state
    assert result.queue == queue
    assert result.outcome == f"queued to {queue}"
    assert result.messages == []
    [conversation] = state["conversations"]
    [session] = state["sessions"]
    psr = state["psrs"][-1]
    attrs = result.attributes
    assert attrs["conversationIdentifier"] == conversation["conversationIdentifier"]
    assert session["conversationIdentifier"] == conversation["conversationIdentifier"]
    assert attrs["workItemId"] == session["id"] == psr["workItemId"]
    assert attrs["source"] == "SCCAC"
    assert attrs["callCenterId"] == standins.call_center_id
    assert attrs["psrId"] == psr["id"]
    assert attrs["channelAddressIdentifier"] == standins.channel_address_identifier
    assert conversation["channelAddressIdentifier"] == standins.channel_address_identifier


# --------------------------------------------------------------------------------------------------
# inbound
# --------------------------------------------------------------------------------------------------
def test_inbound_happy_path(standins: Standins, flow: Runner) -> None:
    contact = flow.chat(clientId="customer-42")
    result = flow("inbound", contact)

    support = standins.queues[0]
    assert result.path == HAPPY_PATH
    assert_queued_chat(standins, result, support.connect_queue_arn)
    assert result.attributes["externalQueueId"] == support.connect_queue_arn
    assert result.chat_analytics is True
    state = standins.salesforce.state
    assert len(state["conversations"]) == 1 and len(state["sessions"]) == 1 and len(state["psrs"]) == 1
    assert state["conversations"][0]["endUserSubject"] == "customer-42"
    assert state["psrs"][0]["routingType"] == "Initial"
    assert state["psrs"][0]["outcome"] == {"kind": "queue", "value": support.salesforce_queue_id}

    assert sent(standins) == [TOKEN, CONVERSATION, ROUTE, QUERY]
    _token, conversation, route, query = standins.salesforce.requests
    assert conversation.body["channelAddressIdentifier"] == standins.channel_address_identifier
    assert [p["subject"] for p in conversation.body["participants"]] == ["customer-42"]
    assert route.body["routingType"] == "Initial"
    assert route.body["conversationIdentifier"] == result.attributes["conversationIdentifier"]
    assert "routingInfo" not in route.body  # the channel's own routing
    assert query.query["q"] == (
        "SELECT ReferenceRecordId, ExternalId FROM CallCenterRoutingMap "
        f"WHERE CallCenterId = '{standins.call_center_id}'"
    )
    assert [(c.function_arn.rsplit(":", 1)[-1], c.parameters, c.error) for c in result.lambda_calls] == [
        ("CreateMessagingSessionFunction", {"channelAddressIdentifier": standins.channel_address_identifier}, None),
        ("RoutingFunction", {"routingType": "Initial"}, None),
    ]


def test_inbound_without_client_id_uses_the_contact_id(standins: Standins, flow: Runner) -> None:
    contact = flow.chat()
    result = flow("inbound", contact)
    assert result.path == HAPPY_PATH
    assert standins.salesforce.state["conversations"][0]["endUserSubject"] == contact.contact_id


@pytest.mark.parametrize(
    ("status", "times", "conversation_requests"),
    [
        (400, 2, 3),  # not retried in the Lambda: each failure is one failed invocation
        (503, 6, 7),  # retried in the Lambda (3 attempts): six 503s exhaust two invocations
    ],
    ids=["4xx", "5xx-beyond-in-lambda-retries"],
)
def test_create_session_fails_twice_then_succeeds(
    standins: Standins, flow: Runner, status: int, times: int, conversation_requests: int
) -> None:
    standins.salesforce.fail_next("/api/v1/conversation", status, times=times)
    result = flow("inbound", flow.chat())

    assert result.path == MODULE_STEPS + SESSION_FAILED * 2 + SESSION_OK + ROUTED_TO_MAPPED_QUEUE
    assert [step for step in result.path if step[0] == "create-session-loop"] == [
        ("create-session-loop", "Loop", "ContinueLooping")
    ] * 3
    errors = [c.error for c in result.lambda_calls]
    assert errors[2:] == [None, None]
    for error in errors[:2]:
        assert error is not None and f"POST /api/v1/conversation failed with HTTP {status}" in error
    assert_queued_chat(standins, result, standins.queues[0].connect_queue_arn)
    failed = ("POST", "/api/v1/conversation", status)
    assert sent(standins) == [TOKEN] + [failed] * times + [CONVERSATION, ROUTE, QUERY]
    assert len(standins.salesforce.requests_to("/api/v1/conversation")) == conversation_requests


def test_create_session_always_fails(standins: Standins, flow: Runner) -> None:
    standins.salesforce.fail_next("/api/v1/conversation", 400, times=None)
    result = flow("inbound", flow.chat())

    assert result.path == MODULE_STEPS + SESSION_FAILED * 3 + [
        ("create-session-loop", "Loop", "DoneLooping"),
        *FAILED_AND_DISCONNECTED,
    ]
    assert result.outcome == "disconnected"
    assert result.queue is None
    assert result.messages == [SORRY]
    assert [c.function_arn.rsplit(":", 1)[-1] for c in result.lambda_calls] == ["CreateMessagingSessionFunction"] * 3
    assert sent(standins) == [TOKEN] + [("POST", "/api/v1/conversation", 400)] * 3
    assert standins.salesforce.requests_to("/api/v1/route") == []
    assert "conversationIdentifier" not in result.attributes


def test_routing_to_an_unmapped_queue_uses_the_fallback_queue(standins: Standins, flow: Runner) -> None:
    unmapped = new_id("00G")
    standins.salesforce.set_routing(standins.channel_address_identifier, queue_id=unmapped)
    result = flow("inbound", flow.chat())

    assert result.path == MODULE_STEPS + SESSION_OK + [
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-initial", "InvokeLambdaFunction", "Success"),
        ("save-psr-id", "UpdateContactAttributes", "Success"),
        ("save-external-queue-id", "UpdateContactAttributes", "NoMatchingError"),
        ("set-queue-from-routing", "UpdateContactTargetQueue", "NoMatchingError"),
        ("set-fallback-queue", "UpdateContactTargetQueue", "Success"),
        ("transfer-to-queue", "TransferContactToQueue", "end"),
    ]
    [psr] = standins.salesforce.state["psrs"]
    assert result.lambda_calls[-1].response == {"psrId": psr["id"]}
    assert_queued_chat(standins, result, fallback_queue_arn(standins))
    assert result.attributes["psrId"] == psr["id"]  # saved although externalQueueId is missing
    assert "externalQueueId" not in result.attributes
    assert sent(standins) == [TOKEN, CONVERSATION, ROUTE, QUERY]


def test_not_routed_disconnects_after_three_tries(standins: Standins, flow: Runner) -> None:
    standins.salesforce.set_routing(standins.channel_address_identifier, not_routed_reason="No agents")
    result = flow("inbound", flow.chat())

    failed_route = [
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-initial", "InvokeLambdaFunction", "NoMatchingError"),
    ]
    assert result.path == MODULE_STEPS + SESSION_OK + failed_route * 3 + [
        ("routing-loop", "Loop", "DoneLooping"),
        *FAILED_AND_DISCONNECTED,
    ]
    assert result.outcome == "disconnected"
    assert result.messages == [SORRY]
    assert all("not routed: No agents" in str(c.error) for c in result.lambda_calls[1:])
    assert sent(standins) == [TOKEN, CONVERSATION, ROUTE, ROUTE, ROUTE]
    assert standins.salesforce.state["psrs"] == []


def test_salesforce_hung_fails_the_invocation_in_time(standins: Standins, flow: Runner) -> None:
    """Salesforce answers after 2.5 s; the Invoke blocks allow 2 s (the shipped 8 s, scaled down)."""
    standins.salesforce.delay("/api/v1/conversation", 2.5, times=1)
    started = time.monotonic()
    result = flow("inbound", flow.chat(), invocation_time_limit_s=2)

    assert result.path == MODULE_STEPS + SESSION_FAILED + SESSION_OK + ROUTED_TO_MAPPED_QUEUE
    hung = result.lambda_calls[0]
    assert hung.error is not None
    assert hung.error.startswith("SalesforceUnavailableError: POST /api/v1/conversation failed: no response within")
    assert not hung.error.startswith("timeout")  # the handler gave up itself; the runner did not time it out
    # the attempt was given what was left of 2 s - BUDGET_MARGIN_MS (after the cold start's token), as computed
    given_s = float(re.search(r"no response within (\d+\.\d+) s", hung.error).group(1))
    assert MIN_ATTEMPT_S <= given_s <= 2.0 - 0.6
    assert_queued_chat(standins, result, standins.queues[0].connect_queue_arn)
    # let the delayed request finish here, not in the next test
    while standins.salesforce.requests[1].status is None and time.monotonic() - started < 5:
        time.sleep(0.05)
    assert sent(standins)[:3] == [TOKEN, CONVERSATION, CONVERSATION]
    assert standins.salesforce.requests[1].fault == "delay"


def test_token_revoked_mid_run_is_granted_again_once(standins: Standins, flow: Runner, invoker: DemoInvoker) -> None:
    invoker.revoke_after_next_call = True  # right after CreateMessagingSession answered
    result = flow("inbound", flow.chat())

    assert result.path == HAPPY_PATH
    assert invoker.revocations == [0]
    assert_queued_chat(standins, result, standins.queues[0].connect_queue_arn)
    assert sent(standins) == [TOKEN, CONVERSATION, ("POST", "/api/v1/route", 401), TOKEN, ROUTE, QUERY]
    assert [c.error for c in result.lambda_calls] == [None, None]


# --------------------------------------------------------------------------------------------------
# transfers
# --------------------------------------------------------------------------------------------------
def _queued_chat(standins: Standins, flow: Runner) -> tuple[Contact, RunResult]:
    contact = flow.chat(clientId="customer-7")
    result = flow("inbound", contact)
    assert result.queue == standins.queues[0].connect_queue_arn
    contact.attributes = dict(result.attributes)
    return contact, result


def test_agent_transfer(standins: Standins, flow: Runner) -> None:
    first, first_result = _queued_chat(standins, flow)
    before = len(standins.salesforce.requests)
    transferred = first.transferred(agent_user_name="jdoe")
    result = flow("agent-transfer", transferred)

    assert result.path == [
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-transfer", "InvokeLambdaFunction", "Success"),
        ("set-agent-queue", "UpdateContactTargetQueue", "Success"),
        ("transfer-to-agent-queue", "TransferContactToQueue", "end"),
    ]
    assert result.queue == "agent:jdoe"
    assert result.outcome == "queued to agent:jdoe"
    # a warm Routing container: no token grant, the routing map from its cache
    assert sent(standins)[before:] == [ROUTE]
    route = standins.salesforce.requests[-1]
    assert route.body["routingType"] == "Transfer"
    assert route.body["conversationIdentifier"] == first_result.attributes["conversationIdentifier"]
    psr = standins.salesforce.state["psrs"][-1]
    assert (psr["routingType"], psr["workItemId"]) == ("Transfer", first_result.attributes["workItemId"])
    assert result.lambda_calls[0].response == {
        "psrId": psr["id"],
        "externalQueueId": standins.queues[0].connect_queue_arn,
    }
    assert result.attributes == first_result.attributes  # carried over; the flow sets none
    assert (transferred.previous_contact_id, transferred.initial_contact_id) == (first.contact_id, first.contact_id)
    assert transferred.initiation_method == "TRANSFER"
    assert len(standins.salesforce.state["conversations"]) == 1


def test_agent_transfer_without_user_name_fails(standins: Standins, flow: Runner) -> None:
    first, _ = _queued_chat(standins, flow)
    result = flow("agent-transfer", first.transferred())
    assert result.path[2:] == [
        ("set-agent-queue", "UpdateContactTargetQueue", "NoMatchingError"),
        ("failure-message", "MessageParticipant", "Success"),
        ("disconnect", "DisconnectParticipant", "end"),
    ]
    assert result.outcome == "disconnected"


def test_queue_transfer(standins: Standins, flow: Runner) -> None:
    first, first_result = _queued_chat(standins, flow)
    before = len(standins.salesforce.requests)
    sales = standins.queues[1].connect_queue_arn
    result = flow("queue-transfer", first.transferred(queue=sales))

    assert result.path == [
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-transfer", "InvokeLambdaFunction", "Success"),
        ("transfer-to-queue", "TransferContactToQueue", "end"),
    ]
    assert result.queue == sales
    assert result.outcome == f"queued to {sales}"
    assert sent(standins)[before:] == [ROUTE]
    route = standins.salesforce.requests[-1]
    assert route.body["routingType"] == "Transfer"
    assert route.body["conversationIdentifier"] == first_result.attributes["conversationIdentifier"]


def test_queue_transfer_routing_fails_disconnects(standins: Standins, flow: Runner) -> None:
    first, _ = _queued_chat(standins, flow)
    standins.salesforce.fail_next("/api/v1/route", 400, times=None)
    result = flow("queue-transfer", first.transferred(queue=standins.queues[1].connect_queue_arn))
    assert result.path == [
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-transfer", "InvokeLambdaFunction", "NoMatchingError"),
    ] * 3 + [
        ("routing-loop", "Loop", "DoneLooping"),
        ("failure-message", "MessageParticipant", "Success"),
        ("disconnect", "DisconnectParticipant", "end"),
    ]
    assert result.messages == [
        "We're sorry, we couldn't complete the transfer. Please start a new chat if you still need help."
    ]


# --------------------------------------------------------------------------------------------------
# task subflow
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("with_queue_id", [True, False], ids=["with-queueId", "without-queueId"])
def test_task_routing(standins: Standins, flow: Runner, with_queue_id: bool) -> None:
    support = standins.queues[0]
    attributes = {
        "workItemId": new_id("500"),
        "serviceChannelId": new_id("0N9"),
        "externalRouting": "true",
        "groupId": support.salesforce_queue_id,
    }
    if with_queue_id:
        attributes["queueId"] = support.connect_queue_arn
    task = Contact(channel="TASK", instance_arn=standins.instance_arn, attributes=attributes)
    result = flow("task", task)

    if with_queue_id:
        assert result.path == [
            ("check-queue-id", "Compare", "TextStartsWith arn:"),
            ("set-queue-from-attribute", "UpdateContactTargetQueue", "Success"),
            ("transfer-to-queue", "TransferContactToQueue", "end"),
        ]
        assert result.queue == support.connect_queue_arn
    else:
        assert result.path == [
            ("check-queue-id", "Compare", "NoMatchingCondition"),
            ("set-fallback-queue", "UpdateContactTargetQueue", "Success"),
            ("transfer-to-queue", "TransferContactToQueue", "end"),
        ]
        assert result.queue == task_fallback_queue_arn(standins)
    assert result.lambda_calls == []
    assert sent(standins) == []

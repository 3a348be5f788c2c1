"""The re-queue story through the shipped flows, with the real handlers against the stand-ins:

inbound chat -> queued -> the agent ends the chat in Salesforce (the session ends) -> Connect runs the inbound
flow's CustomerRemaining hook (disconnect-flow.json) -> the customer writes again within 15 minutes -> a new
MessagingSession in the same Conversation, routed (Initial) and queued again.

Asserted on the emulator's records (conversations, sessions, PSRs) and the exact Salesforce requests.
"""

from __future__ import annotations

import os

import pytest

from connect_omni import container
from localdev.demo import DemoInvoker, fallback_queue_arn, local_flow
from localdev.flows.placeholders import PLACEHOLDERS
from localdev.flows.runner import RunResult, Scenario, run_hook
from localdev.standins import Standins
from tests.scenarios.conftest import Runner

DISCONNECT_FLOW_ARN = next(v for v, p in PLACEHOLDERS.items() if p.template_value == "DisconnectFlow.ContactFlowArn")
AGENT_LEFT = (
    "The agent has left the chat. If you write again within the next 15 minutes, we'll connect you to the next "
    "available agent."
)
REQUEUED_PATH = [
    ("agent-left-message", "MessageParticipant", "Success"),
    ("wait-for-customer", "Wait", "Equals CustomerReturned"),
    ("requeue-message", "MessageParticipant", "Success"),
    ("set-channel-address", "UpdateContactAttributes", "Success"),
    ("create-session-loop", "Loop", "ContinueLooping"),
    ("create-messaging-session", "InvokeLambdaFunction", "Success"),
    ("save-session-attributes", "UpdateContactAttributes", "Success"),
    ("routing-loop", "Loop", "ContinueLooping"),
    ("route-initial", "InvokeLambdaFunction", "Success"),
    ("save-psr-id", "UpdateContactAttributes", "Success"),
    ("save-external-queue-id", "UpdateContactAttributes", "Success"),
    ("set-queue-from-routing", "UpdateContactTargetQueue", "Success"),
    ("transfer-to-queue", "TransferContactToQueue", "end"),
]


def agent_leaves_then(
    standins: Standins, flow: Runner, invoker: DemoInvoker, *events: str
) -> tuple[RunResult, RunResult, int]:
    """The story up to the disconnect flow's end; returns (inbound run, disconnect run, first request after
    the agent left)."""
    inbound = flow("inbound", flow.chat())
    assert inbound.terminal == "queued"
    assert inbound.event_hooks == {"CustomerRemaining": DISCONNECT_FLOW_ARN}
    # the agent ends the chat in Salesforce (End Chat): the session ends, and Connect runs the hook
    sf = standins.salesforce
    assert sf.end_session(inbound.attributes["conversationIdentifier"]) == inbound.attributes["workItemId"]
    mark = len(sf.requests)
    requeue = run_hook(
        inbound,
        "CustomerRemaining",
        flows={DISCONNECT_FLOW_ARN: local_flow("requeue", standins)},
        invoker=invoker,
        scenario=Scenario(events=list(events)),
    )
    return inbound, requeue, mark


@pytest.mark.parametrize("mode", ["conversation", "interactions"])
@pytest.mark.parametrize("answer", ["new", "omit", "ended"])
def test_customer_writes_again_and_gets_a_new_session_in_the_same_conversation(
    standins: Standins, flow: Runner, invoker: DemoInvoker, mode: str, answer: str
) -> None:
    os.environ["SESSION_CREATION_MODE"] = mode  # restored by standins.environment()
    container.reset()
    standins.salesforce.set_ended_session_answer(answer)

    inbound, requeue, mark = agent_leaves_then(standins, flow, invoker, "CustomerReturned")

    # the disconnect flow re-queued the same contact, with what SCC-AC's guide requires before the transfer
    assert requeue.path == REQUEUED_PATH
    assert requeue.messages == [AGENT_LEFT, "Thank you, we're connecting you to an agent."]
    assert requeue.terminal == "queued"
    assert requeue.queue == standins.queues[0].connect_queue_arn
    assert requeue.contact.contact_id == inbound.contact.contact_id
    # a new MessagingSession, in the same Conversation (the same end user), routed by a new PSR
    before, after = inbound.attributes, requeue.attributes
    assert after["conversationIdentifier"] == before["conversationIdentifier"]
    assert after["workItemId"] != before["workItemId"]
    state = standins.salesforce.state
    (conversation,) = state["conversations"]
    assert conversation["endUserSubject"] == inbound.contact.initial_contact_id
    assert conversation["messagingSessionIds"] == [before["workItemId"], after["workItemId"]]
    assert {s["id"]: (s["status"], s["endedBy"]) for s in state["sessions"]} == {
        before["workItemId"]: ("Ended", "Agent"),
        after["workItemId"]: ("Active", None),
    }
    assert [(p["routingType"], p["workItemId"]) for p in state["psrs"]] == [
        ("Initial", before["workItemId"]),
        ("Initial", after["workItemId"]),
    ]
    assert after["psrId"] == state["psrs"][1]["id"] != before["psrId"]
    # the exact Salesforce requests after the agent left (token and routing map still cached: warm functions)
    sent = [(r.method, r.path, r.status) for r in standins.salesforce.requests[mark:]]
    if mode == "interactions":
        expected = [("POST", "/api/v1/interactions", 202)]
    elif answer == "new":
        expected = [("POST", "/api/v1/conversation", 202)]
    else:  # Establish Conversation gave no session, or the ended one: the EntryInteraction gives the new one
        expected = [("POST", "/api/v1/conversation", 202), ("POST", "/api/v1/interactions", 202)]
    assert sent == [*expected, ("POST", "/api/v1/route", 202)]
    route = standins.salesforce.requests[-1]
    assert route.body == {"conversationIdentifier": before["conversationIdentifier"], "routingType": "Initial"}


def test_customer_silent_for_15_minutes_ends_the_chat(standins: Standins, flow: Runner, invoker: DemoInvoker) -> None:
    _inbound, requeue, mark = agent_leaves_then(standins, flow, invoker)  # no CustomerReturned: WaitCompleted
    assert requeue.path == [
        ("agent-left-message", "MessageParticipant", "Success"),
        ("wait-for-customer", "Wait", "Equals WaitCompleted"),
        ("end-message", "MessageParticipant", "Success"),
        ("disconnect", "DisconnectParticipant", "end"),
    ]
    assert requeue.terminal == "disconnected"
    assert standins.salesforce.requests[mark:] == []
    assert [s["status"] for s in standins.salesforce.state["sessions"]] == ["Ended"]


def test_requeue_falls_back_to_the_fallback_queue_when_routing_names_none(
    standins: Standins, flow: Runner, invoker: DemoInvoker
) -> None:
    inbound = flow("inbound", flow.chat())
    standins.salesforce.end_session(inbound.attributes["conversationIdentifier"])
    standins.salesforce.set_routing(standins.channel_address_identifier, queue_id="00G000000000999AAA")  # unmapped
    requeue = run_hook(
        inbound,
        "CustomerRemaining",
        flows={DISCONNECT_FLOW_ARN: local_flow("requeue", standins)},
        invoker=invoker,
        scenario=Scenario(events=["CustomerReturned"]),
    )
    assert ("save-external-queue-id", "UpdateContactAttributes", "NoMatchingError") in requeue.path
    assert ("set-fallback-queue", "UpdateContactTargetQueue", "Success") in requeue.path
    assert requeue.queue == fallback_queue_arn(standins)


def test_requeue_retries_create_messaging_session_then_gives_up_politely(
    standins: Standins, flow: Runner, invoker: DemoInvoker
) -> None:
    inbound = flow("inbound", flow.chat())
    standins.salesforce.end_session(inbound.attributes["conversationIdentifier"])
    standins.salesforce.fail_next("/api/v1/conversation", 400, times=None)
    requeue = run_hook(
        inbound,
        "CustomerRemaining",
        flows={DISCONNECT_FLOW_ARN: local_flow("requeue", standins, invocation_time_limit_s=8)},
        invoker=invoker,
        scenario=Scenario(events=["CustomerReturned"]),
    )
    calls = [c.function_arn.rsplit(":", 1)[-1] for c in requeue.lambda_calls]
    assert calls == ["CreateMessagingSessionFunction"] * 3
    assert requeue.path[-3:] == [
        ("create-session-loop", "Loop", "DoneLooping"),
        ("failure-message", "MessageParticipant", "Success"),
        ("disconnect", "DisconnectParticipant", "end"),
    ]
    assert requeue.terminal == "disconnected"
    assert [s["status"] for s in standins.salesforce.state["sessions"]] == ["Ended"]  # nothing half-made

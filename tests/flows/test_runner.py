"""The flow runner, with fake invokers (the real handlers are not needed)."""

from __future__ import annotations

from typing import Any

import pytest

from localdev.flows.lambdas import UnknownHandlerError
from localdev.flows.model import FLOWS_DIR
from localdev.flows.runner import Contact, FakeLambdaContext, local_handler_invoker, run
from tests.flows.inbound_paths import MODULE_STEPS, SESSION_OK

INBOUND = FLOWS_DIR / "inbound-chat-flow.json"
AGENT = FLOWS_DIR / "agent-transfer-flow.json"
QUEUE = FLOWS_DIR / "queue-transfer-flow.json"
TASK = FLOWS_DIR / "task-routing-subflow.json"
MODULE = FLOWS_DIR / "contact-lens-transcription-subflow.json"

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/00000000-0000-0000-0000-000000000000"
SALES_Q = f"{INSTANCE}/queue/11111111-1111-1111-1111-111111111111"
FALLBACK_Q = f"{INSTANCE}/queue/00000000-0000-0000-0000-000000000001"
TASK_FALLBACK_Q = f"{INSTANCE}/queue/00000000-0000-0000-0000-000000000002"
CMS_ARN = "arn:aws:lambda:us-east-1:111122223333:function:CreateMessagingSessionFunction"
ROUTING_ARN = "arn:aws:lambda:us-east-1:111122223333:function:RoutingFunction"
CHANNEL = "00000000-0000-0000-0000-0000000000aa"
SORRY = "We're sorry, we can't connect your chat right now. Please try again later."
SORRY_TRANSFER = "We're sorry, we couldn't complete the transfer. Please start a new chat if you still need help."

SESSION = {
    "conversationIdentifier": "conv-1",
    "workItemId": "0Mw000000000001",
    "source": "SCCAC",
    "callCenterId": "04v000000000001",
}
ROUTED = {"psrId": "0JR000000000001", "externalQueueId": SALES_Q}

ROUTING_OK = [
    ("routing-loop", "Loop", "ContinueLooping"),
    ("route-initial", "InvokeLambdaFunction", "Success"),
]


class FakeInvoker:
    """Answers by function name from a list of canned results (dict = response, Exception = raise)."""

    def __init__(self, **script: list[Any]) -> None:
        self.script = {name: list(results) for name, results in script.items()}
        self.events: list[tuple[str, dict[str, Any], float]] = []

    def __call__(self, arn: str, event: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        self.events.append((arn, event, timeout_s))
        results = self.script[arn.rsplit(":", 1)[-1]]
        result = results.pop(0) if len(results) > 1 else results[0]
        if isinstance(result, Exception):
            raise result
        return result


def chat(**attributes: str) -> Contact:
    return Contact(contact_id="contact-1", attributes=dict(attributes))


def test_happy_path() -> None:
    invoker = FakeInvoker(CreateMessagingSessionFunction=[SESSION], RoutingFunction=[ROUTED])
    result = run(INBOUND, chat(clientId="customer-42"), invoker)

    assert result.path == MODULE_STEPS + SESSION_OK + ROUTING_OK + [
        ("save-psr-id", "UpdateContactAttributes", "Success"),
        ("save-external-queue-id", "UpdateContactAttributes", "Success"),
        ("set-queue-from-routing", "UpdateContactTargetQueue", "Success"),
        ("transfer-to-queue", "TransferContactToQueue", "end"),
    ]
    assert result.outcome == f"queued to {SALES_Q}"
    assert result.queue == SALES_Q
    assert result.messages == []
    assert result.flow_logging is True
    assert result.chat_analytics is True
    assert result.attributes == {"clientId": "customer-42", "channelAddressIdentifier": CHANNEL, **SESSION, **ROUTED}
    assert result.external == ROUTED
    assert [(c.function_arn, c.parameters, c.response, c.error) for c in result.lambda_calls] == [
        (CMS_ARN, {"channelAddressIdentifier": CHANNEL}, SESSION, None),
        (ROUTING_ARN, {"routingType": "Initial"}, ROUTED, None),
    ]
    _arn, event, timeout = invoker.events[1]
    assert timeout == 8.0
    assert event == {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {"clientId": "customer-42", "channelAddressIdentifier": CHANNEL, **SESSION},
                "Channel": "CHAT",
                "ContactId": "contact-1",
                "CustomerEndpoint": None,
                "InitialContactId": "contact-1",
                "InitiationMethod": "API",
                "InstanceARN": INSTANCE,
                "PreviousContactId": None,
                "Queue": {"ARN": FALLBACK_Q, "Name": FALLBACK_Q.rsplit("/", 1)[-1]},  # set for the hours check
                "SystemEndpoint": None,
            },
            "Parameters": {"routingType": "Initial"},
        },
    }
    trace = result.format_trace()
    assert "  1. enable-flow-logging" in trace
    assert trace.endswith("}") and f"outcome: queued to {SALES_Q}" in trace


def test_create_session_fails_twice_then_succeeds() -> None:
    invoker = FakeInvoker(
        CreateMessagingSessionFunction=[RuntimeError("503"), TimeoutError("slow"), SESSION],
        RoutingFunction=[ROUTED],
    )
    result = run(INBOUND, chat(), invoker)
    start = len(MODULE_STEPS)
    assert result.path[start : start + 7] == [
        ("create-session-loop", "Loop", "ContinueLooping"),
        ("create-messaging-session", "InvokeLambdaFunction", "NoMatchingError"),
        ("create-session-loop", "Loop", "ContinueLooping"),
        ("create-messaging-session", "InvokeLambdaFunction", "NoMatchingError"),
        ("create-session-loop", "Loop", "ContinueLooping"),
        ("create-messaging-session", "InvokeLambdaFunction", "Success"),
        ("save-session-attributes", "UpdateContactAttributes", "Success"),
    ]
    assert [c.error for c in result.lambda_calls] == ["RuntimeError: 503", "TimeoutError: slow", None, None]
    assert result.outcome == f"queued to {SALES_Q}"


def test_create_session_always_fails() -> None:
    result = run(INBOUND, chat(), FakeInvoker(CreateMessagingSessionFunction=[RuntimeError("down")]))
    assert result.path == MODULE_STEPS + [
        ("create-session-loop", "Loop", "ContinueLooping"),
        ("create-messaging-session", "InvokeLambdaFunction", "NoMatchingError"),
    ] * 3 + [
        ("create-session-loop", "Loop", "DoneLooping"),
        ("failure-message", "MessageParticipant", "Success"),
        ("disconnect", "DisconnectParticipant", "end"),
    ]
    assert result.messages == [SORRY]
    assert result.outcome == "disconnected"
    assert result.queue is None
    assert len(result.lambda_calls) == 3


def test_routing_without_external_queue_uses_fallback() -> None:
    invoker = FakeInvoker(CreateMessagingSessionFunction=[SESSION], RoutingFunction=[{"psrId": "0JR1"}])
    result = run(INBOUND, chat(), invoker)
    assert result.path[-6:] == [
        ("route-initial", "InvokeLambdaFunction", "Success"),
        ("save-psr-id", "UpdateContactAttributes", "Success"),
        ("save-external-queue-id", "UpdateContactAttributes", "NoMatchingError"),
        ("set-queue-from-routing", "UpdateContactTargetQueue", "NoMatchingError"),
        ("set-fallback-queue", "UpdateContactTargetQueue", "Success"),
        ("transfer-to-queue", "TransferContactToQueue", "end"),
    ]
    assert result.outcome == f"queued to {FALLBACK_Q}"
    # the psrId copy is its own block, so a missing externalQueueId (all-or-nothing copy) does not cost it
    assert result.attributes["psrId"] == "0JR1"
    assert "externalQueueId" not in result.attributes


def test_routing_without_psr_id_still_queues() -> None:
    invoker = FakeInvoker(CreateMessagingSessionFunction=[SESSION], RoutingFunction=[{"externalQueueId": SALES_Q}])
    result = run(INBOUND, chat(), invoker)
    assert result.path[-5:] == [
        ("route-initial", "InvokeLambdaFunction", "Success"),
        ("save-psr-id", "UpdateContactAttributes", "NoMatchingError"),
        ("save-external-queue-id", "UpdateContactAttributes", "Success"),
        ("set-queue-from-routing", "UpdateContactTargetQueue", "Success"),
        ("transfer-to-queue", "TransferContactToQueue", "end"),
    ]
    assert result.outcome == f"queued to {SALES_Q}"
    assert "psrId" not in result.attributes


def test_timeout_takes_error_branch() -> None:
    now = [100.0]

    def clock() -> float:
        return now[0]

    def slow_then_fast(arn: str, event: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        if arn.endswith("CreateMessagingSessionFunction"):
            return SESSION
        now[0] += 9.0 if not calls else 0.5  # first routing call overruns the 8 s limit
        calls.append(arn)
        return ROUTED

    calls: list[str] = []
    result = run(INBOUND, chat(), slow_then_fast, clock=clock)
    start = len(MODULE_STEPS) + 3
    assert result.path[start : start + 4] == [
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-initial", "InvokeLambdaFunction", "NoMatchingError"),
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-initial", "InvokeLambdaFunction", "Success"),
    ]
    assert result.lambda_calls[1].error == "timeout: 9.000 s > 8 s"
    assert result.lambda_calls[1].elapsed_ms == 9000.0
    assert result.outcome == f"queued to {SALES_Q}"


@pytest.mark.parametrize(
    ("response", "error"),
    [
        ({"psrId": 1}, 'response is not a STRING_MAP: {"psrId": 1}'),
        ({"big": "x" * 33_000}, "response larger than 32 KB"),
    ],
)
def test_bad_responses_are_errors(response: dict[str, Any], error: str) -> None:
    invoker = FakeInvoker(CreateMessagingSessionFunction=[response])
    result = run(INBOUND, chat(), invoker)
    assert result.lambda_calls[0].error == error
    assert result.outcome == "disconnected"


def test_queue_at_capacity() -> None:
    invoker = FakeInvoker(CreateMessagingSessionFunction=[SESSION], RoutingFunction=[ROUTED])
    result = run(INBOUND, chat(), invoker, queues_at_capacity={SALES_Q})
    assert result.path[-3:] == [
        ("transfer-to-queue", "TransferContactToQueue", "QueueAtCapacity"),
        ("queue-failure-message", "MessageParticipant", "Success"),
        ("disconnect", "DisconnectParticipant", "end"),
    ]
    assert result.messages == [
        "We're sorry, all our agents are busy and we can't queue your chat right now. Please try again later."
    ]
    assert result.outcome == "disconnected"


def test_module_missing_from_mapping_is_skipped() -> None:
    invoker = FakeInvoker(CreateMessagingSessionFunction=[SESSION], RoutingFunction=[ROUTED])
    result = run(INBOUND, chat(), invoker, flows={})
    assert result.path[:3] == [
        ("enable-flow-logging", "UpdateFlowLoggingBehavior", "Success"),
        ("enable-contact-lens", "InvokeFlowModule", "NoMatchingError"),
        ("set-disconnect-flow", "UpdateContactEventHooks", "Success"),
    ]
    assert result.chat_analytics is False


def test_agent_transfer() -> None:
    original = chat(**SESSION)
    contact = original.transferred(agent_user_name="jdoe")
    invoker = FakeInvoker(RoutingFunction=[{"psrId": "0JR2", "externalAgentId": "arn:agent"}])
    result = run(AGENT, contact, invoker)
    assert result.path == [
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-transfer", "InvokeLambdaFunction", "Success"),
        ("set-agent-queue", "UpdateContactTargetQueue", "Success"),
        ("transfer-to-agent-queue", "TransferContactToQueue", "end"),
    ]
    assert result.outcome == "queued to agent:jdoe"
    data = invoker.events[0][1]["Details"]["ContactData"]
    assert (data["InitiationMethod"], data["PreviousContactId"], data["InitialContactId"]) == (
        "TRANSFER",
        "contact-1",
        "contact-1",
    )
    assert data["ContactId"] != "contact-1"
    assert invoker.events[0][1]["Details"]["Parameters"] == {"routingType": "Transfer"}


def test_agent_transfer_without_agent_fails() -> None:
    contact = chat().transferred()
    result = run(AGENT, contact, FakeInvoker(RoutingFunction=[{"psrId": "0JR2"}]))
    assert result.path[2:] == [
        ("set-agent-queue", "UpdateContactTargetQueue", "NoMatchingError"),
        ("failure-message", "MessageParticipant", "Success"),
        ("disconnect", "DisconnectParticipant", "end"),
    ]
    assert result.messages == [SORRY_TRANSFER]


def test_queue_transfer() -> None:
    contact = chat(**SESSION).transferred(queue=SALES_Q)
    result = run(QUEUE, contact, FakeInvoker(RoutingFunction=[{"psrId": "0JR3"}]))
    assert result.path == [
        ("routing-loop", "Loop", "ContinueLooping"),
        ("route-transfer", "InvokeLambdaFunction", "Success"),
        ("transfer-to-queue", "TransferContactToQueue", "end"),
    ]
    assert result.outcome == f"queued to {SALES_Q}"


def test_queue_transfer_routing_fails() -> None:
    contact = chat().transferred(queue=SALES_Q)
    result = run(QUEUE, contact, FakeInvoker(RoutingFunction=[RuntimeError("x")]))
    assert result.path[-3:] == [
        ("routing-loop", "Loop", "DoneLooping"),
        ("failure-message", "MessageParticipant", "Success"),
        ("disconnect", "DisconnectParticipant", "end"),
    ]
    assert result.outcome == "disconnected"


def test_task_with_queue_id() -> None:
    task = Contact(channel="TASK", attributes={"queueId": SALES_Q, "workItemId": "500xx"})
    result = run(TASK, task, FakeInvoker())
    assert result.path == [
        ("check-queue-id", "Compare", "TextStartsWith arn:"),
        ("set-queue-from-attribute", "UpdateContactTargetQueue", "Success"),
        ("transfer-to-queue", "TransferContactToQueue", "end"),
    ]
    assert result.outcome == f"queued to {SALES_Q}"


def test_task_without_queue_id() -> None:
    result = run(TASK, Contact(channel="TASK", attributes={"workItemId": "500xx"}), FakeInvoker())
    assert result.path == [
        ("check-queue-id", "Compare", "NoMatchingCondition"),
        ("set-fallback-queue", "UpdateContactTargetQueue", "Success"),
        ("transfer-to-queue", "TransferContactToQueue", "end"),
    ]
    assert result.queue == TASK_FALLBACK_Q


def test_module_on_its_own_returns() -> None:
    result = run(MODULE, chat(), FakeInvoker())
    assert result.outcome == "returned"
    assert result.chat_analytics is True


def test_step_limit() -> None:
    flow = {
        "Version": "2019-10-30",
        "StartAction": "a",
        "Actions": [
            {
                "Identifier": "a",
                "Type": "Loop",
                "Parameters": {"LoopCount": "100"},
                "Transitions": {
                    "Conditions": [
                        {"NextAction": "a", "Condition": {"Operator": "Equals", "Operands": ["ContinueLooping"]}},
                        {"NextAction": "a", "Condition": {"Operator": "Equals", "Operands": ["DoneLooping"]}},
                    ]
                },
            },
        ],
    }
    result = run(flow, chat(), FakeInvoker(), max_steps=10)
    assert len(result.path) == 10
    assert result.terminal is None
    assert result.outcome == "step limit of 10 reached at a"


def test_a_loop_that_changes_nothing_is_reported_at_once() -> None:
    flow = {
        "Version": "2019-10-30",
        "StartAction": "a",
        "Actions": [
            {
                "Identifier": "a",
                "Type": "UpdateFlowLoggingBehavior",
                "Parameters": {"FlowLoggingBehavior": "Enabled"},
                "Transitions": {"NextAction": "a"},
            },
        ],
    }
    result = run(flow, chat(), FakeInvoker())
    assert result.path == [("a", "UpdateFlowLoggingBehavior", "Success")]
    assert result.terminal is None
    assert result.outcome == (
        "loops for ever: back at block a (step 2) in the state of step 1; "
        "script the customer or a branch (--choose BLOCK=BRANCH) to leave the loop"
    )


def test_compare_operators() -> None:
    flow = {
        "Version": "2019-10-30",
        "StartAction": "cmp",
        "Actions": [
            {
                "Identifier": "cmp",
                "Type": "Compare",
                "Parameters": {"ComparisonValue": "$.Attributes.n"},
                "Transitions": {
                    "Conditions": [
                        {"NextAction": "end", "Condition": {"Operator": "NumberGreaterThan", "Operands": ["10"]}},
                        {"NextAction": "end", "Condition": {"Operator": "TextEndsWith", "Operands": ["5"]}},
                    ],
                    "Errors": [{"ErrorType": "NoMatchingCondition", "NextAction": "end"}],
                },
            },
            {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
        ],
    }
    assert run(flow, chat(n="12"), FakeInvoker()).path[0][2] == "NumberGreaterThan 10"
    assert run(flow, chat(n="5"), FakeInvoker()).path[0][2] == "TextEndsWith 5"
    assert run(flow, chat(n="abc"), FakeInvoker()).path[0][2] == "NoMatchingCondition"


def test_unknown_action_type_ends_the_run_and_names_it() -> None:
    flow = {
        "Version": "2019-10-30",
        "StartAction": "x",
        "Actions": [{"Identifier": "x", "Type": "FrobnicateContact", "Parameters": {}, "Transitions": {}}],
    }
    result = run(flow, chat(), FakeInvoker())
    assert result.terminal is None
    assert result.outcome == "cannot emulate action type FrobnicateContact (block x)"
    assert result.path == [("x", "FrobnicateContact", "not emulated")]


def test_fake_lambda_context_counts_down() -> None:
    ctx = FakeLambdaContext(ROUTING_ARN, 8)
    assert ctx.function_name == "RoutingFunction"
    assert ctx.invoked_function_arn == ROUTING_ARN
    assert 7_900 < ctx.get_remaining_time_in_millis() <= 8_000


def echo_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Stand-in handler for the default invoker test."""
    return {"psrId": "0JR9", "externalQueueId": SALES_Q, "remaining": str(context.get_remaining_time_in_millis() > 0)}


def test_default_invoker_imports_the_mapped_handler() -> None:
    invoker = local_handler_invoker(
        {
            "CreateMessagingSessionFunction": "tests.flows.test_runner.echo_handler",
            "RoutingFunction": "tests.flows.test_runner.echo_handler",
        }
    )
    result = run(QUEUE, chat().transferred(queue=SALES_Q), invoker)
    assert result.lambda_calls[0].response == {"psrId": "0JR9", "externalQueueId": SALES_Q, "remaining": "True"}
    with pytest.raises(UnknownHandlerError, match="no local handler for function 'Other'"):
        invoker("arn:aws:lambda:us-east-1:111122223333:function:Other", {}, 3)

"""The runner's emulation of each action type, its scenario, callbacks and event hooks, on small flows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localdev.flows.lambdas import LambdaError, StubInvoker
from localdev.flows.runner import Contact, FlowLibrary, RunnerError, Scenario, Step, run, run_hook
from localdev.flows.sources import read_text

QUEUE = "arn:aws:connect:us-east-1:111122223333:instance/00000000-0000-0000-0000-000000000000/queue/q-1"
DISCONNECT_FLOW = "arn:aws:connect:us-east-1:111122223333:instance/00000000-0000-0000-0000-000000000000/contact-flow/d"


def action(ident: str, typ: str, params: dict[str, Any] | None = None, nxt: str | None = None, **more: Any):
    """A Flow language action; ``conditions`` = [(operator, operand, target)], ``errors`` = {type: target}."""
    transitions: dict[str, Any] = {}
    if nxt:
        transitions["NextAction"] = nxt
    if "conditions" in more:
        transitions["Conditions"] = [
            {"NextAction": target, "Condition": {"Operator": op, "Operands": [operand]}}
            for op, operand, target in more["conditions"]
        ]
    if "errors" in more:
        transitions["Errors"] = [{"ErrorType": e, "NextAction": t} for e, t in more["errors"].items()]
    return {"Identifier": ident, "Type": typ, "Parameters": params or {}, "Transitions": transitions}


def flow(*actions: dict[str, Any], name: str = "test flow") -> dict[str, Any]:
    return {
        "Version": "2019-10-30",
        "StartAction": actions[0]["Identifier"],
        "Metadata": {"name": name},
        "Actions": [
            *actions,
            action("bye", "DisconnectParticipant"),
            action("q", "TransferContactToQueue", nxt="bye", errors={"NoMatchingError": "bye"}),
            action("set-q", "UpdateContactTargetQueue", {"QueueId": QUEUE}, nxt="q", errors={"NoMatchingError": "bye"}),
        ],
    }


def branches(result) -> list[str]:
    return [branch for _ident, _typ, branch in result.path]


HOURS = action(
    "hours",
    "CheckHoursOfOperation",
    {"HoursOfOperationId": "arn:aws:connect:us-east-1:111122223333:instance/i/operating-hours/h1"},
    nxt="bye",
    conditions=[("Equals", "True", "set-q"), ("Equals", "False", "bye")],
    errors={"NoMatchingError": "bye"},
)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [("open", "queued"), ("closed", "disconnected"), ({"h1": "closed"}, "disconnected"), ({"*": "open"}, "queued")],
)
def test_check_hours_of_operation(hours: Any, expected: str) -> None:
    result = run(flow(HOURS), Contact(), StubInvoker(), scenario=Scenario(hours=hours))
    assert result.terminal == expected
    assert result.path[0][2] == ("Equals True" if expected == "queued" else "Equals False")


def test_check_hours_without_hours_or_queue_is_an_error() -> None:
    no_id = dict(HOURS, Parameters={})
    assert run(flow(no_id), Contact(), StubInvoker()).path[0][2] == "NoMatchingError"
    assert run(flow(no_id), Contact(queue=QUEUE), StubInvoker()).path[0][2] == "Equals True"


WAIT = action(
    "wait",
    "Wait",
    {"TimeLimitSeconds": "900", "Events": ["CustomerReturned"]},
    nxt="bye",
    conditions=[("Equals", "CustomerReturned", "set-q"), ("Equals", "WaitCompleted", "bye")],
    errors={"NoMatchingError": "bye"},
)


def test_wait_runs_out_unless_the_customer_returns() -> None:
    assert run(flow(WAIT), Contact(), StubInvoker()).path[0][2] == "Equals WaitCompleted"
    returned = run(flow(WAIT), Contact(), StubInvoker(), scenario=Scenario(events=["CustomerReturned"]))
    assert returned.path[0][2] == "Equals CustomerReturned"
    assert returned.terminal == "queued"


def test_get_participant_input() -> None:
    menu = action(
        "menu",
        "GetParticipantInput",
        {"Text": "Press 1 for sales", "StoreInput": "False", "InputTimeLimitSeconds": "5"},
        nxt="bye",
        conditions=[("Equals", "1", "set-q")],
        errors={"InputTimeLimitExceeded": "bye", "NoMatchingCondition": "bye", "NoMatchingError": "bye"},
    )
    voice = Contact(channel="VOICE")
    assert branches(run(flow(menu), voice, StubInvoker()))[0] == "InputTimeLimitExceeded"
    pressed = run(flow(menu), voice, StubInvoker(), scenario=Scenario(inputs=["1"]))
    assert pressed.path[0][2] == "Equals 1" and pressed.terminal == "queued"
    assert pressed.messages == ["Press 1 for sales"]
    assert branches(run(flow(menu), voice, StubInvoker(), scenario=Scenario(inputs=["9"])))[0] == (
        "NoMatchingCondition"
    )
    # DTMF input is voice-only: a chat takes the error branch (block-support-by-channel)
    chat = run(flow(menu), Contact(channel="CHAT"), StubInvoker(), scenario=Scenario(inputs=["1"]))
    assert branches(chat)[0] == "NoMatchingError"
    assert chat.steps[0].notes == ("GetParticipantInput does not work on CHAT contacts: error branch",)


def test_stored_input_with_phone_validation() -> None:
    store = action(
        "number",
        "GetParticipantInput",
        {
            "StoreInput": "True",
            "InputTimeLimitSeconds": "5",
            "InputValidation": {"PhoneNumberValidation": {"NumberFormat": "E164"}},
        },
        nxt="save",
        errors={"InvalidPhoneNumber": "bye", "NoMatchingError": "bye"},
    )
    save = action(
        "save", "UpdateContactAttributes", {"Attributes": {"n": "$.StoredCustomerInput"}}, nxt="bye", errors={}
    )
    voice = Contact(channel="VOICE")
    ok = run(flow(store, save), voice, StubInvoker(), scenario=Scenario(inputs=["+14155550100"]))
    assert ok.attributes == {"n": "+14155550100"}
    bad = run(flow(store, save), voice, StubInvoker(), scenario=Scenario(inputs=["12"]))
    assert bad.path[0][2] == "InvalidPhoneNumber"
    silent = run(flow(store, save), voice, StubInvoker())
    assert silent.path[0][2] == "Success" and silent.attributes == {"n": "Timeout"}


def test_lex_intent() -> None:
    lex = action(
        "bot",
        "ConnectParticipantWithLexBot",
        {"Text": "How can I help?", "LexV2Bot": {"AliasArn": "arn:aws:lex:us-east-1:111122223333:bot-alias/B/A"}},
        nxt="bye",
        conditions=[("Equals", "TalkToAgent", "set-q")],
        errors={"NoMatchingCondition": "bye", "NoMatchingError": "bye"},
    )
    assert branches(run(flow(lex), Contact(), StubInvoker()))[0] == "NoMatchingCondition"
    agent = run(flow(lex), Contact(), StubInvoker(), scenario=Scenario(intents=["TalkToAgent"]))
    assert agent.path[0][2] == "Equals TalkToAgent" and agent.terminal == "queued"


def test_check_metric_data_defaults_to_a_staffed_queue() -> None:
    staffed = action(
        "staffed",
        "CheckMetricData",
        {"MetricType": "NumberOfAgentsStaffed"},
        nxt="bye",
        conditions=[("NumberGreaterThan", "0", "set-q")],
        errors={"NoMatchingCondition": "bye", "NoMatchingError": "bye"},
    )
    assert run(flow(staffed), Contact(), StubInvoker()).terminal == "queued"
    nobody = Scenario(metrics={"NumberOfAgentsStaffed": 0})
    assert branches(run(flow(staffed), Contact(), StubInvoker(), scenario=nobody))[0] == "NoMatchingCondition"


def test_distribute_by_percentage_takes_the_default_unless_chosen() -> None:
    split = action(
        "split",
        "DistributeByPercentage",
        nxt="bye",
        conditions=[("NumberLessThan", "50", "set-q")],
        errors={"NoMatchingCondition": "bye"},
    )
    assert branches(run(flow(split), Contact(), StubInvoker()))[0] == "NoMatchingCondition"
    chosen = run(flow(split), Contact(), StubInvoker(), scenario=Scenario(choices={"split": "NumberLessThan 50"}))
    assert chosen.path[0][2] == "NumberLessThan 50" and chosen.terminal == "queued"


def test_voice_only_transfers() -> None:
    agent = action("to-agent", "TransferContactToAgent")
    assert run(flow(agent), Contact(channel="VOICE"), StubInvoker()).terminal == "transferred to agent"
    chat = run(flow(agent), Contact(channel="CHAT"), StubInvoker())
    assert (chat.terminal, chat.outcome) == (
        "ended",
        "ended at to-agent: TransferContactToAgent does not work on CHAT contacts",
    )
    third = action(
        "ext",
        "TransferParticipantToThirdParty",
        {"ThirdPartyPhoneNumber": "+14155550100", "ContinueFlowExecution": "False"},
        nxt="bye",
        errors={"NoMatchingError": "bye"},
    )
    voice = run(flow(third), Contact(channel="VOICE"), StubInvoker())
    assert (voice.terminal, voice.outcome) == ("transferred to number", "transferred to number +14155550100")
    assert branches(run(flow(third), Contact(channel="CHAT"), StubInvoker()))[0] == "NoMatchingError"


def test_lambda_stubs() -> None:
    call = action(
        "call",
        "InvokeLambdaFunction",
        {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:111122223333:function:Lookup:live"},
        nxt="cmp",
        errors={"NoMatchingError": "bye"},
    )
    cmp = action(
        "cmp",
        "Compare",
        {"ComparisonValue": "$.External.tier"},
        nxt="bye",
        conditions=[("Equals", "gold", "set-q")],
        errors={"NoMatchingCondition": "bye"},
    )
    assert branches(run(flow(call, cmp), Contact(), StubInvoker()))[:2] == ["Success", "NoMatchingCondition"]
    gold = run(flow(call, cmp), Contact(), StubInvoker({"Lookup": {"tier": "gold"}}))
    assert gold.terminal == "queued" and gold.lambda_calls[0].response == {"tier": "gold"}
    failed = run(flow(call, cmp), Contact(), StubInvoker({"Lookup": LambdaError("down")}))
    assert failed.path[0][2] == "NoMatchingError" and failed.lambda_calls[0].error == "LambdaError: down"


def test_json_response_validation_accepts_nested_objects() -> None:
    call = action(
        "call",
        "InvokeLambdaFunction",
        {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:F", "ResponseValidation": {"ResponseType": "JSON"}},
        nxt="bye",
        errors={"NoMatchingError": "bye"},
    )
    nested = StubInvoker({"F": {"a": {"b": 1}}})
    assert run(flow(call), Contact(), nested).path[0][2] == "Success"
    string_map = dict(call, Parameters={"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:F"})
    assert run(flow(string_map), Contact(), nested).path[0][2] == "NoMatchingError"


def test_on_step_sees_each_block_as_it_runs() -> None:
    seen: list[Step] = []
    call = action(
        "call",
        "InvokeLambdaFunction",
        {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:F"},
        nxt="set-q",
        errors={"NoMatchingError": "bye"},
    )
    result = run(flow(call), Contact(), StubInvoker({"F": {"k": "v"}}), on_step=seen.append)
    assert [(s.index, s.identifier, s.branch) for s in seen] == [
        (0, "call", "Success"),
        (1, "set-q", "Success"),
        (2, "q", "end"),
    ]
    assert seen == result.steps
    assert seen[0].lambda_call is result.lambda_calls[0]
    assert seen[1].lambda_call is None and seen[1].notes == (f"working queue {QUEUE}",)


def test_event_hooks_and_the_disconnect_flow_story() -> None:
    hook = action(
        "hook",
        "UpdateContactEventHooks",
        {"EventHooks": {"CustomerRemaining": DISCONNECT_FLOW}},
        nxt="set-q",
        errors={"NoMatchingError": "bye"},
    )
    inbound = run(flow(hook), Contact(attributes={"k": "v"}), StubInvoker())
    assert inbound.terminal == "queued"
    assert inbound.event_hooks == {"CustomerRemaining": DISCONNECT_FLOW}
    assert inbound.contact is not None and inbound.contact.queue == QUEUE
    assert inbound.contact.event_hooks == inbound.event_hooks

    disconnect_flow = flow(WAIT, name="disconnect flow")
    library = FlowLibrary({DISCONNECT_FLOW: disconnect_flow})
    requeued = run_hook(
        inbound,
        "CustomerRemaining",
        flows=library,
        invoker=StubInvoker(),
        scenario=Scenario(events=["CustomerReturned"]),
    )
    assert requeued.path[0] == ("wait", "Wait", "Equals CustomerReturned")
    assert requeued.terminal == "queued" and requeued.attributes == {"k": "v"}
    assert requeued.steps[0].flow == "disconnect flow"
    gone = run_hook(inbound, "CustomerRemaining", flows=library, invoker=StubInvoker())
    assert gone.terminal == "disconnected"
    with pytest.raises(RunnerError, match="no AgentWhisper event hook"):
        run_hook(inbound, "AgentWhisper", flows=library)


def test_transfer_to_flow_follows_a_loaded_flow_by_id_or_name() -> None:
    target = flow(action("t", "MessageParticipant", {"Text": "hi"}, nxt="bye"), name="Target Flow")
    transfer = action(
        "xfer",
        "TransferToFlow",
        {"ContactFlowId": "arn:aws:connect:us-east-1:1:instance/i/contact-flow/f-9"},
        errors={"NoMatchingError": "bye"},
    )
    alone = run(flow(transfer), Contact(), StubInvoker(), flows={})
    assert (alone.terminal, alone.outcome) == (
        "transferred to flow",
        "transferred to flow arn:aws:connect:us-east-1:1:instance/i/contact-flow/f-9",
    )
    by_id = run(flow(transfer), Contact(), StubInvoker(), flows={"f-9": target})
    assert by_id.path == [
        ("xfer", "TransferToFlow", "Success"),
        ("t", "MessageParticipant", "Success"),
        ("bye", "DisconnectParticipant", "end"),
    ]
    assert [s.depth for s in by_id.steps] == [0, 1, 1]
    named = flow(transfer)
    named["Metadata"]["ActionMetadata"] = {"xfer": {"ContactFlow": {"text": "Target Flow"}}}
    [doc] = read_text(json.dumps(target), "target.json")
    assert run(named, Contact(), StubInvoker(), flows=FlowLibrary([doc])).messages == ["hi"]


def test_choices_force_any_branch_and_a_missing_branch_is_reported() -> None:
    assert run(flow(HOURS), Contact(), StubInvoker(), scenario=Scenario(choices={"hours": "False"})).path[0] == (
        "hours",
        "CheckHoursOfOperation",
        "Equals False",
    )
    stuck = run(flow(HOURS), Contact(), StubInvoker(), scenario=Scenario(choices={"hours": "Maybe"}))
    assert stuck.terminal is None
    assert stuck.outcome == "stuck at hours: the scenario chose 'Maybe', which the block does not have"


def test_messages_interpolate_attributes() -> None:
    hello = action("hello", "MessageParticipant", {"Text": "Hello $.Attributes.name, bye"}, nxt="bye")
    assert run(flow(hello), Contact(attributes={"name": "Ana"}), StubInvoker()).messages == ["Hello Ana, bye"]


def test_customer_queue_flow_loops_messages_until_it_ends() -> None:
    loop = action("loop", "MessageParticipantIteratively", {"Messages": [{"Text": "Please hold"}]})
    voice = run(flow(loop), Contact(channel="VOICE"), StubInvoker())
    assert voice.terminal == "ended" and voice.messages == ["Please hold"]
    chat = run(flow(loop), Contact(channel="CHAT"), StubInvoker())
    assert chat.outcome == "ended at loop: MessageParticipantIteratively does not work on CHAT contacts"


def test_segment_attributes_reach_the_lambda_event_and_survive_a_transfer() -> None:
    sms = {"connect:Subtype": {"ValueString": "connect:SMS"}}
    call = action(
        "call",
        "InvokeLambdaFunction",
        {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:F"},
        nxt="bye",
        errors={"NoMatchingError": "bye"},
    )
    invoker = StubInvoker()
    run(flow(call), Contact(segment_attributes=sms).transferred(), invoker)
    run(flow(call), Contact(), invoker)
    with_sms, without = (event["Details"]["ContactData"] for _arn, event, _timeout in invoker.calls)
    assert with_sms["SegmentAttributes"] == sms
    assert "SegmentAttributes" not in without

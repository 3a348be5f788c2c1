"""The static checker: every rule caught on a broken copy of a shipped flow; shipped flows pass."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from localdev.flows import check
from localdev.flows.model import FLOWS_DIR, default_flow_files, flow_type

INBOUND = json.loads((FLOWS_DIR / "inbound-chat-flow.json").read_text(encoding="utf-8"))
NAME = "inbound-chat-flow.json"


def _action(flow: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(a for a in flow["Actions"] if a["Identifier"] == ident)


def _lines(flow: dict[str, Any], name: str = NAME) -> list[str]:
    return [str(p) for p in check.check_text(name, json.dumps(flow))]


def test_shipped_flows_pass() -> None:
    files = default_flow_files()
    assert len(files) == 5
    assert [str(p) for f in files for p in check.check_file(f)] == []
    assert check.main([]) == 0


def test_cli_reports_and_exits_1(tmp_path, capsys) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert check.main([str(broken)]) == 1
    assert capsys.readouterr().out == (
        f"{broken}: -: invalid JSON: Expecting property name enclosed in double quotes (line 1)\n"
    )


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    ident, *keys = path.split("/")

    def mutate(flow: dict[str, Any]) -> None:
        node = _action(flow, ident)
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return mutate


def _del(path: str) -> Callable[[dict[str, Any]], None]:
    ident, *keys = path.split("/")

    def mutate(flow: dict[str, Any]) -> None:
        node = _action(flow, ident)
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]

    return mutate


def _top(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        flow[key] = value

    return mutate


def _add_action(action: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        flow["Actions"].append(action)

    return mutate


def _rename(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        text = json.dumps(flow).replace(f'"{old}"', f'"{new}"')
        flow.clear()
        flow.update(json.loads(text))

    return mutate


def _many_actions(flow: dict[str, Any]) -> None:
    last = flow["Actions"][-1]
    for i in range(240):
        a = {
            "Identifier": f"m{i}",
            "Type": "MessageParticipant",
            "Parameters": {"Text": "x"},
            "Transitions": {"NextAction": last["Identifier"]},
        }
        flow["Actions"].append(a)
    _action(flow, "failure-message")["Transitions"]["NextAction"] = "m0"
    for i in range(239):
        _action(flow, f"m{i}")["Transitions"]["NextAction"] = f"m{i + 1}"
    _action(flow, "m239")["Transitions"]["NextAction"] = "disconnect"


def _big_content(flow: dict[str, Any]) -> None:
    _action(flow, "failure-message")["Parameters"]["Text"] = "x" * 256_000


CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("version", _top("Version", "2020-01-01"), ["-: Version must be \"2019-10-30\", found '2020-01-01'"]),
    ("start action missing", _top("StartAction", None), ["-: StartAction missing"]),
    ("actions not a list", _top("Actions", {}), ["-: Actions must be a list"]),
    ("missing type", _del("disconnect/Type"), ["disconnect: Type missing or not a string"]),
    (
        "missing parameters",
        _del("disconnect/Parameters"),
        ["disconnect: Parameters missing or not an object"],
    ),
    (
        "missing target",
        _set("set-fallback-queue/Transitions/NextAction", "gone"),
        ["set-fallback-queue: Success transition goes to missing action 'gone'"],
    ),
    (
        "unreachable",
        _add_action({"Identifier": "orphan", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}),
        ["orphan: unreachable from StartAction"],
    ),
    (
        "duplicate identifier",
        _add_action({"Identifier": "disconnect", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}),
        ["disconnect: duplicate Identifier"],
    ),
    (
        "long identifier",
        _rename("disconnect", "d" * 51),
        ["d" * 51 + ": Identifier longer than 50 characters"],
    ),
    (
        "forbidden characters",
        _rename("disconnect", "disconnect:now()"),
        ["disconnect:now(): Identifier contains forbidden characters '():'"],
    ),
    (
        "loop conditions",
        lambda f: _action(f, "routing-loop")["Transitions"]["Conditions"].pop(),
        ["routing-loop: Loop must have exactly the conditions Equals ContinueLooping and Equals DoneLooping"],
    ),
    (
        "loop count",
        _set("routing-loop/Parameters/LoopCount", 3),
        ['routing-loop: LoopCount must be a string "0".."100" or a JSONPath, found 3'],
    ),
    (
        "lambda timeout number",
        _set("route-initial/Parameters/InvocationTimeLimitSeconds", 8),
        ['route-initial: InvocationTimeLimitSeconds must be a string "1".."8", found 8'],
    ),
    (
        "lambda timeout too long",
        _set("route-initial/Parameters/InvocationTimeLimitSeconds", "9"),
        ['route-initial: InvocationTimeLimitSeconds must be a string "1".."8", found \'9\''],
    ),
    (
        "lambda response validation",
        _set("route-initial/Parameters/ResponseValidation", {"ResponseType": "JSON"}),
        [
            "route-initial: ResponseValidation.ResponseType must be STRING_MAP when the flow reads $.External, "
            "found 'JSON'"
        ],
    ),
    (
        "lambda without error branch",
        _del("route-initial/Transitions/Errors"),
        ["route-initial: no NoMatchingError branch"],
    ),
    (
        "non-terminal without exit",
        _set("set-fallback-queue/Transitions", {}),
        [
            "set-fallback-queue: non-terminal UpdateContactTargetQueue has no NextAction, Conditions or Errors",
            "set-fallback-queue: no NoMatchingError branch",
        ],
    ),
    (
        "target queue needs exactly one of QueueId/AgentId",
        _set("set-fallback-queue/Parameters/AgentId", "$.Agent.UserName"),
        ["set-fallback-queue: exactly one of QueueId and AgentId must be set"],
    ),
    (
        "transfer without capacity branch",
        lambda f: _action(f, "transfer-to-queue")["Transitions"]["Errors"].pop(0),
        ["transfer-to-queue: no QueueAtCapacity branch"],
    ),
    (
        "EndFlowExecution in an inbound flow",
        _set("disconnect/Type", "EndFlowExecution"),
        [
            "disconnect: EndFlowExecution is not allowed in a CONTACT_FLOW flow "
            "(only AGENT_WHISPER, CUSTOMER_QUEUE, CUSTOMER_WHISPER, OUTBOUND_WHISPER)"
        ],
    ),
    (
        "TransferContactToAgent is voice-only",
        _set("transfer-to-queue/Type", "TransferContactToAgent"),
        ["transfer-to-queue: TransferContactToAgent is voice-only: a chat or task contact takes its error branch"],
    ),
    (
        "optional copies in one UpdateContactAttributes",
        _set(
            "save-psr-id/Parameters/Attributes",
            {"psrId": "$.External.psrId", "externalQueueId": "$.External.externalQueueId"},
        ),
        [
            "save-psr-id: copies 2 JSONPath values (externalQueueId, psrId) in one block and its NoMatchingError "
            "goes on like Success: one unset value leaves all of them unset (all-or-nothing); "
            "use one block per optional value"
        ],
    ),
    ("too many actions", _many_actions, ["-: 256 actions, more than the limit of 250"]),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(name: str, mutate: Callable[[dict[str, Any]], None], expected: list[str]) -> None:
    flow = copy.deepcopy(INBOUND)
    mutate(flow)
    assert _lines(flow) == [f"{NAME}: {line}" for line in expected]


def test_content_too_large() -> None:
    flow = copy.deepcopy(INBOUND)
    _big_content(flow)
    text = json.dumps(flow)
    assert [str(p) for p in check.check_text(NAME, text)] == [
        f"{NAME}: -: content is {len(text)} characters, more than the limit of 256,000"
    ]


def test_start_action_unknown_makes_everything_unreachable_only_when_reachable_check_can_run() -> None:
    flow = copy.deepcopy(INBOUND)
    flow["StartAction"] = "nope"
    # reachability needs a valid StartAction, so only the StartAction problem is reported
    assert _lines(flow) == [f"{NAME}: -: StartAction 'nope' is not an action"]


def test_flow_type_rules() -> None:
    agent = json.loads((FLOWS_DIR / "agent-transfer-flow.json").read_text(encoding="utf-8"))
    agent["Actions"].append(
        {
            "Identifier": "module",
            "Type": "InvokeFlowModule",
            "Parameters": {"FlowModuleId": "x"},
            "Transitions": {
                "NextAction": "disconnect",
                "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "disconnect"}],
            },
        }
    )
    _action(agent, "failure-message")["Transitions"]["NextAction"] = "module"
    assert _lines(agent, "agent-transfer-flow.json") == [
        "agent-transfer-flow.json: module: InvokeFlowModule is not allowed in a AGENT_TRANSFER flow (only CONTACT_FLOW)"
    ]


def test_flow_type_from_metadata_then_filename() -> None:
    assert flow_type({"Metadata": {"type": "agentTransfer"}}) == "AGENT_TRANSFER"
    assert flow_type({"Metadata": {"type": "QUEUE_TRANSFER"}}) == "QUEUE_TRANSFER"
    assert flow_type({}, "x/my-queue-transfer-flow.json") == "QUEUE_TRANSFER"
    assert flow_type({}, "lens-module.json") == "MODULE"
    assert flow_type({}, "anything.json") == "CONTACT_FLOW"


def test_rules_are_tables() -> None:
    assert check.rule_reachable in check.FLOW_RULES
    assert check.rule_invoke_lambda in check.ACTION_RULES["InvokeLambdaFunction"]
    assert check.rule_copy_all_or_nothing in check.ACTION_RULES["UpdateContactAttributes"]
    assert "UpdateContactTargetQueue" in check.ALLOWED_FLOW_TYPES

"""The static checker: each rule caught on a broken copy of a shipped flow; every flow form read; the CLI contract.

What real exports contain (and must not be an error) is tested on the corpus in test_corpus.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from localdev.flows import check, rules
from localdev.flows.model import FLOWS_DIR
from localdev.flows.sources import read_text

INBOUND = json.loads((FLOWS_DIR / "inbound-chat-flow.json").read_text(encoding="utf-8"))
NAME = "inbound-chat-flow.json"


def _action(flow: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(a for a in flow["Actions"] if a["Identifier"] == ident)


def lines(flow: dict[str, Any], name: str = NAME, **kwargs: Any) -> list[str]:
    return [str(f) for f in check.check_text(name, json.dumps(flow), **kwargs)]


def test_shipped_flows_and_template_are_clean(capsys) -> None:
    docs, findings, errors = check.check_paths([FLOWS_DIR])
    assert sorted(d.label.rsplit("/", 1)[-1] for d in docs) == [
        "agent-transfer-flow.json",
        "contact-lens-transcription-subflow.json",
        "disconnect-flow.json",
        "inbound-chat-flow.json",
        "queue-transfer-flow.json",
        "task-routing-subflow.json",
        "template.yaml#AgentTransferFlow",
        "template.yaml#ContactLensTranscriptionModule",
        "template.yaml#DisconnectFlow",
        "template.yaml#InboundChatFlow",
        "template.yaml#QueueTransferFlow",
        "template.yaml#TaskRoutingFlow",
    ]
    assert (findings, errors) == ([], [])
    assert check.main([]) == 0
    assert capsys.readouterr().err == "12 flow(s) in 7 file(s): 0 error(s), 0 warning(s)\n"


def test_shipped_chat_flows_work_on_chat() -> None:
    for name in ("inbound-chat-flow.json", "agent-transfer-flow.json", "queue-transfer-flow.json"):
        path = FLOWS_DIR / name
        assert check.check_text(name, path.read_text(encoding="utf-8"), channel="CHAT") == []


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
    for i in range(240):
        flow["Actions"].append(
            {
                "Identifier": f"m{i}",
                "Type": "MessageParticipant",
                "Parameters": {"Text": "x"},
                "Transitions": {"NextAction": f"m{i + 1}" if i < 239 else "disconnect", "Errors": []},
            }
        )
    _action(flow, "failure-message")["Transitions"]["NextAction"] = "m0"


def _wait(**transitions: Any) -> dict[str, Any]:
    return {
        "Identifier": "wait",
        "Type": "Wait",
        "Parameters": {"TimeLimitSeconds": "900", "Events": ["CustomerReturned"]},
        "Transitions": transitions,
    }


def _hook_before_disconnect(action: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        flow["Actions"].append(action)
        _action(flow, "failure-message")["Transitions"]["NextAction"] = action["Identifier"]

    return mutate


E = "error"
W = "warning"
CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("version", _top("Version", "2020-01-01"),
     [f"-: {E}: version: Version must be \"2019-10-30\", found '2020-01-01'"]),
    ("start action missing", _top("StartAction", None), [f"-: {E}: start-action: StartAction missing"]),
    ("actions not a list", _top("Actions", {}), [f"-: {E}: action-shape: Actions must be a list"]),
    ("missing type", _del("disconnect/Type"), [f"disconnect: {E}: action-shape: Type missing or not a string"]),
    ("parameters not an object", _set("disconnect/Parameters", []),
     [f"disconnect: {E}: action-shape: Parameters must be an object"]),
    ("missing target", _set("set-fallback-queue/Transitions/NextAction", "gone"),
     [f"set-fallback-queue: {E}: dangling-target: Success transition goes to missing action 'gone'"]),
    ("unreachable", _add_action({"Identifier": "orphan", "Type": "DisconnectParticipant", "Parameters": {},
                                 "Transitions": {}}),
     [f"orphan: {W}: unreachable: unreachable from StartAction"]),
    ("duplicate identifier", _add_action({"Identifier": "disconnect", "Type": "DisconnectParticipant",
                                          "Parameters": {}, "Transitions": {}}),
     [f"disconnect: {E}: identifier: duplicate Identifier"]),
    ("long identifier", _rename("disconnect", "d" * 51),
     ["d" * 51 + f": {E}: identifier: Identifier longer than 50 characters"]),
    ("forbidden characters", _rename("disconnect", "disconnect:now()"),
     [f"disconnect:now(): {E}: identifier: Identifier contains forbidden characters '():'"]),
    ("loop conditions", lambda f: _action(f, "routing-loop")["Transitions"]["Conditions"].pop(),
     [f"routing-loop: {E}: loop: Loop must have exactly the conditions Equals ContinueLooping and Equals "
      "DoneLooping"]),
    ("loop count", _set("routing-loop/Parameters/LoopCount", "101"),
     [f"routing-loop: {E}: loop: LoopCount must be \"0\"..\"100\" or a JSONPath, found '101'"]),
    ("lambda timeout too long", _set("route-initial/Parameters/InvocationTimeLimitSeconds", "9"),
     [f"route-initial: {E}: lambda: InvocationTimeLimitSeconds must be a whole number of seconds from 1 to 8, "
      "found '9'"]),
    ("lambda without ARN", _del("route-initial/Parameters/LambdaFunctionARN"),
     [f"route-initial: {E}: lambda: LambdaFunctionARN missing"]),
    ("project function read as JSON", _set("route-initial/Parameters/ResponseValidation", {"ResponseType": "JSON"}),
     [f"route-initial: {W}: project-string-map: this project's functions answer flat string maps: use "
      "ResponseType STRING_MAP (found 'JSON')"]),
    ("lambda without error branch", _del("route-initial/Transitions/Errors"),
     [f"route-initial: {W}: error-branch: no NoMatchingError branch: if it happens, the flow stops here"]),
    ("non-terminal without exit", _set("set-fallback-queue/Transitions", {}),
     [f"set-fallback-queue: {E}: no-exit: UpdateContactTargetQueue has no NextAction, Conditions or Errors: "
      "the flow stops here",
      f"set-fallback-queue: {W}: error-branch: no NoMatchingError branch: if it happens, the flow stops here"]),
    ("both QueueId and AgentId", _set("set-fallback-queue/Parameters/AgentId", "$.Agent.UserName"),
     [f"set-fallback-queue: {E}: target-queue: QueueId and AgentId are both set: give one"]),
    ("transfer without capacity branch", lambda f: _action(f, "transfer-to-queue")["Transitions"]["Errors"].pop(0),
     [f"transfer-to-queue: {W}: error-branch: no QueueAtCapacity branch: if it happens, the flow stops here"]),
    ("EndFlowExecution in an inbound flow", _set("disconnect/Type", "EndFlowExecution"),
     [f"disconnect: {E}: flow-type: EndFlowExecution is not allowed in a CONTACT_FLOW flow (type from "
      "Metadata.type) (only AGENT_WHISPER, CUSTOMER_QUEUE, CUSTOMER_WHISPER, OUTBOUND_WHISPER)"]),
    ("bad operator",
     lambda f: _action(f, "routing-loop")["Transitions"]["Conditions"][0]["Condition"].update(Operator="Like"),
     [f"routing-loop: {E}: condition: condition operator 'Like' is not a Flow language operator",
      f"routing-loop: {E}: loop: Loop must have exactly the conditions Equals ContinueLooping and Equals "
      "DoneLooping"]),
    ("wait without its event's branch",
     _hook_before_disconnect(_wait(NextAction="disconnect", Errors=[{"ErrorType": "NoMatchingError",
                                                                      "NextAction": "disconnect"}],
                                   Conditions=[{"NextAction": "disconnect", "Condition": {
                                       "Operator": "Equals", "Operands": ["WaitCompleted"]}}])),
     [f"wait: {E}: wait: Wait needs an Equals condition for CustomerReturned"]),
    ("two hooks in one block",
     _hook_before_disconnect({"Identifier": "hooks", "Type": "UpdateContactEventHooks",
                              "Parameters": {"EventHooks": {"CustomerRemaining": "a", "CustomerQueue": "b"}},
                              "Transitions": {"NextAction": "disconnect",
                                              "Errors": [{"ErrorType": "NoMatchingError",
                                                          "NextAction": "disconnect"}]}}),
     [f"hooks: {E}: event-hooks: EventHooks must hold exactly one hook"]),
    ("optional copies in one UpdateContactAttributes",
     _set("save-psr-id/Parameters/Attributes",
          {"psrId": "$.External.psrId", "externalQueueId": "$.External.externalQueueId"}),
     [f"save-psr-id: {W}: all-or-nothing: copies 2 JSONPath values (externalQueueId, psrId) in one block and its "
      "NoMatchingError goes on like Success: one unset value leaves all of them unset (all-or-nothing); "
      "use one block per optional value"]),
    ("too many actions", _many_actions,
     [f"-: {E}: too-many-actions: {len(INBOUND['Actions']) + 240} actions, more than the limit of 250"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(name: str, mutate: Callable[[dict[str, Any]], None], expected: list[str]) -> None:
    flow = copy.deepcopy(INBOUND)
    mutate(flow)
    assert lines(flow) == [f"{NAME}: {line}" for line in expected]


def test_compare_needs_a_single_jsonpath() -> None:
    task = json.loads((FLOWS_DIR / "task-routing-subflow.json").read_text(encoding="utf-8"))
    _action(task, "check-queue-id")["Parameters"]["ComparisonValue"] = "queue $.Attributes.queueId"
    assert lines(task, "task.json") == [
        "task.json: check-queue-id: error: jsonpath: ComparisonValue must be a single JSONPath such as "
        "$.Attributes.name, found 'queue $.Attributes.queueId'"
    ]
    _action(task, "check-queue-id")["Parameters"]["ComparisonValue"] = "$.Attributes['queue id']"
    assert lines(task, "task.json") == []


def test_content_too_large() -> None:
    flow = copy.deepcopy(INBOUND)
    _action(flow, "failure-message")["Parameters"]["Text"] = "x" * 256_000
    text = json.dumps(flow)
    assert [str(f) for f in check.check_text(NAME, text)] == [
        f"{NAME}: -: error: content-size: content is {len(text):,} characters, more than the limit of 256,000"
    ]


def test_start_action_unknown_is_reported_once() -> None:
    flow = copy.deepcopy(INBOUND)
    flow["StartAction"] = "nope"
    assert lines(flow) == [f"{NAME}: -: error: start-action: StartAction 'nope' is not an action"]


def test_invalid_content_json_is_an_error_finding() -> None:
    wrapper = json.dumps({"ContactFlow": {"Name": "x", "Type": "CONTACT_FLOW", "Content": '{"Version": "2019-10-30",'}})
    [finding] = check.check_text("w.json", wrapper)
    assert (finding.severity, finding.rule) == ("error", "json")
    assert finding.message.startswith("Content is not valid JSON: Expecting property name")


# --------------------------------------------------------------------------------------------------
# what is valid in Connect is not an error
# --------------------------------------------------------------------------------------------------
def _minimal(*actions: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"Version": "2019-10-30", "StartAction": start or actions[0]["Identifier"], "Actions": list(actions)}


END = {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}


def test_console_export_shapes_are_valid() -> None:
    flow = _minimal(
        {
            "Identifier": "q",
            "Type": "TransferContactToQueue",  # the console writes no Parameters key
            "Transitions": {
                "NextAction": "agent",
                "Errors": [{"NextAction": "agent", "ErrorType": "QueueAtCapacity"},
                           {"NextAction": "agent", "ErrorType": "NoMatchingError"}],
            },
        },
        {"Identifier": "agent", "Type": "TransferContactToAgent", "Parameters": {}, "Transitions": {}},
    )  # fmt: skip
    assert lines(flow, "q.json", flow_type="QUEUE_TRANSFER") == []


@pytest.mark.parametrize("validation", [None, {"ResponseType": "JSON"}, {"ResponseType": "STRING_MAP"}])
def test_response_validation_absent_or_json_is_valid_for_other_functions(validation: Any) -> None:
    params: dict[str, Any] = {
        "LambdaFunctionARN": "arn:aws:lambda:us-east-1:111122223333:function:Lookup",
        "InvocationTimeLimitSeconds": "8",
    }
    if validation:
        params["ResponseValidation"] = validation
    call = {
        "Identifier": "call",
        "Type": "InvokeLambdaFunction",
        "Parameters": params,
        "Transitions": {"NextAction": "cmp", "Errors": [{"NextAction": "end", "ErrorType": "NoMatchingError"}]},
    }
    cmp = {
        "Identifier": "cmp",
        "Type": "Compare",
        "Parameters": {"ComparisonValue": "$.External.tier"},
        "Transitions": {"NextAction": "end", "Errors": [{"NextAction": "end", "ErrorType": "NoMatchingCondition"}]},
    }
    assert lines(_minimal(call, cmp, END), "f.json", flow_type="CONTACT_FLOW") == []


def test_whisper_wrapper_type_allows_end_flow_execution() -> None:
    content = json.dumps(
        _minimal(
            {"Identifier": "say", "Type": "MessageParticipant", "Parameters": {"Text": "Chat from the web"},
             "Transitions": {"NextAction": "done", "Errors": [{"NextAction": "done", "ErrorType": "NoMatchingError"}]}},
            {"Identifier": "done", "Type": "EndFlowExecution", "Parameters": {}, "Transitions": {}},
        )
    )  # fmt: skip
    wrapper = json.dumps({"ContactFlow": {"Name": "Whisper", "Type": "AGENT_WHISPER", "Content": content}})
    assert check.check_text("inbound_whisper.json", wrapper) == []  # the file name would say CONTACT_FLOW
    [guessed] = check.check_text("inbound_whisper.json", content)
    assert str(guessed) == (
        "inbound_whisper.json: -: warning: flow-type-unknown: the file does not say its flow type; AGENT_WHISPER is "
        "guessed from the file name: pass --type to be sure"
    )
    assert check.check_text("inbound_whisper.json", content, flow_type="AGENT_WHISPER") == []


def test_voice_only_rules_apply_only_on_a_known_channel() -> None:
    flow = _minimal(
        {"Identifier": "agent", "Type": "TransferContactToAgent", "Parameters": {}, "Transitions": {}},
    )
    assert lines(flow, "a.json", flow_type="AGENT_TRANSFER") == []
    assert lines(flow, "a.json", flow_type="AGENT_TRANSFER", channel="VOICE") == []
    assert lines(flow, "a.json", flow_type="AGENT_TRANSFER", channel="CHAT") == [
        "a.json: agent: warning: channel: TransferContactToAgent does not work on CHAT contacts (only VOICE): "
        "it takes its error branch"
    ]


def test_flow_type_conflict_is_reported() -> None:
    flow = copy.deepcopy(INBOUND)
    docs = read_text(json.dumps(flow), NAME, flow_type="AGENT_WHISPER")
    assert docs[0].flow_type == "CONTACT_FLOW"
    assert [str(f) for f in check.check_flow(docs[0], requested_type="AGENT_WHISPER")] == [
        f"{NAME}: -: warning: flow-type-unknown: --type AGENT_WHISPER ignored: the file declares CONTACT_FLOW "
        "(Metadata.type)"
    ]


# --------------------------------------------------------------------------------------------------
# forms
# --------------------------------------------------------------------------------------------------
MODULE_CONTENT = json.dumps(
    _minimal(
        {"Identifier": "a", "Type": "UpdateContactAttributes", "Parameters": {"Attributes": {"x": "${Value}"}},
         "Transitions": {"NextAction": "r", "Errors": [{"NextAction": "r", "ErrorType": "NoMatchingError"}]}},
        {"Identifier": "r", "Type": "EndFlowModuleExecution", "Parameters": {}, "Transitions": {}},
    )
)  # fmt: skip

YAML_TEMPLATE = f"""
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Value: {{Type: String}}
Resources:
  Module:
    Type: AWS::Connect::ContactFlowModule
    Properties:
      InstanceArn: !Ref Instance
      Name: m
      Content: !Sub '{MODULE_CONTENT}'
  Whisper:
    Type: AWS::Connect::ContactFlow
    Properties:
      Type: AGENT_WHISPER
      Name: !Sub "${{Prefix}} whisper"
      Content: !Sub
        - '{{"Version": "2019-10-30", "StartAction": "e", "Actions": [{{"Identifier": "e", "Type": "Loop",
          "Parameters": {{"LoopCount": ${{Count}}}}, "Transitions": {{"Conditions": []}}}}]}}'
        - Count: "3"
  Bucket:
    Type: AWS::S3::Bucket
"""


def test_cloudformation_yaml_each_resource_by_logical_id() -> None:
    assert [str(f) for f in check.check_text("stack.yaml", YAML_TEMPLATE)] == [
        "stack.yaml#Whisper: e: error: no-exit: Loop has no NextAction, Conditions or Errors: the flow stops here",
        "stack.yaml#Whisper: e: error: loop: Loop must have exactly the conditions Equals ContinueLooping and "
        "Equals DoneLooping",
    ]  # LoopCount ${Count} is a placeholder the stack fills in: not a finding
    docs = read_text(YAML_TEMPLATE, "stack.yaml")
    assert [(d.label, d.form, d.flow_type, d.type_source) for d in docs] == [
        ("stack.yaml#Module", "cloudformation", "MODULE", "CloudFormation resource"),
        ("stack.yaml#Whisper", "cloudformation", "AGENT_WHISPER", "CloudFormation resource"),
    ]
    assert docs[1].content["Actions"][0]["Parameters"]["LoopCount"] == "${Count}"  # a bare placeholder, read as text
    assert docs[0].references[0] == "${Module.ContactFlowModuleArn}"


def test_cloudformation_json_with_fn_join() -> None:
    content = ['{"Version": "2019-10-30", "StartAction": "q", "Actions": [{"Identifier": "q", "Type": '
               '"UpdateContactTargetQueue", "Parameters": {"QueueId": "', {"Fn::GetAtt": ["Queue", "QueueArn"]},
               '"}, "Transitions": {"NextAction": "t", "Errors": [{"NextAction": "t", "ErrorType": '
               '"NoMatchingError"}]}}, {"Identifier": "t", "Type": "DisconnectParticipant", '
               '"Transitions": {}}]}']  # fmt: skip
    template = {
        "Resources": {
            "Inbound": {"Type": "AWS::Connect::ContactFlow", "Properties": {"Type": "CONTACT_FLOW",
                                                                          "Content": {"Fn::Join": ["", content]}}}
        }
    }  # fmt: skip
    [doc] = read_text(json.dumps(template), "stack.json")
    assert doc.content["Actions"][0]["Parameters"]["QueueId"] == "${Queue.QueueArn}"
    assert check.check_flow(doc) == []


def test_content_built_with_fn_if_is_a_warning_not_an_error() -> None:
    template = {
        "Resources": {
            "Flow": {
                "Type": "AWS::Connect::ContactFlow",
                "Properties": {"Type": "CONTACT_FLOW", "Content": {"Fn::If": ["Prod", "{}", "{}"]}},
            }
        }
    }
    assert [str(f) for f in check.check_text("stack.json", json.dumps(template))] == [
        "stack.json#Flow: -: warning: unevaluated: Content is built with an intrinsic function other than "
        "Fn::Sub / Fn::Join: not read"
    ]


def test_wrapper_forms() -> None:
    content = json.dumps(INBOUND)
    for text in (
        json.dumps({"ContactFlow": {"Name": "In", "Type": "CONTACT_FLOW", "Content": content}}),
        json.dumps({"Name": "In", "Type": "CONTACT_FLOW", "Content": content}),  # DescribeContactFlow's object
        json.dumps({"ResponseMetadata": {}, "ContactFlow": {"Arn": "arn:x", "Id": "id-1", "Content": content}}),
    ):
        [doc] = read_text(text, "in.json")
        assert doc.form == "wrapper"
        assert check.check_flow(doc) == []
    [module] = read_text(json.dumps({"ContactFlowModule": {"Name": "M", "Content": MODULE_CONTENT}}), "m.json")
    assert module.flow_type == "MODULE"


def test_cli_text_json_and_exit_codes(tmp_path, capsys) -> None:
    bad = copy.deepcopy(INBOUND)
    _action(bad, "route-initial")["Parameters"]["InvocationTimeLimitSeconds"] = "30"
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    (tmp_path / "flows" / "notes.json").write_text('{"not": "a flow"}', encoding="utf-8")  # skipped in a folder
    warn = copy.deepcopy(INBOUND)
    del _action(warn, "route-initial")["Transitions"]["Errors"]
    (tmp_path / "warn.json").write_text(json.dumps(warn), encoding="utf-8")

    assert check.main([str(tmp_path / "warn.json")]) == 0  # warnings only
    out, err = capsys.readouterr()
    assert out == (
        f"{tmp_path}/warn.json: route-initial: warning: error-branch: no NoMatchingError branch: if it happens, "
        "the flow stops here\n"
    )
    assert err == "1 flow(s) in 1 file(s): 0 error(s), 1 warning(s)\n"

    assert check.main(["--format", "json", str(tmp_path / "flows")]) == 1
    assert json.loads(capsys.readouterr().out) == [
        {
            "file": f"{tmp_path}/flows/bad.json",
            "action": "route-initial",
            "severity": "error",
            "rule": "lambda",
            "message": "InvocationTimeLimitSeconds must be a whole number of seconds from 1 to 8, found '30'",
        }
    ]

    assert check.main([str(tmp_path / "flows" / "notes.json"), str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{tmp_path}/flows/notes.json: not a flow: expected Flow language")
    assert err[1] == f"{tmp_path}/missing.json: cannot read: No such file or directory"


def test_legacy_export_format_is_named(tmp_path, capsys) -> None:
    legacy = tmp_path / "old.json"
    legacy.write_text(json.dumps({"modules": [{"id": "1", "type": "PlayPrompt"}]}), encoding="utf-8")
    assert check.main([str(legacy)]) == 2
    assert "legacy export format" in capsys.readouterr().err


def test_rules_are_a_table_with_sources(capsys) -> None:
    assert [r.id for r in rules.RULES if r.severity == "error"][:3] == ["action-shape", "version", "start-action"]
    for rule in rules.all_rules():
        assert rule.severity in ("error", "warning")
        assert rule.source.startswith("https://docs.aws.amazon.com/")
    assert len({r.id for r in rules.all_rules()}) == len(rules.all_rules())
    assert check.main(["--rules", "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert {"rule": "unreachable", "severity": "warning"}.items() <= table[[t["rule"] for t in table].index(
        "unreachable")].items()  # fmt: skip

"""template.yaml and the code cannot drift: handlers import, environment variables are settings, the
runtime is the one the tests run on, Connect's 8 s limit is the flow functions' timeout, and the contact record
function reads its stream the way its code expects (partial batch responses) with least privilege."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import yaml

from connect_omni.settings import Settings

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags (``!Ref x`` -> ``{"Ref": x}``)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)


def functions(template: dict) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def test_every_handler_imports_and_is_callable(template):
    found = functions(template)
    assert set(found) == {
        "CreateMessagingSessionFunction",
        "RoutingFunction",
        "TranscriptIngestionFunction",
        "ContactTraceRecordFunction",
    }
    for resource in found.values():
        module, _, name = resource["Properties"]["Handler"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))


def test_environment_variables_are_settings_and_required_ones_are_set(template):
    fields = {name.upper() for name in Settings.model_fields}
    global_env = template["Globals"]["Function"]["Environment"]["Variables"]
    names = set(global_env)
    for resource in functions(template).values():
        names |= set(resource["Properties"].get("Environment", {}).get("Variables", {}))
    unknown = {n for n in names if n not in fields and not n.startswith("POWERTOOLS_")}
    assert unknown == set()
    required = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}
    assert required <= set(global_env)


def test_runtime_matches_the_test_interpreter_and_timeout_is_connects_limit(template):
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert globals_["Timeout"] == 8
    assert globals_["CodeUri"] == "src/"


def test_connect_may_invoke_only_from_the_instance(template):
    permissions = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"]
    assert len(permissions) == 2
    for permission in permissions:
        assert permission["Principal"] == "connect.amazonaws.com"
        assert permission["SourceArn"] == {"Ref": "ConnectInstanceArn"}


def test_transcript_rule_matches_bot_chat_disconnects_of_the_instance(template):
    event = template["Resources"]["TranscriptIngestionFunction"]["Properties"]["Events"]["ChatDisconnected"]
    pattern = event["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.connect"]
    assert pattern["detail-type"] == ["Amazon Connect Contact Event"]
    assert pattern["detail"] == {
        "eventType": ["DISCONNECTED"],
        "channel": ["CHAT"],
        "instanceArn": [{"Ref": "ConnectInstanceArn"}],
    }


STREAM_ARN = "arn:aws:kinesis:us-east-1:111122223333:stream/connect-ctr"
CTR_RESOURCES = {
    "ContactTraceRecordLogGroup",
    "ContactTraceRecordDLQ",
    "ContactTraceRecordFunction",
    "ContactTraceRecordEventSourceMapping",
}


@pytest.fixture(scope="module")
def translated(monkeypatch_module) -> dict:
    """The template after the SAM transform (samtranslator, offline), with a CTR stream named."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    monkeypatch_module.setenv("AWS_DEFAULT_REGION", "us-east-1")
    document = yaml_parse(TEMPLATE.read_text())
    document["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"  # what sam package puts there
    document["Resources"]["ContactFlows"]["Properties"]["Location"] = "https://s3.amazonaws.com/bucket/flows.yaml"
    return transform(document, {"ContactTraceRecordStreamArn": STREAM_ARN}, NoManagedPolicies())


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_the_contact_record_function_exists_only_when_a_stream_is_named(template):
    conditions = template["Conditions"]
    named = {"Fn::Not": [{"Fn::Equals": [{"Ref": "ContactTraceRecordStreamArn"}, ""]}]}
    assert conditions["StoreContactRecords"] == named
    assert template["Parameters"]["ContactTraceRecordStreamArn"]["Default"] == ""
    for name in CTR_RESOURCES:
        assert template["Resources"][name]["Condition"] == "StoreContactRecords", name
    for name in ("ContactTraceRecordFunctionArn", "ContactTraceRecordDLQUrl"):
        assert template["Outputs"][name]["Condition"] == "StoreContactRecords"


def test_the_event_source_mapping_reports_partial_failures_with_bounded_retries_to_a_dlq(template):
    mapping = template["Resources"]["ContactTraceRecordEventSourceMapping"]["Properties"]
    assert mapping["EventSourceArn"] == {"Ref": "ContactTraceRecordStreamArn"}
    assert mapping["FunctionName"] == {"Ref": "ContactTraceRecordFunction"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]  # the handler answers batchItemFailures
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10_000 and mapping["MaximumRecordAgeInSeconds"] <= 86_400
    assert mapping["ParallelizationFactor"] == 1
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": "ContactTraceRecordDLQ.Arn"}}}
    function = template["Resources"]["ContactTraceRecordFunction"]["Properties"]
    assert function["Handler"] == "connect_omni.handlers.contact_trace_record.lambda_handler"
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "ContactTraceRecordLogGroup"}}
    assert "Events" not in function  # a SAM Kinesis event would add Kinesis read on every stream


def test_the_contact_record_role_reads_only_its_stream_and_key(translated):
    resources = translated["Resources"]
    role = resources["ContactTraceRecordFunctionRole"]["Properties"]
    managed = [arn for arn in role["ManagedPolicyArns"] if isinstance(arn, str)]
    assert not any("Kinesis" in arn for arn in managed), managed
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    kinesis = [s for s in statements if "Action" in s and any(a.startswith("kinesis:") for a in _actions(s))]
    assert [s["Resource"] for s in kinesis] == [{"Ref": "ContactTraceRecordStreamArn"}]
    assert set(_actions(kinesis[0])) == {
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    }
    sqs = [s for s in statements if "Action" in s and "sqs:SendMessage" in _actions(s)]
    assert [s["Resource"] for s in sqs] == [{"Fn::GetAtt": ["ContactTraceRecordDLQ", "Arn"]}]
    kms = [s["Fn::If"] for s in statements if "Fn::If" in s]
    assert kms[0][0] == "HasContactRecordStreamKmsKey"
    assert kms[0][1]["Action"] == "kms:Decrypt"
    assert kms[0][1]["Resource"] == {"Ref": "ContactTraceRecordStreamKmsKeyArn"}
    mapping = resources["ContactTraceRecordEventSourceMapping"]
    assert mapping["DependsOn"] == "ContactTraceRecordFunctionRole"  # the policy exists before the mapping


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)

"""template.yaml and the code cannot drift: handlers import, environment variables are settings, the
runtime is the one the tests run on, and Connect's 8 s limit is the flow functions' timeout."""

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
    assert set(found) == {"CreateMessagingSessionFunction", "RoutingFunction", "TranscriptIngestionFunction"}
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

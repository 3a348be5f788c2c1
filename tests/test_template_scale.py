"""The SnapStart and reserved-concurrency options of template.yaml, rendered both ways by the SAM translator.

With ``SnapStart=true`` Connect (association and permission), the sample flows and the outputs use the
``live`` alias of CreateMessagingSession and Routing, whose published versions run with SnapStart; with
``false`` everything stays on the unqualified function. Reserved concurrency is left out unless set.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOW_FUNCTIONS = ("CreateMessagingSession", "Routing")


def _translated() -> dict:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse((ROOT / "template.yaml").read_text())
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"  # what sam package puts there
    template["Resources"]["ContactFlows"]["Properties"]["Location"] = "https://s3.amazonaws.com/bucket/flows.yaml"

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(template, {}, NoManagedPolicies())


@pytest.fixture(scope="module")
def translated() -> dict:
    return _translated()


def _conditions(translated: dict, parameters: dict[str, str]) -> dict[str, bool]:
    values = {name: spec.get("Default") for name, spec in translated["Parameters"].items()} | parameters

    def evaluate(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return values.get(arg, arg)
            if key == "Fn::Equals":
                return evaluate(arg[0]) == evaluate(arg[1])
            if key == "Fn::Not":
                return not evaluate(arg[0])
            if key == "Fn::Condition":
                return evaluate(translated["Conditions"][arg])
        return node

    return {name: evaluate(expr) for name, expr in translated["Conditions"].items()}


def render(translated: dict, **parameters: str) -> dict:
    """The translated template with every ``Fn::If`` resolved for ``parameters`` (others at their defaults)."""
    conditions = _conditions(translated, parameters)

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Fn::If"}:
                name, yes, no = node["Fn::If"]
                return resolve(yes if conditions[name] else no)
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(copy.deepcopy(translated))


@pytest.mark.parametrize("function", FLOW_FUNCTIONS)
def test_snapstart_on_points_connect_the_flows_and_the_outputs_at_the_alias(translated, function):
    rendered = render(translated, SnapStart="true")
    resources = rendered["Resources"]
    alias = {"Ref": f"{function}FunctionAliaslive"}
    assert resources[f"{function}FunctionAliaslive"]["Type"] == "AWS::Lambda::Alias"
    assert resources[f"{function}Function"]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert resources[f"{function}ConnectPermission"]["Properties"]["FunctionName"] == alias
    assert resources[f"{function}Association"]["Properties"]["IntegrationArn"] == alias
    assert resources["ContactFlows"]["Properties"]["Parameters"][f"{function}FunctionArn"] == alias
    assert rendered["Outputs"][f"{function}FunctionArn"]["Value"] == alias


@pytest.mark.parametrize("function", FLOW_FUNCTIONS)
def test_snapstart_off_keeps_the_unqualified_function(translated, function):
    resources = render(translated, SnapStart="false")["Resources"]
    arn = {"Fn::GetAtt": [f"{function}Function", "Arn"]}
    assert resources[f"{function}Function"]["Properties"]["SnapStart"] == {"ApplyOn": "None"}
    assert resources[f"{function}ConnectPermission"]["Properties"]["FunctionName"] == {"Ref": f"{function}Function"}
    assert resources[f"{function}Association"]["Properties"]["IntegrationArn"] == arn
    assert resources["ContactFlows"]["Properties"]["Parameters"][f"{function}FunctionArn"] == arn


def test_reserved_concurrency_is_unreserved_by_default_and_set_when_given(translated):
    names = ("CreateMessagingSession", "Routing", "TranscriptIngestion")
    default = render(translated)["Resources"]
    assert all(
        default[f"{n}Function"]["Properties"]["ReservedConcurrentExecutions"] == {"Ref": "AWS::NoValue"} for n in names
    )
    given = render(translated, **{f"{n}ReservedConcurrency": "50" for n in names})["Resources"]
    assert all(
        given[f"{n}Function"]["Properties"]["ReservedConcurrentExecutions"] == {"Ref": f"{n}ReservedConcurrency"}
        for n in names
    )


@pytest.mark.skipif(shutil.which("sam") is None, reason="the SAM CLI is not on PATH")
def test_sam_validate_lint_passes_with_snapstart_and_reservations_on(tmp_path):
    text = (ROOT / "template.yaml").read_text()
    flipped = text.replace(
        '  SnapStart:\n    Type: String\n    Default: "false"', '  SnapStart:\n    Type: String\n    Default: "true"'
    )
    for name in ("CreateMessagingSession", "Routing", "TranscriptIngestion"):
        flipped = flipped.replace(
            f'  {name}ReservedConcurrency:\n    Type: String\n    Default: ""',
            f'  {name}ReservedConcurrency:\n    Type: String\n    Default: "25"',
        )
    assert flipped.count('Default: "25"') == 3
    assert flipped.count('  SnapStart:\n    Type: String\n    Default: "true"') == 1
    (tmp_path / "template.yaml").write_text(flipped)
    shutil.copytree(ROOT / "contact_flows", tmp_path / "contact_flows")
    (tmp_path / "src").mkdir()
    done = subprocess.run(
        ["sam", "validate", "--lint", "-t", str(tmp_path / "template.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, SAM_CLI_TELEMETRY="0"),
    )
    assert done.returncode == 0, done.stdout + done.stderr

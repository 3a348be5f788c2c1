"""The dashboard and alarms of ``template.yaml`` read metrics that exist, cover what an operator needs, and
are the ones the README explains.

The dashboard body is evaluated as CloudFormation would (``Fn::Join`` of ``Fn::Sub`` strings and ``Fn::If`` on
the optional parts' conditions), with each combination of those conditions, and must be valid JSON each time.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest

from tests.docs import codescan, readme

NAMESPACE = "ConnectOmniChannel"
OPTIONAL = {"IngestTranscripts": "Transcript", "StoreContactRecords": "ContactRecords"}  # condition -> name part
COMBINATIONS = [dict(zip(OPTIONAL, flags, strict=True)) for flags in itertools.product([True, False], repeat=2)]


def _resolve(node, conditions: dict[str, bool]):
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and "Fn::Sub" in node:
        text = node["Fn::Sub"]
        assert isinstance(text, str), "Fn::Sub with a variable map is not expected here"
        return re.sub(r"\$\{([A-Za-z0-9:.]+)\}", lambda m: f"<{m[1]}>", text)
    if isinstance(node, dict) and "Fn::Join" in node:
        sep, parts = node["Fn::Join"]
        return sep.join(_resolve(p, conditions) for p in parts)
    if isinstance(node, dict) and "Fn::If" in node:
        name, yes, no = node["Fn::If"]
        return _resolve(yes if conditions[name] else no, conditions)
    raise AssertionError(f"cannot evaluate {node!r}")


def dashboard(template: dict, conditions: dict[str, bool]) -> dict:
    body = template["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]
    return json.loads(_resolve(body, conditions))


def dashboard_metrics(body: dict) -> list[list]:
    return [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]


def alarms(template: dict) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm"}


def services(template: dict) -> set[str]:
    return {
        r["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    }


def emitted() -> set[str]:
    found, _ = codescan.metrics()
    return {f.value for f in found}


@pytest.mark.parametrize("conditions", COMBINATIONS, ids=lambda c: "+".join(k for k, v in c.items() if v) or "core")
def test_dashboard_body_is_json_and_names_only_metrics_the_code_emits(template, conditions):
    assert template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    body = dashboard(template, conditions)
    for metric in dashboard_metrics(body):
        if isinstance(metric[0], dict):
            continue  # an expression
        if metric[0] == NAMESPACE:
            assert metric[1] in emitted(), f"the code emits no metric {metric[1]}"
            assert metric[2:4] == ["service", metric[3]] and metric[3] in services(template), metric
        else:
            assert metric[0] in ("AWS/Lambda", "AWS/SQS"), metric
    for widget in body["widgets"]:
        if widget["type"] == "alarm":
            for arn in widget["properties"]["alarms"]:
                name = re.fullmatch(r"<(\w+)\.Arn>", arn)[1]
                assert name in alarms(template)
                condition = alarms(template)[name].get("Condition")
                assert condition is None or conditions[condition], f"{name} shown without its condition"
    for condition, part in OPTIONAL.items():
        if not conditions[condition]:
            assert not any(part in json.dumps(w) for w in body["widgets"][1:]), f"{part} widgets without {condition}"


def test_dashboard_shows_what_the_issue_asks_for(template):
    body = dashboard(template, dict.fromkeys(OPTIONAL, True))
    names = {(m[0], m[1]) for m in dashboard_metrics(body) if not isinstance(m[0], dict)}
    wanted = {
        (NAMESPACE, n)
        for n in (
            "SessionsCreated",
            "Routes",
            "QueueResolved",
            "QueueFallback",
            "InputErrors",
            "Failures",
            "TokenGrants",
            "TranscriptsIngested",
            "TranscriptsSkipped",
            "HistoryEntriesUploaded",
        )
    } | {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "Duration"),
    }
    assert wanted <= names, wanted - names
    [duration] = [w for w in body["widgets"] if w["properties"].get("stat") == "p99"]
    assert 8000 in {a["value"] for a in duration["properties"]["annotations"]["horizontal"]}
    every_alarm = {
        re.fullmatch(r"<(\w+)\.Arn>", a)[1]
        for w in body["widgets"]
        if w["type"] == "alarm"
        for a in w["properties"]["alarms"]
    }
    assert every_alarm == set(alarms(template))


def test_alarms_read_real_metrics_and_notify_the_optional_topic(template):
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert template["Conditions"]["HasAlarmTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
    notify = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    for name, alarm in alarms(template).items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == notify and props["OKActions"] == notify, name
        assert props["TreatMissingData"] == "notBreaching", name
        if props.get("Namespace") == NAMESPACE:  # a single-metric alarm
            assert props["MetricName"] in emitted(), name
            assert [(d["Name"], d["Value"] in services(template)) for d in props["Dimensions"]] == [("service", True)]
        queries = props.get("Metrics") or []
        ids = {q["Id"] for q in queries}
        assert sum(1 for q in queries if q.get("ReturnData", True)) == (1 if queries else 0), name
        for q in queries:
            if "Expression" in q:
                assert set(re.findall(r"\b[a-z][a-z0-9_]*\b", q["Expression"])) - {"fill", "if", "max"} <= ids
            else:
                metric = q["MetricStat"]["Metric"]
                if metric["Namespace"] == NAMESPACE:
                    assert metric["MetricName"] in emitted(), name
                    [dim] = metric["Dimensions"]
                    assert dim["Name"] == "service" and dim["Value"] in services(template), name


def test_the_readme_explains_every_alarm_with_its_threshold(template):
    rows = readme.table(readme.section("Operations: dashboard and alarms"), "alarm")
    documented = {readme.code_spans(row[0])[0]: row for row in rows}
    assert set(documented) == set(alarms(template))
    for name, row in documented.items():
        threshold = alarms(template)[name]["Properties"]["Threshold"]
        assert re.search(rf"\b{threshold:g}\b", row[1]), f"{name}: README says {row[1]!r}, threshold is {threshold}"
        assert row[2] and row[3], f"{name}: say what it means and what to do"

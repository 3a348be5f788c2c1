"""The doctor's parts without the stand-ins: advice for Salesforce's errors, the report formats, the runner's
time bound and dependencies, reading a stack, the channelAddressIdentifier rule, and the command line."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from connect_omni.errors import SalesforceAuthError, SalesforceError, SalesforceUnavailableError
from connect_omni_ops.cli import main
from connect_omni_ops.doctor import advice
from connect_omni_ops.doctor.aws_checks import channel_address_problems
from connect_omni_ops.doctor.context import Context, Fail, Skip
from connect_omni_ops.doctor.deployment import DeploymentError, from_stack, unqualified
from connect_omni_ops.doctor.report import CheckResult, Report, Status, render_table
from connect_omni_ops.doctor.runner import Check, run_checks, run_one
from tests.conftest import ENV

LOGIN = "https://login.salesforce.com"
CMS_ARN = "arn:aws:lambda:us-east-1:111122223333:function:stack-CreateMessagingSessionFunction-ABC"
CHANNEL = "5f0c6f5e-7a33-4c3d-9a38-2f0d3c1b7a11"


def _grant(code: str | None, description: str, status: int = 400) -> SalesforceAuthError:
    return SalesforceAuthError("token grant", status=status, code=code, detail=description)


@pytest.mark.parametrize(
    ("error", "in_hint"),
    [
        (_grant("invalid_grant", "user hasn't approved this consumer"), "Admin approved users are pre-authorized"),
        (_grant("invalid_app_access", "user is not admin approved to access this app"), "Manage Profiles"),
        (_grant("invalid_grant", "audience is invalid"), "SalesforceAuthUrl to https://test.salesforce.com"),
        (_grant("invalid_client_id", "client identifier invalid"), "Manage Consumer Details"),
        (_grant("invalid_grant", "invalid assertion"), "openssl rsa -noout -modulus"),
        (_grant("invalid_grant", "expired authorization code"), "clock"),
        (_grant("invalid_grant", "authentication failure"), "Login History"),
        (_grant(None, "<html>Not Found</html>", status=404), "not a Salesforce OAuth server"),
        (SalesforceUnavailableError("token grant", detail="connection error: ConnectionError"), "proxy"),
        (_grant("invalid_grant", "something new"), "JWT Bearer Flow"),
    ],
)
def test_grant_errors_become_advice_for_the_usual_mistake(error: SalesforceError, in_hint: str) -> None:
    found = advice.grant_advice(error, auth_url=LOGIN, user_name="api@example.com")
    assert in_hint in found.hint
    if error.detail and error.status:
        assert error.detail in found.detail


def test_audience_advice_points_a_sandbox_login_back_to_production() -> None:
    found = advice.grant_advice(
        _grant("invalid_grant", "audience is invalid"), auth_url=advice.SANDBOX_LOGIN_URL, user_name="u"
    )
    assert f"SalesforceAuthUrl to {LOGIN}" in found.hint


@pytest.mark.parametrize(
    ("code", "status", "in_hint"),
    [
        ("10003", 403, "interaction_api"),
        ("10004", 401, "another org"),
        ("10005", 400, "developer (API) name of the Conversation Channel Definition"),
        ("10016", 400, "OrgId (00D5g000004ABCD)"),
        ("15102", 400, "Contact Center as a Service"),
        ("NOT_FOUND", 404, "does not serve the Interaction Service"),
    ],
)
def test_interaction_service_codes_become_advice(code: str, status: int, in_hint: str) -> None:
    error = SalesforceError("GET /api/v1/conversationEntry", status=status, code=code, detail="...")
    found = advice.interaction_advice(
        error, scrt_url="https://x.my.salesforce-scrt.com", org_id_15="00D5g000004ABCD", context="Chat"
    )
    assert in_hint in found.hint
    assert found.detail.startswith(f"GET /api/v1/conversationEntry answered HTTP {status} code {code}")


def test_probe_answers_about_the_conversation_mean_the_headers_were_accepted() -> None:
    assert {"10018", "10089"} <= advice.PROBE_ACCEPTED_CODES
    assert not {"10003", "10004", "10005", "10016"} & advice.PROBE_ACCEPTED_CODES


def test_routing_map_advice() -> None:
    error = SalesforceError("SOQL CallCenterRoutingMap", status=400, code="INVALID_TYPE", detail="not supported")
    assert "read access" in advice.routing_map_advice(error, call_center_id="04v", api_version="62.0").hint


# report ------------------------------------------------------------------------------------------------------
def _report() -> Report:
    return Report(
        "the environment",
        (
            CheckResult("secret", Status.PASSED, "SCCAC-Secret: the three keys"),
            CheckResult("token-grant", Status.FAILED, "invalid_grant: " + "audience is invalid " * 6, "Set it. " * 20),
            CheckResult("org", Status.SKIPPED, "needs token-grant, which failed"),
        ),
    )


def test_json_keeps_the_issue_keys_and_adds_status() -> None:
    document = _report().to_json()
    assert document["ok"] is False
    assert [(c["name"], c["ok"], c["status"]) for c in document["checks"]] == [
        ("secret", True, "passed"),
        ("token-grant", False, "failed"),
        ("org", None, "skipped"),
    ]
    assert all(set(c) == {"name", "ok", "status", "detail", "hint"} for c in document["checks"])


def test_skipped_checks_are_not_findings() -> None:
    report = Report("x", (CheckResult("a", Status.PASSED, "."), CheckResult("b", Status.SKIPPED, ".")))
    assert report.ok is True
    assert report.summary() == "0 failed, 1 passed, 1 skipped"


def test_table_wraps_columns_within_the_width_and_has_an_ascii_form() -> None:
    table = render_table(_report(), width=100)
    lines = table.splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert lines[-1] == "NOT OK: 1 failed, 1 passed, 1 skipped"
    marks = [
        line.split()[1] for line in lines if line.split()[:1] and line.split()[0] in ("secret", "token-grant", "org")
    ]
    assert marks == ["\u2714", "\u2718", "\u2013"]
    ascii_table = render_table(_report(), width=100, ascii_only=True)
    ascii_table.encode("ascii")
    assert " FAIL " in ascii_table and " skip " in ascii_table


# runner ------------------------------------------------------------------------------------------------------
def _ctx(timeout_s: float = 5.0) -> Context:
    return Context(load_deployment=lambda ctx: None, timeout_s=timeout_s)  # type: ignore[arg-type, return-value]


def test_a_check_that_does_not_finish_in_time_fails_and_the_run_goes_on() -> None:
    release = threading.Event()
    hung = Check("hung", lambda ctx: str(release.wait(60)))
    try:
        result = run_one(hung, _ctx(), timeout_s=0.05)
    finally:
        release.set()
    assert result.status is Status.FAILED
    assert result.detail == "did not finish within 0.05 s"
    assert "--timeout" in result.hint


def test_checks_depending_on_a_failed_or_skipped_one_are_skipped_without_running() -> None:
    ran: list[str] = []

    def record(name: str, outcome: Exception | None = None):
        def run(ctx: Context) -> str:
            ran.append(name)
            if outcome:
                raise outcome
            return "fine"

        return run

    checks = (
        Check("a", record("a", Fail("broken", "fix it"))),
        Check("b", record("b"), ("a",)),
        Check("c", record("c", Skip("cannot", "give me more"))),
        Check("d", record("d"), ("c",)),
        Check("e", record("e", RuntimeError("surprise"))),
        Check("f", record("f")),
    )
    report = run_checks(_ctx(), checks)
    assert ran == ["a", "c", "e", "f"]
    by_name = {c.name: c for c in report.checks}
    assert by_name["b"].detail == "needs a, which failed"
    assert by_name["d"].detail == "needs c, which was skipped"
    assert by_name["c"].hint == "give me more"
    assert by_name["e"].status is Status.FAILED and by_name["e"].detail == "unexpected RuntimeError: surprise"
    assert report.target.startswith("nothing")


# reading a stack -----------------------------------------------------------------------------------------------
class _FakeCloudFormation:
    class meta:
        region_name = "eu-west-2"

    def __init__(self, stack: dict | None, resources: list[dict] | None = None) -> None:
        self.stack, self.resources = stack, resources or []

    def describe_stacks(self, StackName: str) -> dict:
        if self.stack is None:
            from botocore.exceptions import ClientError

            error = {"Error": {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}}
            raise ClientError(error, "DescribeStacks")
        return {"Stacks": [self.stack]}

    def get_paginator(self, name: str):
        resources = self.resources

        class _Pages:
            def paginate(self, StackName: str):
                return [{"StackResourceSummaries": resources}]

        return _Pages()


class _FakeLambda:
    def __init__(self, environments: dict[str, dict[str, str]]) -> None:
        self.environments = environments

    def get_function_configuration(self, FunctionName: str) -> dict:
        return {"Environment": {"Variables": self.environments[FunctionName]}}


def test_from_stack_reads_parameters_outputs_resources_and_the_functions_environment() -> None:
    stack = {
        "StackName": "co",
        "StackId": "arn:aws:cloudformation:eu-west-2:111122223333:stack/co/1",
        "StackStatus": "UPDATE_COMPLETE",
        "Parameters": [
            {"ParameterKey": "SalesforceOrgId", "ParameterValue": "00D5g000004ABCDEAA"},
            {"ParameterKey": "SalesforceSecretName", "ParameterValue": "SCCAC-Secret"},
            {"ParameterKey": "LogLevel", "ParameterValue": "INFO"},
        ],
        "Outputs": [{"OutputKey": "RoutingFunctionArn", "OutputValue": "arn:aws:lambda:eu-west-2:1:function:r"}],
    }
    resources = [
        {"LogicalResourceId": "CreateMessagingSessionFunction", "PhysicalResourceId": "co-Cms"},
        {"LogicalResourceId": "TranscriptIngestionFunctionChatDisconnected", "PhysicalResourceId": "co-Rule"},
        {"LogicalResourceId": "TranscriptIngestionDLQ", "PhysicalResourceId": "https://sqs/q"},
    ]
    functions = _FakeLambda(
        {
            "co-Cms": {"SALESFORCE_ORG_ID": "00D5g000004ABCDEAA", "POWERTOOLS_SERVICE_NAME": "cms"},
            "arn:aws:lambda:eu-west-2:1:function:r": {
                "SALESFORCE_ORG_ID": "00D5g000004ABCDEAA",
                "CALL_CENTER_ID": "04v",
            },
        }
    )
    deployment = from_stack("co", _FakeCloudFormation(stack, resources), functions)
    assert deployment.target == "stack co (eu-west-2)"
    assert deployment.values == {"SALESFORCE_ORG_ID": "00D5g000004ABCDEAA", "CALL_CENTER_ID": "04v"}
    assert deployment.parameters["SalesforceSecretName"] == "SCCAC-Secret"
    assert deployment.function_arns == {
        "CreateMessagingSession": "co-Cms",
        "Routing": "arn:aws:lambda:eu-west-2:1:function:r",
    }
    assert (deployment.rule_name, deployment.dlq_url) == ("co-Rule", "https://sqs/q")


@pytest.mark.parametrize(
    ("stack", "message"), [(None, "no stack 'co' in eu-west-2"), ("ROLLBACK_COMPLETE", "is ROLLBACK_COMPLETE")]
)
def test_from_stack_refuses_what_is_not_a_deployed_stack(stack: str | None, message: str) -> None:
    described = None if stack is None else {"StackName": "co", "StackStatus": stack, "StackStatusReason": "x"}
    with pytest.raises(DeploymentError, match=message):
        from_stack("co", _FakeCloudFormation(described), _FakeLambda({}))


def test_unqualified_function_arns() -> None:
    assert unqualified(f"{CMS_ARN}:live") == CMS_ARN
    assert unqualified(f"{CMS_ARN}:7") == CMS_ARN
    assert unqualified(CMS_ARN) == CMS_ARN


# channelAddressIdentifier ------------------------------------------------------------------------------------
def _flow(*actions: dict) -> dict:
    return {"Version": "2019-10-30", "StartAction": "a", "Actions": list(actions)}


def _set(value: str) -> dict:
    return {
        "Identifier": "set",
        "Type": "UpdateContactAttributes",
        "Parameters": {"Attributes": {"channelAddressIdentifier": value}},
    }


def _invoke(**attributes: str) -> dict:
    params = {"LambdaFunctionARN": f"{CMS_ARN}:live", "LambdaInvocationAttributes": attributes}
    return {"Identifier": "invoke", "Type": "InvokeLambdaFunction", "Parameters": params}


@pytest.mark.parametrize(
    ("flow", "problems"),
    [
        (_flow(_set(CHANNEL), _invoke(channelAddressIdentifier="$.Attributes.channelAddressIdentifier")), []),
        (_flow(_invoke(channelAddressIdentifier=CHANNEL)), []),
        (_flow(_invoke()), ["never sets channelAddressIdentifier (CreateMessagingSession fails on every chat)"]),
        (
            _flow(_invoke(channelAddressIdentifier="$.Attributes.channel")),
            ["never sets channelAddressIdentifier (CreateMessagingSession fails on every chat)"],
        ),
        (
            _flow(_set("00000000-0000-0000-0000-0000000000aa")),
            ["set: channelAddressIdentifier is still the placeholder 00000000-0000-0000-0000-0000000000aa"],
        ),
        (_flow(_set("Chat Channel")), ["set: channelAddressIdentifier 'Chat Channel' is not a UUID"]),
    ],
)
def test_channel_address_identifier_rule(flow: dict, problems: list[str]) -> None:
    assert channel_address_problems(flow, CMS_ARN) == problems


def test_a_flow_reached_from_one_that_sets_it_may_read_the_attribute() -> None:
    hooked = _flow(_invoke(channelAddressIdentifier="$.Attributes.channelAddressIdentifier"))
    assert channel_address_problems(hooked, CMS_ARN, inherited=True) == []
    placeholder = _flow(_set("00000000-0000-0000-0000-0000000000aa"))
    assert channel_address_problems(placeholder, CMS_ARN, inherited=True) != []


# command line --------------------------------------------------------------------------------------------------
def test_help_only_prints(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["doctor", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "usage: connect-omni doctor" in out and "transcript-dlq" in out and "exit status" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["doctor", "--timeout", "0"], "--timeout: expected seconds between 0 and 300"),
        (["doctor"], "nothing to check"),
        (["doctor", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_usage_errors_exit_2(monkeypatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert message in capsys.readouterr().err


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "connect-omni"
    done = subprocess.run([str(script), "doctor", "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: connect-omni doctor")


# docs ------------------------------------------------------------------------------------------------------------
def test_the_readme_lists_every_check_in_order() -> None:
    from connect_omni_ops.doctor import CHECKS
    from tests.docs import readme

    rows = readme.table(readme.section("4. Check the deployment: `connect-omni doctor`"), "check")
    assert [readme.code_spans(row[0])[0] for row in rows] == [c.name for c in CHECKS]

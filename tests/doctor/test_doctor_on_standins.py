"""``connect-omni doctor`` against the stand-ins: a good deployment passes every check, and each seeded
misconfiguration (localdev.doctor_demo.BREAKAGES) is named by the check meant to find it, with advice."""

from __future__ import annotations

import re

import pytest

from connect_omni_ops.doctor import CHECKS
from localdev.doctor_demo import BREAKAGES, broken
from localdev.local_stack import LocalStack

pytestmark = pytest.mark.standins

ALL = [c.name for c in CHECKS]
STACK_ONLY = ["lambda-association", "lambda-timeouts", "contact-flows", "eventbridge-rule", "transcript-dlq"]

#: breakage -> (words the failed check's detail must hold, words its hint must hold)
NAMED = {
    "secret-missing-key": ("missing or empty CERTIFICATE_PRIVATE_KEY", "CERTIFICATE_PRIVATE_KEY"),
    "secret-not-rsa": ("is an EC key, not RSA", "RS256"),
    "secret-not-found": ("no secret 'SCCAC-Secret-typo'", "SalesforceSecretName"),
    "secret-wrong-key": ("invalid assertion", "openssl x509 -noout -modulus"),
    "unknown-consumer-key": ("invalid_client_id", "consumer key"),
    "user-not-preapproved": ("user hasn't approved this consumer", "Admin approved users are pre-authorized"),
    "sandbox-audience": ("audience is invalid", "https://test.salesforce.com"),
    "other-org": ("the token is for org 00D5g000004AbCd", "SalesforceOrgId"),
    "unknown-authorization-context": ("code 10005", "SalesforceAuthorizationContext"),
    "map-other-instance": ("a queue of another instance", "ExternalId"),
    "map-missing-queue": ("no such queue in the instance", "ExternalId"),
    "function-not-associated": ("Routing (arn:aws:lambda:", "CreateIntegrationAssociations=true"),
    "lambda-timeout": ("Routing times out after 10 s", "--timeout 8"),
    "flow-without-channel": ("never sets channelAddressIdentifier", "publish it"),
    "flow-fails-checker": ("route-transfer: InvocationTimeLimitSeconds", "localdev.flows.check"),
    "flow-placeholders": ("still has placeholders: RoutingFunctionArn", "contact_flows/README.md"),
    "transcripts-disabled": ("chat transcripts are not enabled", "Data storage > Chat transcripts"),
    "transcripts-other-prefix": ("connect/other-instance/ChatTranscripts", "ChatTranscriptsPrefix="),
    "rule-disabled": ("is DISABLED", "aws events enable-rule"),
    "dlq-messages": ("2 failed transcript ingestions waiting", "python -m localdev.ingest_contact --event"),
}
#: other checks a breakage also fails, for a reason of its own
ALSO_FAILS = {"other-org": {"interaction-service"}}


def test_every_breakage_has_its_assertions() -> None:
    assert set(NAMED) == set(BREAKAGES)
    assert {b.check for b in BREAKAGES.values()} <= set(ALL)


def test_a_good_deployment_passes_every_check(local_stack: LocalStack, doctor) -> None:
    with local_stack.standins.environment():
        run = doctor("--stack", local_stack.name, "--json")
    assert run.status == 0, run.out
    assert run.report["ok"] is True
    assert run.report["target"] == f"stack {local_stack.name} (us-east-1)"
    assert run.with_status("passed") == ALL
    for check in run.report["checks"]:
        assert set(check) == {"name", "ok", "status", "detail", "hint"}
        assert check["ok"] is True and check["detail"]
    arns = (local_stack.function_arns["CreateMessagingSession"], local_stack.function_arns["Routing"])
    invoking = [f for f in local_stack.flows.values() if any(arn in f.content for arn in arns)]
    published = f"{len(invoking)} of {len(local_stack.flows)} published flows invoke the functions"
    assert published in run.checks["contact-flows"]["detail"]
    assert "[13/13] transcript-dlq" in run.err  # progress on stderr


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_each_misconfiguration_is_named_by_its_check(local_stack: LocalStack, doctor, name: str) -> None:
    breakage = BREAKAGES[name]
    with broken(local_stack, name), local_stack.standins.environment():
        run = doctor("--stack", local_stack.name, "--json", "--quiet")
    assert run.status == 1
    assert run.report["ok"] is False
    failed = run.with_status("failed")
    assert failed[0] == breakage.check, run.checks
    assert set(failed) == {breakage.check} | ALSO_FAILS.get(name, set()), run.checks
    found = run.checks[breakage.check]
    assert found["ok"] is False
    detail, hint = NAMED[name]
    assert detail in found["detail"]
    assert hint in found["hint"]
    for skipped in run.with_status("skipped"):  # only what depends on the broken link
        assert run.checks[skipped]["detail"].startswith("needs "), run.checks[skipped]
    assert run.err == ""


def test_repairs_leave_a_good_deployment(local_stack: LocalStack, doctor) -> None:
    with local_stack.standins.environment():
        run = doctor("--stack", local_stack.name, "--json", "--quiet")
    assert run.status == 0, [c for c in run.report["checks"] if c["status"] != "passed"]


def test_the_table_names_every_check_with_its_mark(local_stack: LocalStack, doctor) -> None:
    with broken(local_stack, "lambda-timeout"), local_stack.standins.environment():
        run = doctor("--stack", local_stack.name, "--quiet")
    assert run.status == 1
    lines = run.out.splitlines()
    assert lines[0] == f"doctor: stack {local_stack.name} (us-east-1)"
    rows = {line.split()[0]: line.split()[1] for line in lines if line and line.split()[0] in ALL}
    assert rows == {name: ("\u2718" if name == "lambda-timeouts" else "\u2714") for name in ALL}
    assert lines[-1] == "NOT OK: 1 failed, 12 passed, 0 skipped"


def test_the_functions_environment_alone_skips_what_needs_the_stack(local_stack: LocalStack, doctor) -> None:
    with local_stack.standins.environment():
        run = doctor("--json")
    assert run.status == 0
    assert run.report["target"] == "the environment"
    assert run.with_status("skipped") == STACK_ONLY
    for name in STACK_ONLY:
        assert run.checks[name]["ok"] is None
        assert "--stack NAME" in run.checks[name]["hint"]
    assert run.checks["chat-transcripts"]["ok"] is True  # CHAT_TRANSCRIPTS_* are in the environment


def test_an_unknown_stack_fails_the_configuration_and_skips_the_rest(local_stack: LocalStack, doctor) -> None:
    with local_stack.standins.environment():
        run = doctor("--stack", "no-such-stack", "--json", "--quiet")
    assert run.status == 1
    assert run.checks["configuration"]["detail"] == "no stack 'no-such-stack' in us-east-1"
    assert run.with_status("skipped") == ALL[1:]


def test_nothing_is_created_in_salesforce_and_only_reads_are_sent(local_stack: LocalStack, doctor) -> None:
    standins = local_stack.standins
    standins.salesforce.reset()
    before = standins.salesforce.state
    with standins.environment():
        assert doctor("--stack", local_stack.name, "--quiet").status == 0
    after = standins.salesforce.state
    assert {k: v for k, v in after.items() if k != "tokens"} == {k: v for k, v in before.items() if k != "tokens"}
    sent = {(r.method, r.path) for r in standins.salesforce.requests}
    assert ("GET", "/api/v1/conversationEntry") in sent
    assert {m for m, p in sent if p != "/services/oauth2/token"} == {"GET"}
    connect_writes = [r for r in standins.connect.requests if r["method"] != "GET"]
    assert connect_writes == []


def test_no_secret_or_token_is_printed(local_stack: LocalStack, doctor) -> None:
    standins = local_stack.standins
    key_body = standins.private_key_pem.splitlines()[1]
    with standins.environment():
        runs = [doctor("--stack", local_stack.name), doctor("--stack", local_stack.name, "--json", "--verbose")]
        with broken(local_stack, "secret-wrong-key"):
            runs.append(doctor("--stack", local_stack.name, "--verbose"))
    for run in runs:
        for text in (run.out, run.err):
            assert key_body not in text
            assert standins.consumer_key not in text
            assert not re.search(r"00D[0-9A-Za-z]{12}![\w.-]{10,}", text), "an access token was printed"
            assert "assertion=" not in text

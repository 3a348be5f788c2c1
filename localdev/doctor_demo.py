"""``connect-omni doctor`` on the local stand-ins, on a good deployment or one with seeded misconfigurations.

::

    python -m localdev.doctor_demo                              # a good setup: every check passes, exit 0
    python -m localdev.doctor_demo --break lambda-timeout       # one mistake: the check that names it fails, exit 1
    python -m localdev.doctor_demo --break secret-wrong-key --break rule-disabled --json
    python -m localdev.doctor_demo --list                       # the misconfigurations it can seed

Starts the stand-ins, deploys ``template.yaml`` into them (:mod:`localdev.local_stack`), seeds the requested
misconfigurations (:data:`BREAKAGES`: each is a mistake people make, and names the check that must report it), then
runs ``connect-omni doctor --stack connect-omni-local`` against them. Exit status: the doctor's (0 every check
passed, 1 a check failed), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from localdev.local_stack import LocalStack

Undo = Callable[[], None]


@dataclass(frozen=True)
class Breakage:
    """A misconfiguration to seed.

    Attributes
    ----------
    name : str
        ``--break`` value.
    check : str
        The doctor check that must report it.
    description : str
        The mistake, in words.
    apply : callable
        ``apply(stack) -> undo``: seeds it and returns the function that repairs it.
    """

    name: str
    check: str
    description: str
    apply: Callable[[LocalStack], Undo]


def _rewrite_secret(stack: LocalStack, change: Callable[[dict[str, Any]], None]) -> Undo:
    secrets = stack.standins.moto.client("secretsmanager")
    original = secrets.get_secret_value(SecretId=stack.standins.secret_arn)["SecretString"]
    value = json.loads(original)
    change(value)
    secrets.put_secret_value(SecretId=stack.standins.secret_arn, SecretString=json.dumps(value))
    return lambda: secrets.put_secret_value(SecretId=stack.standins.secret_arn, SecretString=original)


def _pem(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _secret_key(make_key: Callable[[], Any]) -> Callable[[LocalStack], Undo]:
    return lambda stack: _rewrite_secret(stack, lambda v: v.update(CERTIFICATE_PRIVATE_KEY=_pem(make_key())))


def _rsa_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ec_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _secret_value(key: str, value: str) -> Callable[[LocalStack], Undo]:
    return lambda stack: _rewrite_secret(stack, lambda v: v.update({key: value}))


def _parameter(name: str, value: str) -> Callable[[LocalStack], Undo]:
    def apply(stack: LocalStack) -> Undo:
        before = stack.parameters[name]
        stack.update(**{name: value})
        return lambda: stack.update(**{name: before})

    return apply


def _audience(stack: LocalStack) -> Undo:
    stack.standins.salesforce.set_token_audience("https://test.salesforce.com")
    return lambda: stack.standins.salesforce.set_token_audience(None)


def _map_to(target: Callable[[LocalStack], str]) -> Callable[[LocalStack], Undo]:
    def apply(stack: LocalStack) -> Undo:
        from localdev.salesforce_emulator import new_id

        sf = stack.standins.salesforce
        record = sf.map_queue(stack.standins.call_center_id, new_id("00G"), target(stack), developer_name="Billing")
        return lambda: sf.unmap(record)

    return apply


def _other_instance_queue(stack: LocalStack) -> str:
    return f"arn:aws:connect:us-east-1:111122223333:instance/{uuid.uuid4()}/queue/{uuid.uuid4()}"


def _missing_queue(stack: LocalStack) -> str:
    return f"{stack.standins.instance_arn}/queue/{uuid.uuid4()}"


def _not_associated(stack: LocalStack) -> Undo:
    connect, arn = stack.standins.connect, stack.function_arns["Routing"]
    connect.disassociate_lambda_function(arn)
    return lambda: connect.associate_lambda_function(arn)


def _timeout(stack: LocalStack) -> Undo:
    lam, arn = stack.standins.moto.client("lambda"), stack.function_arns["Routing"]
    lam.update_function_configuration(FunctionName=arn, Timeout=10)
    return lambda: lam.update_function_configuration(FunctionName=arn, Timeout=8)


def _republish(file_name: str, edit: Callable[[dict[str, Any]], None] | None, *, raw: bool = False) -> Callable:
    def apply(stack: LocalStack) -> Undo:
        if raw:
            from localdev.flows.model import FLOWS_DIR

            stack.publish(file_name, (FLOWS_DIR / file_name).read_text(encoding="utf-8"))
        else:
            flow = json.loads(stack.flow_text(file_name))
            if edit is not None:
                edit(flow)
            stack.publish(file_name, json.dumps(flow))
        return lambda: stack.publish(file_name)

    return apply


def _drop_channel_attribute(flow: dict[str, Any]) -> None:
    for action in flow["Actions"]:
        (action.get("Parameters") or {}).get("Attributes", {}).pop("channelAddressIdentifier", None)
        if action["Type"] == "UpdateContactAttributes" and action["Parameters"].get("Attributes") == {}:
            action["Parameters"]["Attributes"] = {"channel": "chat"}


def _invoke_timeout_10(flow: dict[str, Any]) -> None:
    for action in flow["Actions"]:
        if action["Type"] == "InvokeLambdaFunction":
            action["Parameters"]["InvocationTimeLimitSeconds"] = "10"


def _transcripts_off(stack: LocalStack) -> Undo:
    s = stack.standins
    s.connect.remove_storage_config("CHAT_TRANSCRIPTS")
    return lambda: s.connect.set_storage_config("CHAT_TRANSCRIPTS", s.transcripts_bucket, s.transcripts_prefix)


def _transcripts_elsewhere(stack: LocalStack) -> Undo:
    s = stack.standins
    s.connect.set_storage_config("CHAT_TRANSCRIPTS", s.transcripts_bucket, "connect/other-instance/ChatTranscripts")
    return lambda: s.connect.set_storage_config("CHAT_TRANSCRIPTS", s.transcripts_bucket, s.transcripts_prefix)


def _rule_disabled(stack: LocalStack) -> Undo:
    events = stack.standins.moto.client("events")
    events.disable_rule(Name=stack.rule_name)
    return lambda: events.enable_rule(Name=stack.rule_name)


def _dlq_messages(stack: LocalStack) -> Undo:
    sqs = stack.standins.moto.client("sqs")
    for n in (1, 2):
        record = {"requestPayload": {"detail-type": "Amazon Connect Contact Event", "detail": {"contactId": f"c-{n}"}}}
        sqs.send_message(QueueUrl=stack.dlq_url, MessageBody=json.dumps(record))
    return lambda: sqs.purge_queue(QueueUrl=stack.dlq_url)


BREAKAGES: dict[str, Breakage] = {
    b.name: b
    for b in (
        Breakage(
            "secret-missing-key",
            "secret",
            "the secret has no CERTIFICATE_PRIVATE_KEY",
            lambda stack: _rewrite_secret(stack, lambda v: v.pop("CERTIFICATE_PRIVATE_KEY")),
        ),
        Breakage("secret-not-rsa", "secret", "the secret's key is an EC key", _secret_key(_ec_key)),
        Breakage(
            "secret-not-found",
            "secret",
            "SalesforceSecretName names no secret",
            _parameter("SalesforceSecretName", "SCCAC-Secret-typo"),
        ),
        Breakage(
            "secret-wrong-key",
            "token-grant",
            "the secret's key is not the connected app certificate's",
            _secret_key(_rsa_key),
        ),
        Breakage(
            "unknown-consumer-key",
            "token-grant",
            "the consumer key is another app's",
            _secret_value("CONNECTED_APP_CONSUMER_KEY", "3MVG9another.connected.app"),
        ),
        Breakage(
            "user-not-preapproved",
            "token-grant",
            "the API user is not pre-authorized for the connected app",
            _secret_value("API_ACCESS_USER_NAME", "new.integration.user@example.com.local"),
        ),
        Breakage(
            "sandbox-audience",
            "token-grant",
            "the org is a sandbox (https://test.salesforce.com) but the JWT audience is another URL",
            _audience,
        ),
        Breakage(
            "other-org", "org", "SalesforceOrgId is another org's", _parameter("SalesforceOrgId", "00D5g000009ZzZzEAA")
        ),
        Breakage(
            "unknown-authorization-context",
            "interaction-service",
            "SalesforceAuthorizationContext is no ConversationChannelDefinition of the org",
            _parameter("SalesforceAuthorizationContext", "SCC_AC_Chat_Channel_Old"),
        ),
        Breakage(
            "map-other-instance",
            "routing-map-targets",
            "an Omni-Queue is mapped to a queue of another Connect instance",
            _map_to(_other_instance_queue),
        ),
        Breakage(
            "map-missing-queue",
            "routing-map-targets",
            "an Omni-Queue is mapped to a queue the instance does not have",
            _map_to(_missing_queue),
        ),
        Breakage(
            "function-not-associated",
            "lambda-association",
            "RoutingFunction is not associated with the instance",
            _not_associated,
        ),
        Breakage("lambda-timeout", "lambda-timeouts", "RoutingFunction's timeout is 10 s", _timeout),
        Breakage(
            "flow-without-channel",
            "contact-flows",
            "the published inbound flow never sets channelAddressIdentifier",
            _republish("inbound-chat-flow.json", _drop_channel_attribute),
        ),
        Breakage(
            "flow-fails-checker",
            "contact-flows",
            "the published agent transfer flow waits 10 s for Routing",
            _republish("agent-transfer-flow.json", _invoke_timeout_10),
        ),
        Breakage(
            "flow-placeholders",
            "contact-flows",
            "the queue transfer flow was published with its placeholders",
            _republish("queue-transfer-flow.json", None, raw=True),
        ),
        Breakage(
            "transcripts-disabled",
            "chat-transcripts",
            "chat transcripts are not enabled on the instance",
            _transcripts_off,
        ),
        Breakage(
            "transcripts-other-prefix",
            "chat-transcripts",
            "Connect stores chat transcripts under another prefix than the stack reads",
            _transcripts_elsewhere,
        ),
        Breakage("rule-disabled", "eventbridge-rule", "the transcript EventBridge rule is disabled", _rule_disabled),
        Breakage("dlq-messages", "transcript-dlq", "two failed transcript ingestions wait in the DLQ", _dlq_messages),
    )
}


@contextmanager
def broken(stack: LocalStack, *names: str) -> Iterator[None]:
    """Seed the named :data:`BREAKAGES` for the block, then repair them (in reverse order)."""
    with ExitStack() as repairs:
        for name in names:
            repairs.callback(BREAKAGES[name].apply(stack))
        yield


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m localdev.doctor_demo",
        description="Run connect-omni doctor on the local stand-ins, on a good deployment or with seeded "
        "misconfigurations. Exit status: the doctor's (0 every check passed, 1 a check failed); 2 usage error.",
    )
    parser.add_argument(
        "--break",
        dest="breakages",
        action="append",
        default=[],
        choices=sorted(BREAKAGES),
        metavar="NAME",
        help="seed this misconfiguration (repeatable; --list shows them)",
    )
    parser.add_argument("--list", action="store_true", help="list the misconfigurations and the check naming each")
    parser.add_argument("--json", action="store_true", help="the doctor's JSON instead of its table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.list:
        width = max(len(name) for name in BREAKAGES)
        for b in BREAKAGES.values():
            print(f"{b.name:<{width}}  {b.check:<20} {b.description}")
        return 0
    from connect_omni_ops.cli import main as connect_omni
    from localdev.standins import Standins

    began = time.perf_counter()
    print("doctor_demo: starting the stand-ins and deploying template.yaml into them", file=sys.stderr, flush=True)
    with Standins.start() as standins:
        stack = LocalStack.deploy(standins)
        seeded = ", ".join(args.breakages) or "nothing"
        print(
            f"doctor_demo: stack {stack.name} ready in {time.perf_counter() - began:.1f}s; seeding {seeded}",
            file=sys.stderr,
            flush=True,
        )
        with broken(stack, *args.breakages), standins.environment():
            return connect_omni(["doctor", "--stack", stack.name, *(["--json"] if args.json else [])])


if __name__ == "__main__":
    raise SystemExit(main())

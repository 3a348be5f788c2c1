"""The demo: a chat through the sample flows, with the real handlers, against the local stand-ins.

Usage::

    python -m localdev.demo                       # inbound chat -> agent transfer -> queue transfer
    python -m localdev.demo --flow inbound --attribute clientId=customer-42
    python -m localdev.demo --fault /api/v1/conversation:400:2     # the flow's retry loop at work
    python -m localdev.demo --routing unmapped                      # the fallback queue
    python -m localdev.demo --bot-only                              # transcript ingestion of a bot-only chat
    python -m localdev.demo --json                                  # machine-readable result

Everything runs in this process on 127.0.0.1: the Salesforce org emulator, moto (the secret and the transcript
bucket) and the Connect stand-in (:class:`localdev.standins.Standins`), the flow runner
(:mod:`localdev.flows.runner`) and the project's Lambda handlers, called in-process by the runner's default
invoker with a Lambda context whose remaining time is the block's ``InvocationTimeLimitSeconds``.

The flows are the shipped ``contact_flows/*.json`` with their placeholders wired to the stand-ins
(:func:`local_flow`): the channel address identifier is the emulator's channel, the fallback queues are queue
ARNs of the stand-in instance, the Lambda ARNs stay and reach the local handlers by function name.

Exit status: 0 when every run reached its expected outcome (see :func:`expected_outcome`), 1 otherwise, 2 for
bad options, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import importlib.util
import io
import json
import re
import signal
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from localdev.flows.model import FLOWS_DIR, REPO_ROOT
from localdev.flows.placeholders import PLACEHOLDERS
from localdev.flows.runner import Contact, FakeLambdaContext, RunResult, local_handler_invoker, run
from localdev.salesforce_emulator import RecordedRequest, new_id
from localdev.standins import Standins

FLOW_FILES: dict[str, str] = {
    "inbound": "inbound-chat-flow.json",
    "agent-transfer": "agent-transfer-flow.json",
    "queue-transfer": "queue-transfer-flow.json",
    "task": "task-routing-subflow.json",
}
TITLES: dict[str, str] = {
    "inbound": "inbound chat",
    "agent-transfer": "agent transfer",
    "queue-transfer": "queue transfer",
    "task": "task routing",
    "bot-only": "bot-only chat",
}
ROUTING_CHOICES = ("queue", "unmapped", "agent", "not-routed")
DEFAULT_AGENT = "jdoe"
NOT_ROUTED_REASON = "No agent or queue is available for this work item"
TRANSCRIPT_HANDLER = "connect_omni.handlers.transcript_ingestion"
TRANSCRIPT_FUNCTION_ARN = "arn:aws:lambda:us-east-1:111122223333:function:TranscriptIngestionFunction"
TRANSCRIPT_TIMEOUT_S = 60.0
WIDTH = 100


def _placeholder(template_value: str) -> str:
    return next(value for value, ph in PLACEHOLDERS.items() if ph.template_value == template_value)


CHANNEL_PLACEHOLDER = _placeholder("ChannelAddressIdentifier")
FALLBACK_QUEUE_PLACEHOLDER = _placeholder("FallbackQueueArn")
TASK_FALLBACK_QUEUE_PLACEHOLDER = _placeholder("TaskFallbackQueueArn")


# --------------------------------------------------------------------------------------------------
# wiring the shipped flows to the stand-ins
# --------------------------------------------------------------------------------------------------
def fallback_queue_arn(standins: Standins) -> str:
    """The chat fallback queue: a queue ARN of the stand-in instance that no Omni-Queue is mapped to."""
    return f"{standins.instance_arn}/queue/{uuid.uuid5(uuid.NAMESPACE_URL, standins.instance_arn + '#fallback')}"


def task_fallback_queue_arn(standins: Standins) -> str:
    """The task fallback queue: another queue ARN of the stand-in instance."""
    return f"{standins.instance_arn}/queue/{uuid.uuid5(uuid.NAMESPACE_URL, standins.instance_arn + '#task')}"


def placeholder_values(standins: Standins) -> dict[str, str]:
    """Placeholder in the shipped flows -> the stand-ins' value (Lambda and module ARNs stay as they are)."""
    return {
        CHANNEL_PLACEHOLDER: standins.channel_address_identifier,
        FALLBACK_QUEUE_PLACEHOLDER: fallback_queue_arn(standins),
        TASK_FALLBACK_QUEUE_PLACEHOLDER: task_fallback_queue_arn(standins),
    }


def local_flow(name: str, standins: Standins, *, invocation_time_limit_s: int | None = None) -> dict[str, Any]:
    """A shipped flow (``inbound``, ``agent-transfer``, ``queue-transfer``, ``task``) wired to the stand-ins.

    Parameters
    ----------
    name : str
        Key of :data:`FLOW_FILES`.
    standins : Standins
        Running stand-ins.
    invocation_time_limit_s : int, optional
        Replaces every Invoke block's ``InvocationTimeLimitSeconds`` (tests use it to keep timeouts short).
    """
    text = (FLOWS_DIR / FLOW_FILES[name]).read_text(encoding="utf-8")
    values = placeholder_values(standins)
    for placeholder in sorted(values, key=len, reverse=True):
        text = text.replace(placeholder, values[placeholder])
    flow = json.loads(text)
    if invocation_time_limit_s is not None:
        for action in flow["Actions"]:
            if action["Type"] == "InvokeLambdaFunction":
                action["Parameters"]["InvocationTimeLimitSeconds"] = str(invocation_time_limit_s)
    return flow


def queue_labels(standins: Standins) -> dict[str, str]:
    """Queue ARN -> readable name, for the trace."""
    labels = {q.connect_queue_arn: f"{q.name} queue" for q in standins.queues}
    labels[fallback_queue_arn(standins)] = "fallback queue"
    labels[task_fallback_queue_arn(standins)] = "task fallback queue"
    for user in standins.users:
        labels[user.connect_agent_arn] = "mapped agent"
    return labels


def set_routing(standins: Standins, routing: str) -> None:
    """What Omni-Channel does with ``/route`` (see ``--routing``)."""
    sf, channel = standins.salesforce, standins.channel_address_identifier
    if routing == "queue":
        sf.set_routing(channel, queue_id=standins.queues[0].salesforce_queue_id)
    elif routing == "unmapped":
        sf.set_routing(channel, queue_id=new_id("00G"))  # an Omni-Queue without a CallCenterRoutingMap
    elif routing == "agent":
        sf.set_routing(channel, user_id=standins.users[0].salesforce_user_id)
    elif routing == "not-routed":
        sf.set_routing(channel, not_routed_reason=NOT_ROUTED_REASON)
    else:
        raise ValueError(f"unknown routing {routing!r}")


# --------------------------------------------------------------------------------------------------
# invoking the handlers with their output captured
# --------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def captured_handler_output(buffer: io.StringIO) -> Iterator[None]:
    """Send the handlers' Powertools log lines and EMF metrics (both on stdout) to ``buffer``."""
    from connect_omni.observability import logger  # imported outside the redirect: its handler keeps stdout

    handler = logger.registered_handler
    # assigned, not setStream(): that flushes the previous stream, which may be closed (pytest's capture)
    previous = getattr(handler, "stream", None)
    if previous is not None:
        handler.stream = buffer
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        if previous is not None:
            handler.stream = previous


def parse_log_lines(text: str) -> list[dict[str, Any]]:
    """The Powertools log records in captured output (EMF metric blobs and other lines are left out)."""
    records = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "level" in record and "message" in record:
                records.append(record)
    return records


class DemoInvoker:
    """The runner's default invoker (the real handlers in-process), recording each call's log records.

    ``logs[i]`` belongs to the i-th call, i.e. to ``RunResult.lambda_calls[i]`` of the run it served.
    ``revoke_after_next_call``: revoke every Salesforce token once the next call has returned (a token
    revoked in the middle of a chat: the next call gets 401, grants a new token and retries once).
    """

    def __init__(self, standins: Standins) -> None:
        self.standins = standins
        self.inner = local_handler_invoker()
        self.logs: list[list[dict[str, Any]]] = []
        self.revoke_after_next_call = False
        self.revocations: list[int] = []

    def __call__(self, function_arn: str, event: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        buffer = io.StringIO()
        try:
            with captured_handler_output(buffer):
                return self.inner(function_arn, event, timeout_s)
        finally:
            self.logs.append(parse_log_lines(buffer.getvalue()))
            if self.revoke_after_next_call:
                self.revoke_after_next_call = False
                self.standins.salesforce.revoke_tokens()
                self.revocations.append(len(self.logs) - 1)

    def mark(self) -> int:
        """Index of the next call (to slice :attr:`logs` per run)."""
        return len(self.logs)


# --------------------------------------------------------------------------------------------------
# runs
# --------------------------------------------------------------------------------------------------
@dataclass
class Options:
    """What the command line asked for (see :func:`parse_args`)."""

    flows: list[str]
    attributes: dict[str, str] = field(default_factory=dict)
    routing: str = "queue"
    faults: list[tuple[str, int, int | None]] = field(default_factory=list)
    delays: list[tuple[str, float, int | None]] = field(default_factory=list)
    revoke_token: bool = False
    bot_only: bool = False
    agent: str = DEFAULT_AGENT
    verbose: bool = False
    as_json: bool = False


@dataclass
class RunReport:
    """One run: a contact through a flow (or a bot-only chat's transcript ingestion)."""

    key: str
    title: str
    setup: bool
    contact: Contact | None
    expected: str
    outcome: str = ""
    result: RunResult | None = None
    logs: list[list[dict[str, Any]]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    started_at: float = 0.0
    revoked_after_call: list[int] = field(default_factory=list)
    ingestion: dict[str, Any] | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == self.expected


def expected_outcome(key: str, options: Options, standins: Standins, contact: Contact | None) -> str:
    """The outcome a run should reach, given what Omni-Channel does (``--routing``).

    inbound: queued to the Omni-Queue's mapped Connect queue (``queue``), to the fallback queue (``unmapped``,
    ``agent``: no Connect queue resolved), or disconnected after the retries (``not-routed``). Transfers: queued
    to the agent (``agent:<user name>``) / to the quick connect's queue, disconnected when not routed. Task:
    the ``queueId`` attribute's queue when it is a queue ARN, else the task fallback queue. Faults do not change
    the expectation: a chat they keep from its queue is a failed run.
    """
    routed = options.routing != "not-routed"
    if key == "inbound":
        if not routed:
            return "disconnected"
        target = standins.queues[0].connect_queue_arn if options.routing == "queue" else fallback_queue_arn(standins)
        return f"queued to {target}"
    if key == "agent-transfer":
        return f"queued to agent:{options.agent}" if routed else "disconnected"
    if key == "queue-transfer":
        return f"queued to {standins.queues[1].connect_queue_arn}" if routed else "disconnected"
    if key == "task":
        queue_id = (contact.attributes if contact else {}).get("queueId", "")
        if re.match(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[^/]+/queue/[^/]+$", queue_id):
            return f"queued to {queue_id}"
        return f"queued to {task_fallback_queue_arn(standins)}"
    if key == "bot-only":
        return "ingested"
    raise ValueError(key)


def _state_ids(state: dict[str, Any]) -> dict[str, set[str]]:
    return {
        "conversations": {c["conversationIdentifier"] for c in state["conversations"]},
        "sessions": {s["id"] for s in state["sessions"]},
        "psrs": {p["id"] for p in state["psrs"]},
    }


def _records_since(before: dict[str, set[str]], state: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        "conversations": [
            c for c in state["conversations"] if c["conversationIdentifier"] not in before["conversations"]
        ],
        "sessions": [s for s in state["sessions"] if s["id"] not in before["sessions"]],
        "psrs": [p for p in state["psrs"] if p["id"] not in before["psrs"]],
    }


class Demo:
    """Runs the selected flows one after the other on one set of stand-ins.

    Call :meth:`iter_runs` / :meth:`run_all` inside ``standins.environment()``: the handlers then keep their
    container (token, routing map cache) from one run to the next, as warm Lambdas do.
    """

    def __init__(self, standins: Standins, options: Options) -> None:
        self.standins = standins
        self.options = options
        self.invoker = DemoInvoker(standins)
        self.reports: list[RunReport] = []
        self.options_applied = False

    # ---- options -------------------------------------------------------------------------------
    def apply_options(self) -> None:
        """Routing, faults, delays and the token revocation; applied once, before the first non-setup run."""
        if self.options_applied:
            return
        self.options_applied = True
        sf = self.standins.salesforce
        set_routing(self.standins, self.options.routing)
        for path, status, times in self.options.faults:
            sf.fail_next(path, status, times=times)
        for path, seconds, times in self.options.delays:
            sf.delay(path, seconds, times=times)
        self.invoker.revoke_after_next_call = self.options.revoke_token

    # ---- the plan ------------------------------------------------------------------------------
    def plan(self) -> list[tuple[str, bool]]:
        """(run key, setup?) in order. A transfer alone needs a queued chat first: an inbound setup run."""
        flows = self.options.flows
        steps: list[tuple[str, bool]] = []
        if any(f in ("agent-transfer", "queue-transfer") for f in flows) and "inbound" not in flows:
            steps.append(("inbound", True))
        steps += [(f, False) for f in flows]
        if self.options.bot_only:
            steps.append(("bot-only", False))
        return steps

    def iter_runs(self) -> Iterator[RunReport]:
        """Run the plan, yielding each report as soon as its run is over."""
        previous: tuple[Contact, RunResult] | None = None
        for key, setup in self.plan():
            if not setup:
                self.apply_options()
            if key == "bot-only":
                report = self.run_bot_only()
            elif key == "task":
                report = self.run_flow(key, setup, self.task_contact())
            elif key == "inbound":
                contact = Contact(instance_arn=self.standins.instance_arn, attributes=dict(self.options.attributes))
                report = self.run_flow(key, setup, contact)
            else:
                report = self.run_transfer(key, previous)
            self.reports.append(report)
            if report.contact is not None and report.result is not None and key != "task":
                previous = (report.contact, report.result)
            yield report

    def run_all(self) -> list[RunReport]:
        """Run the plan; return every report."""
        for _ in self.iter_runs():
            pass
        return self.reports

    def task_contact(self) -> Contact:
        attributes = {
            "queueId": self.standins.queues[0].connect_queue_arn,
            "workItemId": new_id("500"),
            "serviceChannelId": new_id("0N9"),
            "externalRouting": "true",
            "groupId": self.standins.queues[0].salesforce_queue_id,
        }
        attributes.update(self.options.attributes)
        attributes = {k: v for k, v in attributes.items() if v != ""}  # KEY= removes KEY
        return Contact(
            channel="TASK", initiation_method="API", instance_arn=self.standins.instance_arn, attributes=attributes
        )

    def run_transfer(self, key: str, previous: tuple[Contact, RunResult] | None) -> RunReport:
        if previous is None or previous[1].queue is None:
            report = RunReport(key, TITLES[key], False, None, "skipped", outcome="skipped")
            if self.options.routing != "not-routed":
                report.expected = "a queued chat to transfer"
            report.note = "the chat never reached a queue, so no agent could transfer it"
            return report
        before_contact, before_result = previous
        current = dataclasses.replace(before_contact, attributes=dict(before_result.attributes))
        if key == "agent-transfer":
            contact = current.transferred(agent_user_name=self.options.agent)
        else:
            contact = current.transferred(queue=self.standins.queues[1].connect_queue_arn)
        return self.run_flow(key, False, contact)

    def run_flow(self, key: str, setup: bool, contact: Contact) -> RunReport:
        report = RunReport(
            key, TITLES[key], setup, contact, expected_outcome(key, self.options, self.standins, contact)
        )
        sf = self.standins.salesforce
        first_request = len(sf.requests)
        before = _state_ids(sf.state)
        first_call = self.invoker.mark()
        revocations = len(self.invoker.revocations)
        report.started_at = time.time()
        began = time.perf_counter()
        result = run(local_flow(key, self.standins), contact, self.invoker)
        report.elapsed_ms = (time.perf_counter() - began) * 1000
        report.result = result
        report.outcome = result.outcome
        report.logs = self.invoker.logs[first_call:]
        report.revoked_after_call = [i - first_call for i in self.invoker.revocations[revocations:]]
        report.requests = sf.requests[first_request:]
        report.records = _records_since(before, sf.state)
        return report

    # ---- bot-only chat -------------------------------------------------------------------------
    def run_bot_only(self) -> RunReport:
        report = RunReport("bot-only", TITLES["bot-only"], False, None, "ingested")
        if importlib.util.find_spec(TRANSCRIPT_HANDLER) is None:
            report.outcome = "not available"
            report.expected = "not available"
            report.note = f"transcript ingestion is not available ({TRANSCRIPT_HANDLER} does not exist yet)"
            return report
        s = self.standins
        contact = Contact(instance_arn=s.instance_arn)
        report.contact = contact
        attributes = {
            "channelAddressIdentifier": s.channel_address_identifier,
            "callCenterId": s.call_center_id,
            "source": "SCCAC",
            **self.options.attributes,
        }
        contact.attributes = attributes
        ended = datetime.now(UTC) - timedelta(seconds=5)
        transcript = bot_only_transcript(contact.contact_id, s.instance_id, ended)
        key = transcript_key(s.transcripts_prefix, contact.contact_id, ended - timedelta(minutes=2))
        s.moto.client("s3").put_object(Bucket=s.transcripts_bucket, Key=key, Body=json.dumps(transcript).encode())
        s.connect.put_contact(contact.contact_id, attributes, disconnected=True)
        event = disconnected_event(contact.contact_id, s.instance_arn, ended - timedelta(minutes=2), ended)
        sf = s.salesforce
        first_request = len(sf.requests)
        before = _state_ids(sf.state)
        buffer = io.StringIO()
        report.started_at = time.time()
        began = time.perf_counter()
        module = importlib.import_module(TRANSCRIPT_HANDLER)
        try:
            with captured_handler_output(buffer):
                summary = module.lambda_handler(event, FakeLambdaContext(TRANSCRIPT_FUNCTION_ARN, TRANSCRIPT_TIMEOUT_S))
        except Exception as exc:  # the handler raises what Lambda should retry
            summary = {"status": "raised", "error": f"{type(exc).__name__}: {exc}"}
        report.elapsed_ms = (time.perf_counter() - began) * 1000
        report.logs = [parse_log_lines(buffer.getvalue())]
        report.ingestion = {"transcriptKey": f"s3://{s.transcripts_bucket}/{key}", "summary": summary}
        report.outcome = str(summary.get("status")) if isinstance(summary, dict) else repr(summary)
        report.requests = sf.requests[first_request:]
        report.records = _records_since(before, sf.state)
        report.records["history"] = [
            {"conversationIdentifier": conv, "entries": len(entries)} for conv, entries in sf.state["history"].items()
        ]
        return report


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def transcript_key(prefix: str, contact_id: str, started: datetime) -> str:
    """Where Connect writes a chat transcript: ``<prefix>/YYYY/MM/DD/<contactId>_<YYYYmmddTHHMM>_UTC.json``."""
    return f"{prefix.strip('/')}/{started:%Y/%m/%d}/{contact_id}_{started:%Y%m%dT%H%M}_UTC.json"


def bot_only_transcript(contact_id: str, instance_id: str, ended: datetime) -> dict[str, Any]:
    """A chat transcript (Connect's S3 JSON) of a customer talking to a bot only."""
    customer, bot = str(uuid.uuid4()), str(uuid.uuid4())
    lines = [
        (customer, "CUSTOMER", "Jane", "Hi, my order #1042 has not arrived."),
        (bot, "SYSTEM", "SYSTEM_MESSAGE", "Sorry to hear that. Can you confirm the delivery postcode?"),
        (customer, "CUSTOMER", "Jane", "SW1A 1AA"),
        (bot, "SYSTEM", "SYSTEM_MESSAGE", "Thanks. Your parcel is delayed and will arrive tomorrow."),
        (customer, "CUSTOMER", "Jane", "Great, thank you!"),
    ]
    start = ended - timedelta(minutes=2)
    items: list[dict[str, Any]] = [
        {
            "AbsoluteTime": _iso(start),
            "ContentType": "application/vnd.amazonaws.connect.event.participant.joined",
            "Id": str(uuid.uuid4()),
            "Type": "EVENT",
            "ParticipantId": customer,
            "DisplayName": "Jane",
            "ParticipantRole": "CUSTOMER",
        }
    ]
    for i, (participant, role, name, text) in enumerate(lines, start=1):
        items.append(
            {
                "AbsoluteTime": _iso(start + timedelta(seconds=15 * i)),
                "Content": text,
                "ContentType": "text/plain",
                "Id": str(uuid.uuid4()),
                "Type": "MESSAGE",
                "ParticipantId": participant,
                "DisplayName": name,
                "ParticipantRole": role,
            }
        )
    return {
        "Version": "2019-08-26",
        "AWSAccountId": "111122223333",
        "InstanceId": instance_id,
        "InitialContactId": contact_id,
        "ContactId": contact_id,
        "Participants": [{"ParticipantId": customer}, {"ParticipantId": bot}],
        "Transcript": items,
    }


def disconnected_event(contact_id: str, instance_arn: str, started: datetime, ended: datetime) -> dict[str, Any]:
    """The EventBridge ``Amazon Connect Contact Event`` DISCONNECTED of a chat no agent joined."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": "111122223333",
        "time": ended.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [instance_arn, f"{instance_arn}/contact/{contact_id}"],
        "detail": {
            "initiationTimestamp": _iso(started),
            "connectedToSystemTimestamp": _iso(started),
            "disconnectTimestamp": _iso(ended),
            "lastUpdateTimestamp": _iso(ended),
            "contactId": contact_id,
            "initialContactId": contact_id,
            "channel": "CHAT",
            "instanceArn": instance_arn,
            "initiationMethod": "API",
            "eventType": "DISCONNECTED",
            "disconnectReason": "CUSTOMER_DISCONNECT",
            "customerEndpoint": {"type": "CHAT"},
            "systemEndpoint": {"type": "CHAT"},
        },
    }


# --------------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------------
def tail(arn: str) -> str:
    """``queue/<id>`` or ``agent/<id>`` of a Connect ARN."""
    return "/".join(arn.rsplit("/", 2)[-2:])


class Printer:
    """The readable trace."""

    def __init__(self, standins: Standins, options: Options, out: Callable[[str], None] = print) -> None:
        self.standins = standins
        self.options = options
        self.out = out
        self.labels = queue_labels(standins)

    def label(self, value: str) -> str:
        """A queue/agent ARN with its name; other values as they are."""
        if value.startswith("agent:"):
            return f"agent {value[6:]} (the agent's queue)"
        name = self.labels.get(value)
        return f"{name} ({value})" if name else value

    def short(self, value: str) -> str:
        """A queue/agent ARN as its name and the last part of the ARN; other values as they are."""
        name = self.labels.get(value)
        if name:
            return f"{name} ({tail(value)})"
        if value.startswith("agent:"):
            return f"agent {value[6:]}"
        return value

    def header(self) -> None:
        s = self.standins
        self.out(f"stand-ins up in {s.startup_seconds:.2f} s on 127.0.0.1")
        rows = [
            ("Salesforce emulator", s.salesforce.base_url),
            ("channel", f"{s.channel_address_identifier} ({s.authorization_context})"),
            ("Connect instance", s.instance_arn),
        ]
        for q in s.queues:
            rows.append(
                (f"{q.name} queue", f"{tail(q.connect_queue_arn)}  mapped from Omni-Queue {q.salesforce_queue_id}")
            )
        rows.append(("fallback queue", f"{tail(fallback_queue_arn(s))}  (the inbound flow's, not mapped)"))
        rows.append(("Omni-Channel routing", self.routing_text()))
        for path, status, times in self.options.faults:
            rows.append(("fault", f"{path} answers HTTP {status} {'always' if times is None else f'{times}x'}"))
        for path, seconds, times in self.options.delays:
            rows.append(("delay", f"{path} answers after {seconds:g} s {'always' if times is None else f'{times}x'}"))
        if self.options.revoke_token:
            rows.append(("token", "revoked after the first Lambda call"))
        for name, value in rows:
            self.out(f"  {name:<22} {value}")

    def routing_text(self) -> str:
        s = self.standins
        return {
            "queue": f"to Omni-Queue {s.queues[0].salesforce_queue_id} (mapped to the {s.queues[0].name} queue)",
            "unmapped": "to an Omni-Queue no Connect queue is mapped to",
            "agent": f"to user {s.users[0].salesforce_user_id} (mapped to a Connect agent)",
            "not-routed": f"not routed ({NOT_ROUTED_REASON})",
        }[self.options.routing]

    def report(self, index: int, total: int, report: RunReport) -> None:
        flow = FLOW_FILES.get(report.key)
        where = f"contact_flows/{flow}" if flow else "TranscriptIngestionFunction"
        title = f"{index}/{total} {report.title}{' (setup)' if report.setup else ''} · {where} "
        self.out("")
        self.out("━━ " + title + "━" * max(3, WIDTH - len(title) - 3))
        if report.result is None and report.ingestion is None:
            self.out(f"  {report.note or report.outcome}")
            return
        self.contact(report)
        if report.result is not None:
            self.blocks(report)
        if report.ingestion is not None:
            self.ingestion(report)
        self.records(report)
        self.requests(report)
        if report.result is not None:
            result = report.result
            self.out("")
            self.out(f"  {'queue reached':<20} {self.label(result.queue) if result.queue else '(none)'}")
            if result.messages:
                for text in result.messages:
                    self.out(f"  {'told the customer':<20} {text!r}")
            start = report.contact.attributes if report.contact else {}
            changed = {k: v for k, v in result.attributes.items() if start.get(k) != v}
            self.attributes("attributes set", changed, empty="none")
        if report.result is None:
            self.out("")
        verdict = "as expected" if report.ok else f"EXPECTED {self.outcome_text(report.expected)}"
        self.out(f"  {'outcome':<20} {self.outcome_text(report.outcome)}   [{verdict}]  {report.elapsed_ms:.0f} ms")

    def outcome_text(self, outcome: str, *, brief: bool = False) -> str:
        if outcome.startswith("queued to "):
            target = outcome[len("queued to ") :]
            if brief and target in self.labels:
                return "queued to " + self.labels[target]
            return "queued to " + self.short(target)
        return outcome

    def contact(self, report: RunReport) -> None:
        c = report.contact
        if c is None:
            return
        self.out(f"  {'contact':<20} {c.contact_id}  {c.channel}, {c.initiation_method}")
        if c.previous_contact_id:
            self.out(f"  {'':<20} previous {c.previous_contact_id}, initial {c.initial_contact_id}")
        if c.agent:
            self.out(f"  {'':<20} $.Agent.UserName = {c.agent.get('UserName')}")
        if c.queue:
            self.out(f"  {'':<20} working queue {self.short(c.queue)}")
        if c.previous_contact_id and c.attributes:
            self.out(f"  {'attributes at start':<20} carried over: {', '.join(sorted(c.attributes))}")
        elif c.attributes:
            self.attributes("attributes at start", c.attributes)

    def attributes(self, title: str, values: dict[str, str], empty: str = "") -> None:
        items = [f"{k}={self.short(v)}" for k, v in sorted(values.items())]
        lines = textwrap.wrap(", ".join(items), WIDTH - 23, break_long_words=False, break_on_hyphens=False)
        for i, line in enumerate(lines or [empty]):
            self.out(f"  {title if i == 0 else '':<20} {line}")

    def blocks(self, report: RunReport) -> None:
        result = report.result
        assert result is not None
        notes: dict[int, list[str]] = {}
        for i, text in result.notes:
            notes.setdefault(i, []).append(text)
        self.out("")
        self.out("  blocks")
        depth = 0
        call = 0
        for i, (ident, typ, branch) in enumerate(result.path):
            indent = "  " * depth
            line = f"  {i + 1:4d}  {indent}{ident:<{28 - len(indent)}} {typ:<30} → {branch}"
            if typ == "InvokeLambdaFunction" and call < len(result.lambda_calls):
                line += f"  ({result.lambda_calls[call].elapsed_ms:.0f} ms)"
            self.out(line)
            pad = " " * (10 + len(indent))
            if typ == "InvokeLambdaFunction" and call < len(result.lambda_calls):
                self.lambda_call(report, call, pad)
                call += 1
            else:
                for text in notes.get(i, []):
                    for line in textwrap.wrap(self.note(text), WIDTH - len(pad), subsequent_indent="  ") or [""]:
                        self.out(pad + line)
            if typ == "InvokeFlowModule" and any(t == "EndFlowModuleExecution" for _, t, _ in result.path[i + 1 :]):
                depth = 1
            if typ == "EndFlowModuleExecution":
                depth = 0

    def note(self, text: str) -> str:
        if text.startswith("working queue "):
            return "working queue " + self.short(text[len("working queue ") :])
        if text.startswith("set "):
            items = []
            for part in text[4:].split(", "):
                key, sep, value = part.partition("=")
                items.append(f"{key}={self.short(value)}" if sep else part)
            return "set " + ", ".join(items)
        if text.startswith("module "):
            return "module " + text.rsplit("/", 1)[-1] + " (the shipped Contact Lens module)"
        for arn in self.labels:
            text = text.replace(arn, self.short(arn))
        return text

    def lambda_call(self, report: RunReport, index: int, pad: str) -> None:
        result = report.result
        assert result is not None
        call = result.lambda_calls[index]
        name = call.function_arn.rsplit(":", 1)[-1]
        params = ", ".join(f"{k}={v}" for k, v in call.parameters.items())
        self.out(f"{pad}{name}({params})")
        if call.error:
            self.out(f"{pad}✗ {call.error}")
        else:
            answer = call.response or {}
            if not answer:
                self.out(f"{pad}← {{}}")
            for k, v in answer.items():
                self.out(f"{pad}← {k} = {self.short(v)}")
        logs = report.logs[index] if index < len(report.logs) else []
        for record in logs:
            if record.get("level") == "ERROR" and call.error and str(record.get("error", "")) in call.error:
                continue  # the failure line repeats the error shown above
            if record.get("level") in ("WARNING", "ERROR", "CRITICAL") or self.options.verbose:
                self.out(f"{pad}  log {record.get('level', '?'):<7} {self.log_text(record)}")
        if index in report.revoked_after_call:
            self.out(f"{pad}  (every Salesforce token revoked now)")

    @staticmethod
    def log_text(record: dict[str, Any]) -> str:
        parts = [str(record.get("message"))]
        for key in ("operation", "attempt", "status", "code", "field", "error", "sleep_ms"):
            if record.get(key) not in (None, ""):
                parts.append(f"{key}={record[key]}")
        text = "  ".join(parts)
        return text if len(text) <= 160 else text[:157] + "..."

    def ingestion(self, report: RunReport) -> None:
        info = report.ingestion or {}
        self.out("")
        self.out(f"  {'transcript':<20} {info.get('transcriptKey')}")
        attrs = ", ".join(sorted(report.contact.attributes)) if report.contact else ""
        self.out(f"  {'Connect stand-in':<20} contact registered with attributes {attrs}")
        self.out(f"  {'event':<20} Amazon Connect Contact Event DISCONNECTED, no agentInfo")
        summary = info.get("summary") or {}
        self.out(f"  {'handler answered':<20}")
        for k, v in summary.items():
            self.out(f"    {k:<24} {v}")
        for record in report.logs[0] if report.logs else []:
            if record.get("level") in ("WARNING", "ERROR", "CRITICAL") or self.options.verbose:
                self.out(f"  {'':<20} log {record.get('level', '?'):<7} {self.log_text(record)}")

    def records(self, report: RunReport) -> None:
        recs = report.records
        if not any(recs.values()):
            self.out("")
            self.out("  Salesforce records   none created")
            return
        self.out("")
        self.out("  Salesforce records created")
        for c in recs.get("conversations", []):
            self.out(f"    {'Conversation':<18} {c['conversationIdentifier']}  end user {c['endUserSubject']}")
        for s in recs.get("sessions", []):
            self.out(
                f"    {'MessagingSession':<18} {s['id']:<36}  {s['status']}, conversation {s['conversationIdentifier']}"
            )
        for p in recs.get("psrs", []):
            self.out(f"    {'PSR':<18} {p['id']:<36}  {p['routingType']} → {self.psr_target(p)}")
        for h in recs.get("history", []):
            self.out(f"    {'history':<18} {h['entries']} entries  conversation {h['conversationIdentifier']}")

    def psr_target(self, psr: dict[str, Any]) -> str:
        kind, value = psr["outcome"]["kind"], psr["outcome"]["value"]
        names = {q.salesforce_queue_id: q.name for q in self.standins.queues}
        if kind == "queue":
            return f"Omni-Queue {value}" + (f" ({names[value]})" if value in names else " (not mapped)")
        if kind == "user":
            return f"user {value}"
        return f"{kind} {value}"

    def requests(self, report: RunReport) -> None:
        self.out("")
        self.out("  Salesforce requests" + ("   none" if not report.requests else ""))
        for r in report.requests:
            path = r.path
            if r.query.get("q"):
                q = r.query["q"]
                match = re.search(r"\bFROM\s+(\w+)", q)
                path += f"?q=SELECT … FROM {match[1]} …" if match else "?q=" + q[:40]
            offset = (r.time - report.started_at) * 1000 if report.started_at else 0
            status = str(r.status) if r.status is not None else "---"
            extra = {"fail": "injected fault", "delay": "delayed", "drop": "dropped"}.get(r.fault or "", "")
            self.out(f"    +{offset:6.0f} ms  {r.method:<5} {path:<68} {status:>4}  {extra}".rstrip())

    def summary(self, reports: Sequence[RunReport], wall_s: float) -> None:
        self.out("")
        self.out("━━ summary " + "━" * (WIDTH - 11))
        for report in reports:
            mark = "ok  " if report.ok else "FAIL"
            calls = len(report.result.lambda_calls) if report.result else (1 if report.ingestion else 0)
            title = report.title + (" (setup)" if report.setup else "")
            outcome = self.outcome_text(report.outcome, brief=True)
            self.out(
                f"  {mark}  {title:<24} {outcome:<34} {calls} Lambda call{'s' if calls != 1 else ' '}  "
                f"{len(report.requests):2d} Salesforce req.  {report.elapsed_ms:6.0f} ms"
            )
            if not report.ok:
                self.out(f"  {'':<4}  {'':<24} expected {self.outcome_text(report.expected, brief=True)}")
        self.out(f"  total wall time {wall_s:.2f} s (stand-ins started in {self.standins.startup_seconds:.2f} s)")


def to_json(reports: Sequence[RunReport], standins: Standins, wall_s: float) -> dict[str, Any]:
    """The machine-readable result (``--json``)."""
    runs = []
    for r in reports:
        item: dict[str, Any] = {
            "run": r.key,
            "setup": r.setup,
            "ok": r.ok,
            "outcome": r.outcome,
            "expected": r.expected,
            "elapsedMs": round(r.elapsed_ms, 1),
        }
        if r.note:
            item["note"] = r.note
        if r.contact is not None:
            c = r.contact
            item["contact"] = {
                "contactId": c.contact_id,
                "initialContactId": c.initial_contact_id,
                "previousContactId": c.previous_contact_id,
                "channel": c.channel,
                "initiationMethod": c.initiation_method,
                "agent": c.agent,
                "queue": c.queue,
                "attributes": c.attributes,
            }
        if r.result is not None:
            res = r.result
            item.update(
                {
                    "queue": res.queue,
                    "path": [{"action": a, "type": t, "branch": b} for a, t, b in res.path],
                    "lambdaCalls": [
                        {
                            "function": call.function_arn.rsplit(":", 1)[-1],
                            "parameters": call.parameters,
                            "response": call.response,
                            "error": call.error,
                            "elapsedMs": call.elapsed_ms,
                            "log": [
                                {k: rec.get(k) for k in ("level", "message", "operation", "status", "code", "error")}
                                for rec in (r.logs[i] if i < len(r.logs) else [])
                                if rec.get("level") in ("WARNING", "ERROR", "CRITICAL")
                            ],
                        }
                        for i, call in enumerate(res.lambda_calls)
                    ],
                    "messages": res.messages,
                    "attributes": res.attributes,
                }
            )
        if r.ingestion is not None:
            item["ingestion"] = r.ingestion
        item["salesforceRecords"] = r.records
        item["salesforceRequests"] = [
            {"method": q.method, "path": q.path, "query": q.query, "status": q.status, "fault": q.fault}
            for q in r.requests
        ]
        runs.append(item)
    return {
        "ok": all(r.ok for r in reports),
        "wallTimeS": round(wall_s, 3),
        "standinsStartupS": round(standins.startup_seconds, 3),
        "channelAddressIdentifier": standins.channel_address_identifier,
        "queues": {q.name: q.connect_queue_arn for q in standins.queues}
        | {"fallback": fallback_queue_arn(standins), "taskFallback": task_fallback_queue_arn(standins)},
        "runs": runs,
    }


# --------------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------------
def _attribute(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _path(text: str) -> str:
    if not text.startswith("/"):
        raise argparse.ArgumentTypeError(f"a path starts with /, got {text!r}")
    return text


def _times(text: str | None) -> int | None:
    if text is None:
        return 1
    if text in ("always", "*"):
        return None
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"TIMES is a positive number or 'always', got {text!r}")
    return int(text)


def _fault(text: str) -> tuple[str, int, int | None]:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[1].isdigit() or not 400 <= int(parts[1]) <= 599:
        raise argparse.ArgumentTypeError(f"expected PATH:STATUS[:TIMES] with a 4xx/5xx STATUS, got {text!r}")
    return _path(parts[0]), int(parts[1]), _times(parts[2] if len(parts) == 3 else None)


def _delay(text: str) -> tuple[str, float, int | None]:
    parts = text.split(":")
    try:
        seconds = float(parts[1]) if len(parts) in (2, 3) else -1.0
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"expected PATH:SECONDS[:TIMES], got {text!r}")
    return _path(parts[0]), seconds, (_times(parts[2]) if len(parts) == 3 else None)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Parse the command line (``--help`` lists every option)."""
    parser = argparse.ArgumentParser(
        prog="python -m localdev.demo",
        description=(
            "Run a chat through the sample contact flows with the real Lambda handlers, against a local "
            "Salesforce org emulator, moto and a Connect stand-in (all on 127.0.0.1), and print what happened: "
            "the blocks, each Lambda call, the Salesforce records and requests, and the queue reached."
        ),
        epilog=(
            "Exit status 0 when every run reached its expected outcome (queued to the queue --routing implies; "
            "disconnected for not-routed), 1 otherwise. Examples: --fault /api/v1/conversation:400:2 (the flow "
            "retries CreateMessagingSession), --fault /api/v1/route:503:3 (in-Lambda retries exhausted once), "
            "--delay /api/v1/route:9:1 (Salesforce hangs past the 8 s block timeout), --routing unmapped "
            "(fallback queue), --flow task --attribute queueId= (task without queueId)."
        ),
    )
    parser.add_argument(
        "--flow",
        choices=("inbound", "agent-transfer", "queue-transfer", "task", "all"),
        help="which flow to run (default all: inbound -> agent transfer -> queue transfer; a transfer alone "
        "first runs the inbound flow as setup; with --bot-only alone, none)",
    )
    parser.add_argument(
        "--attribute",
        action="append",
        type=_attribute,
        default=[],
        metavar="KEY=VALUE",
        help="contact attribute set before the flow starts (repeatable), e.g. clientId=customer-42; KEY= removes "
        "a task attribute",
    )
    parser.add_argument(
        "--routing",
        choices=ROUTING_CHOICES,
        default="queue",
        help="what Omni-Channel does with /route: queue (an Omni-Queue mapped to a Connect queue, default), "
        "unmapped (an Omni-Queue with no mapping), agent (a user mapped to a Connect agent), not-routed "
        "(success false)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        type=_fault,
        default=[],
        metavar="PATH:STATUS[:TIMES]",
        help="answer the next TIMES (default 1, or 'always') Salesforce requests under PATH with STATUS, "
        "e.g. /api/v1/conversation:503:2 (repeatable)",
    )
    parser.add_argument(
        "--delay",
        action="append",
        type=_delay,
        default=[],
        metavar="PATH:SECONDS[:TIMES]",
        help="answer Salesforce requests under PATH after SECONDS (every request unless TIMES) (repeatable)",
    )
    parser.add_argument(
        "--revoke-token", action="store_true", help="revoke the Salesforce token after the first Lambda call"
    )
    parser.add_argument(
        "--bot-only",
        action="store_true",
        help="also (or, without --flow, only) end a chat that only talked to a bot and run TranscriptIngestion "
        "on its DISCONNECTED event",
    )
    parser.add_argument(
        "--agent", default=DEFAULT_AGENT, help=f"$.Agent.UserName of the agent transfer (default {DEFAULT_AGENT})"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show every handler log line, not only warnings")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the trace")
    args = parser.parse_args(argv)
    flow = args.flow or ("none" if args.bot_only else "all")
    flows = {"all": ["inbound", "agent-transfer", "queue-transfer"], "none": []}.get(flow, [flow])
    return Options(
        flows=flows,
        attributes=dict(args.attribute),
        routing=args.routing,
        faults=args.fault,
        delays=args.delay,
        revoke_token=args.revoke_token,
        bot_only=args.bot_only,
        agent=args.agent,
        verbose=args.verbose,
        as_json=args.json,
    )


def _ensure_handlers_importable() -> None:
    """``connect_omni`` lives in ``src/`` (the Lambda CodeUri); make it importable when not installed."""
    if importlib.util.find_spec("connect_omni") is None:
        sys.path.insert(0, str(REPO_ROOT / "src"))


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status."""
    began = time.perf_counter()
    options = parse_args(argv)
    _ensure_handlers_importable()
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    lines: list[str] = []
    out: Callable[[str], None] = lines.append if options.as_json else lambda text: print(text, flush=True)
    try:
        with Standins.start() as standins:
            demo = Demo(standins, options)
            printer = Printer(standins, options, out)
            printer.header()
            total = len(demo.plan())
            with standins.environment():
                for index, report in enumerate(demo.iter_runs(), start=1):
                    printer.report(index, total, report)
            wall = time.perf_counter() - began
            if options.as_json:
                print(json.dumps(to_json(demo.reports, standins, wall), indent=2, default=str))
            else:
                printer.summary(demo.reports, wall)
            return 0 if all(r.ok for r in demo.reports) else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)


if __name__ == "__main__":
    raise SystemExit(main())

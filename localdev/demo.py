"""The demo: a chat through the sample flows, with the real handlers, against the local stand-ins.

Usage::

    python -m localdev.demo                       # inbound chat -> agent transfer -> queue transfer
    python -m localdev.demo --flow inbound --attribute clientId=customer-42
    python -m localdev.demo --fault /api/v1/conversation:400:2     # the flow's retry loop at work
    python -m localdev.demo --routing unmapped                      # the fallback queue
    python -m localdev.demo --bot-only                              # transcript ingestion of a bot-only chat
    python -m localdev.demo --contact-records                       # the chat's contact records into Salesforce
    python -m localdev.demo --requeue                               # agent leaves, customer writes again: re-queued
    python -m localdev.demo --hours closed                          # out of hours: answered, nothing in Salesforce
    python -m localdev.demo --json                                  # machine-readable result

Everything runs in this process on 127.0.0.1: the Salesforce org emulator, moto (the secret and the transcript
bucket) and the Connect stand-in (:class:`localdev.standins.Standins`), the flow runner
(:mod:`localdev.flows.runner`) and the project's Lambda handlers, called in-process by the runner's default
invoker with a Lambda context whose remaining time is the block's ``InvocationTimeLimitSeconds``.

The flows are the shipped ``contact_flows/*.json`` with their placeholders wired to the stand-ins
(:func:`local_flow`): the channel address identifier is the emulator's channel, the fallback queues are queue
ARNs of the stand-in instance, the Lambda ARNs stay and reach the local handlers by function name.

Each block is printed as the flow runs it (a Lambda call still running after a second gets a progress line).

Exit status: 0 when every run reached its expected outcome (:func:`expected_outcome`, or, when injected faults
kept a chat from it, what a correct system reaches instead: :func:`expectation_under_faults`) and no Lambda call
outlasted its block's time limit; 1 otherwise; 2 for bad options; 130 when interrupted.
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
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from localdev.flows.model import FLOWS_DIR, REPO_ROOT
from localdev.flows.placeholders import PLACEHOLDERS, replace_values
from localdev.flows.runner import (
    Contact,
    FakeLambdaContext,
    LambdaCall,
    RunResult,
    Scenario,
    Step,
    local_handler_invoker,
    run,
    run_hook,
)
from localdev.salesforce_emulator import RecordedRequest, new_id
from localdev.standins import Standins

FLOW_FILES: dict[str, str] = {
    "inbound": "inbound-chat-flow.json",
    "requeue": "disconnect-flow.json",
    "agent-transfer": "agent-transfer-flow.json",
    "queue-transfer": "queue-transfer-flow.json",
    "task": "task-routing-subflow.json",
}
TITLES: dict[str, str] = {
    "inbound": "inbound chat",
    "requeue": "re-queue",
    "agent-transfer": "agent transfer",
    "queue-transfer": "queue transfer",
    "task": "task routing",
    "bot-only": "bot-only chat",
    "contact-record": "contact records",
}
ROUTING_CHOICES = ("queue", "unmapped", "agent", "not-routed")
DEFAULT_AGENT = "jdoe"
NOT_ROUTED_REASON = "No agent or queue is available for this work item"
TRANSCRIPT_HANDLER = "connect_omni.handlers.transcript_ingestion"
TRANSCRIPT_FUNCTION_ARN = "arn:aws:lambda:us-east-1:111122223333:function:TranscriptIngestionFunction"
TRANSCRIPT_TIMEOUT_S = 60.0
CTR_HANDLER = "connect_omni.handlers.contact_trace_record"
CTR_FUNCTION_ARN = "arn:aws:lambda:us-east-1:111122223333:function:ContactTraceRecordFunction"
CTR_OBJECT = "awsac__SCC_ContactTraceRecord__c"
CTR_TIMEOUT_S = 60.0
WIDTH = 100
SLOW_CALL_S = 1.0  # a Lambda call still running after this long gets a progress line


def _placeholder(template_value: str) -> str:
    return next(value for value, ph in PLACEHOLDERS.items() if ph.template_value == template_value)


CHANNEL_PLACEHOLDER = _placeholder("ChannelAddressIdentifier")
FALLBACK_QUEUE_PLACEHOLDER = _placeholder("FallbackQueueArn")
DISCONNECT_FLOW_PLACEHOLDER = _placeholder("DisconnectFlow.ContactFlowArn")
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
    text = replace_values((FLOWS_DIR / FLOW_FILES[name]).read_text(encoding="utf-8"), placeholder_values(standins))
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

    ``logs[i]`` belongs to the i-th call, i.e. to ``RunResult.lambda_calls[i]`` of the run it served, and
    ``windows[i]`` is its ``(start, end)`` in epoch seconds (to tell which Salesforce requests it made).
    ``revoke_after_next_call``: revoke every Salesforce token once the next call has returned (a token
    revoked in the middle of a chat: the next call gets 401, grants a new token and retries once).
    ``on_slow(function_arn, timeout_s)``: called (from a timer thread) when a call is still running after
    :data:`SLOW_CALL_S`, so a hung Salesforce does not look like a hung demo.
    """

    def __init__(self, standins: Standins) -> None:
        self.standins = standins
        self.inner = local_handler_invoker()
        self.logs: list[list[dict[str, Any]]] = []
        self.windows: list[tuple[float, float]] = []
        self.revoke_after_next_call = False
        self.revocations: list[int] = []
        self.on_slow: Callable[[str, float], None] | None = None

    def __call__(self, function_arn: str, event: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        buffer = io.StringIO()
        started = time.time()
        timer = None
        if self.on_slow is not None:
            timer = threading.Timer(SLOW_CALL_S, self.on_slow, (function_arn, timeout_s))
            timer.daemon = True
            timer.start()
        try:
            with captured_handler_output(buffer):
                return self.inner(function_arn, event, timeout_s)
        finally:
            if timer is not None:
                timer.cancel()
            self.windows.append((started, time.time()))
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
    contact_records: bool = False
    requeue: str | None = None
    hours: str = "open"
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
    stream: dict[str, Any] | None = None
    note: str = ""
    prelude: list[str] = field(default_factory=list)
    windows: list[tuple[float, float]] = field(default_factory=list)
    why: str = ""
    late_calls: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The run reached what a correct system reaches, and no Lambda call outlasted its block's limit."""
        return self.outcome == self.expected and not self.late_calls


def expected_outcome(key: str, options: Options, standins: Standins, contact: Contact | None) -> str:
    """The outcome a run should reach, given what Omni-Channel does (``--routing``).

    inbound: queued to the Omni-Queue's mapped Connect queue (``queue``), to the fallback queue (``unmapped``,
    ``agent``: no Connect queue resolved), or disconnected after the retries (``not-routed``); disconnected out of
    hours (``--hours closed``). requeue (the disconnect flow after the agent left): like inbound when the
    customer writes again, disconnected when they stay silent (``--requeue silent``). Transfers: queued
    to the agent (``agent:<user name>``) / to the quick connect's queue, disconnected when not routed. Task:
    the ``queueId`` attribute's queue when it is a queue ARN, else the task fallback queue. Injected faults are
    weighed after the run (:func:`expectation_under_faults`).
    """
    routed = options.routing != "not-routed"
    if key == "requeue" and options.requeue == "silent":
        return "disconnected"
    if key == "inbound" and options.hours == "closed":
        return "disconnected"
    if key in ("inbound", "requeue"):
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
    if key == "contact-record":
        return "stored"
    raise ValueError(key)


def calls_hit_by_faults(report: RunReport) -> list[bool]:
    """For each Lambda call of a run: did an injected fault (``--fault``/``--delay``) act on a Salesforce request
    that arrived while the call ran?"""
    return [any(r.fault and start <= r.time <= end for r in report.requests) for start, end in report.windows]


def expectation_under_faults(report: RunReport, standins: Standins) -> tuple[str, str] | None:
    """``(outcome, why)`` a correct system reaches when injected faults hit this run, or None when they did not
    change it.

    - Every try of one Invoke block failed, and an injected fault acted on each of those calls: the flow's retry
      loop is exhausted and its failure path disconnects the chat (``disconnected``). One failure without an
      injected fault, and the usual expectation stands: that failure is a bug.
    - The inbound flow's Routing call succeeded without ``externalQueueId`` while an injected fault acted on its
      ``CallCenterRoutingMap`` query: the fallback queue.
    - A bot-only chat's ingestion raised while an injected fault acted on its requests: ``raised`` (Lambda
      retries the event later).
    """
    if report.key == "bot-only":
        faulted = any(r.fault for r in report.requests)
        if faulted and report.outcome == "raised":
            return "raised", "an injected Salesforce fault: the function raises so that Lambda retries the event"
        return None
    if report.key == "contact-record":
        faulted = any(r.fault for r in report.requests)
        if faulted and report.outcome == "reported for retry":
            return "reported for retry", "an injected Salesforce fault: the records are reported so Lambda retries them"
        return None
    result = report.result
    if result is None:
        return None
    hit = calls_hit_by_faults(report)
    if not any(hit):
        return None
    position = {id(call): i for i, call in enumerate(result.lambda_calls)}
    tries: dict[str, list[int]] = {}
    for step in result.steps:
        if step.lambda_call is not None and id(step.lambda_call) in position:
            tries.setdefault(step.identifier, []).append(position[id(step.lambda_call)])
    for block, calls in tries.items():
        if all(result.lambda_calls[i].error for i in calls) and all(hit[i] for i in calls):
            kinds = sorted({r.fault for r in report.requests if r.fault})
            return (
                "disconnected",
                f"every try of {block} ({len(calls)}) hit an injected Salesforce {'/'.join(kinds)}: the retry loop "
                "ends on the flow's failure path",
            )
    if report.key == "inbound":
        for i, call in enumerate(result.lambda_calls):
            answer = call.response or {}
            start, end = report.windows[i]
            map_faulted = any(r.fault and "/query" in r.path and start <= r.time <= end for r in report.requests)
            if call.error is None and "psrId" in answer and "externalQueueId" not in answer and map_faulted:
                return (
                    f"queued to {fallback_queue_arn(standins)}",
                    "the CallCenterRoutingMap query hit an injected fault: no externalQueueId, the fallback queue",
                )
    return None


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

    def __init__(self, standins: Standins, options: Options, listener: Printer | None = None) -> None:
        self.standins = standins
        self.options = options
        self.invoker = DemoInvoker(standins)
        self.reports: list[RunReport] = []
        self.options_applied = False
        self.listener = listener
        self._position = (0, 0)
        self._announced: RunReport | None = None
        if listener is not None:
            self.invoker.on_slow = listener.slow_call

    def _announce(self, report: RunReport) -> None:
        """Tell the listener a run starts (its title and contact), once."""
        if self.listener is not None and self._announced is not report:
            self._announced = report
            self.listener.run_started(*self._position, report)

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
        transfers = any(f in ("agent-transfer", "queue-transfer") for f in flows)
        chats = [f for f in flows if f in ("inbound", "agent-transfer", "queue-transfer")]
        if (transfers or (self.options.contact_records and not chats)) and "inbound" not in flows:
            steps.append(("inbound", True))
        steps += [(f, False) for f in flows]
        if self.options.requeue:
            if not any(key == "inbound" for key, _ in steps):
                steps.insert(0, ("inbound", True))
            at = next(i for i, (key, _) in enumerate(steps) if key == "inbound") + 1
            steps.insert(at, ("requeue", False))
        if self.options.bot_only:
            steps.append(("bot-only", False))
        if self.options.contact_records:
            steps.append(("contact-record", False))
        return steps

    def iter_runs(self) -> Iterator[RunReport]:
        """Run the plan, yielding each report as soon as its run is over."""
        previous: tuple[Contact, RunResult] | None = None
        plan = self.plan()
        for index, (key, setup) in enumerate(plan, start=1):
            self._position = (index, len(plan))
            if not setup:
                self.apply_options()
            if key == "bot-only":
                report = self.run_bot_only()
            elif key == "contact-record":
                report = self.run_contact_records()
            elif key == "task":
                report = self.run_flow(key, setup, self.task_contact())
            elif key == "requeue":
                report = self.run_requeue(previous)
            elif key == "inbound":
                contact = Contact(instance_arn=self.standins.instance_arn, attributes=dict(self.options.attributes))
                report = self.run_flow(key, setup, contact)
            else:
                report = self.run_transfer(key, previous)
            self.reports.append(report)
            if report.contact is not None and report.result is not None and key != "task":
                previous = (report.contact, report.result)
            if self.listener is not None:
                self._announce(report)
                self.listener.run_finished(report)
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
            inbound = next((r for r in reversed(self.reports) if r.key == "inbound"), None)
            if inbound is not None and inbound.expected.startswith("queued to "):
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

    def run_requeue(self, previous: tuple[Contact, RunResult] | None) -> RunReport:
        """The agent ends the chat in Salesforce (the emulator ends the session, as End Chat does) and leaves;
        Connect runs the inbound flow's CustomerRemaining hook, the disconnect flow, for the same contact, and
        the customer writes again (``--requeue returns``) or stays silent for 15 minutes (``silent``)."""
        if previous is None or previous[1].queue is None:
            report = RunReport("requeue", TITLES["requeue"], False, None, "skipped", outcome="skipped")
            inbound = next((r for r in reversed(self.reports) if r.key == "inbound"), None)
            if inbound is not None and inbound.expected.startswith("queued to "):
                report.expected = "a queued chat to re-queue"
            report.note = "the chat never reached a queue, so no agent could leave it"
            return report
        result = previous[1]
        conversation = result.attributes.get("conversationIdentifier", "")
        ended = self.standins.salesforce.end_session(conversation) if conversation else None
        prelude = [
            f"the agent ended the chat in Salesforce: MessagingSession {ended or '(none active)'} is Ended",
            f"Connect runs the CustomerRemaining hook ({tail(result.event_hooks.get('CustomerRemaining', '?'))})",
            "the customer writes again within 15 minutes (CustomerReturned)"
            if self.options.requeue == "returns"
            else "the customer stays silent for 15 minutes (WaitCompleted)",
        ]
        flows = {DISCONNECT_FLOW_PLACEHOLDER: local_flow("requeue", self.standins)}
        events = ["CustomerReturned"] if self.options.requeue == "returns" else []

        def start(on_step: Callable[[Step], None]) -> RunResult:
            return run_hook(
                result,
                "CustomerRemaining",
                flows=flows,
                invoker=self.invoker,
                scenario=self.scenario(events=events),
                on_step=on_step,
            )

        return self.run_flow("requeue", False, result.contact or previous[0], start=start, prelude=prelude)

    def scenario(self, **changes: Any) -> Scenario:
        """What the customer does and how the world is (``--hours``), for a flow run."""
        return Scenario(hours=self.options.hours, **changes)

    def run_flow(
        self,
        key: str,
        setup: bool,
        contact: Contact,
        *,
        start: Callable[[Callable[[Step], None]], RunResult] | None = None,
        prelude: Sequence[str] = (),
    ) -> RunReport:
        report = RunReport(
            key, TITLES[key], setup, contact, expected_outcome(key, self.options, self.standins, contact)
        )
        report.prelude = list(prelude)
        sf = self.standins.salesforce
        first_request = len(sf.requests)
        before = _state_ids(sf.state)
        first_call = self.invoker.mark()
        revocations = len(self.invoker.revocations)
        self._announce(report)

        def on_step(step: Step) -> None:
            if self.listener is not None:
                logs = self.invoker.logs[-1] if step.lambda_call is not None and self.invoker.logs else []
                revoked = (
                    step.lambda_call is not None
                    and len(self.invoker.revocations) > revocations
                    and (self.invoker.revocations[-1] == len(self.invoker.logs) - 1)
                )
                self.listener.step(step, logs, revoked)

        report.started_at = time.time()
        began = time.perf_counter()
        if start is None:
            result = run(
                local_flow(key, self.standins), contact, self.invoker, scenario=self.scenario(), on_step=on_step
            )
        else:
            result = start(on_step)
        report.elapsed_ms = (time.perf_counter() - began) * 1000
        report.result = result
        report.outcome = result.outcome
        report.logs = self.invoker.logs[first_call:]
        report.windows = self.invoker.windows[first_call:]
        report.revoked_after_call = [i - first_call for i in self.invoker.revocations[revocations:]]
        report.requests = sf.requests[first_request:]
        report.records = _records_since(before, sf.state)
        report.late_calls = [
            i for i, call in enumerate(result.lambda_calls) if (call.error or "").startswith("timeout:")
        ]
        self._judge(report)
        return report

    def _judge(self, report: RunReport) -> None:
        """Let the expectation follow the injected faults (:func:`expectation_under_faults`)."""
        changed = expectation_under_faults(report, self.standins)
        if changed is not None:
            report.expected, report.why = changed

    # ---- bot-only chat -------------------------------------------------------------------------
    def run_bot_only(self) -> RunReport:
        report = RunReport("bot-only", TITLES["bot-only"], False, None, "ingested")
        self._announce(report)
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
        self._judge(report)
        return report

    # ---- contact records ------------------------------------------------------------------------
    def run_contact_records(self) -> RunReport:
        """The chats' contact records, as Connect streams them once the contacts end, through
        ContactTraceRecordFunction: each contact's CTR, and for the first one also its earlier copy (sent when the
        chat ended, before the agent's after-contact work), in one Kinesis batch."""
        from localdev.ctr_stream import chat_ctr, kinesis_record

        report = RunReport("contact-record", TITLES["contact-record"], False, None, "stored")
        self._announce(report)
        s = self.standins
        chats = [
            r
            for r in self.reports
            if r.key in ("inbound", "agent-transfer", "queue-transfer", "requeue") and r.result is not None
        ]
        ctrs = []
        for r in chats:
            assert r.result is not None and r.contact is not None
            attributes = dict(r.result.attributes)
            agent = (r.contact.agent or {}).get("UserName") or self.options.agent
            # A re-queued chat is the same contact again: its record is a newer copy, written after the re-queue.
            ended = datetime.now(UTC) - timedelta(minutes=20) + timedelta(minutes=5 * len(ctrs))
            ctr = chat_ctr(
                r.contact.contact_id,
                instance_arn=s.instance_arn,
                call_center_id=attributes.pop("callCenterId", ""),
                source=attributes.pop("source", ""),
                attributes=attributes,
                ended=ended,
                agent_user_name=agent if r.result.queue else None,
                queue_arn=r.result.queue,
            )
            ctr |= {
                "InitialContactId": r.contact.initial_contact_id,
                "PreviousContactId": r.contact.previous_contact_id,
                "InitiationMethod": r.contact.initiation_method,
            }
            ctrs.append(ctr)
        sent = list(ctrs)
        if ctrs:  # the first contact's earlier copy, sent when it ended: before after-contact work
            earlier = json.loads(json.dumps(ctrs[0]))
            earlier["LastUpdateTimestamp"] = earlier["DisconnectTimestamp"]
            if earlier.get("Agent"):
                earlier["Agent"] |= {"AfterContactWorkDuration": None, "AfterContactWorkEndTimestamp": None}
            sent.insert(0, earlier)
        records = [kinesis_record(c) for c in sent]
        ours = {
            c["ContactId"]
            for c in ctrs
            if (c["Attributes"].get("source"), c["Attributes"].get("callCenterId")) == ("SCCAC", s.call_center_id)
        }
        sf = s.salesforce
        first_request = len(sf.requests)
        buffer = io.StringIO()
        report.started_at = time.time()
        began = time.perf_counter()
        module = importlib.import_module(CTR_HANDLER)
        with captured_handler_output(buffer):
            answer = module.lambda_handler({"Records": records}, FakeLambdaContext(CTR_FUNCTION_ARN, CTR_TIMEOUT_S))
        report.elapsed_ms = (time.perf_counter() - began) * 1000
        report.logs = [parse_log_lines(buffer.getvalue())]
        summary = next((r.get("summary") for r in report.logs[0] if r.get("message") == "Batch done"), {})
        stored = [r for r in sf.records(CTR_OBJECT) if r["awsac__ContactId__c"] in {c["ContactId"] for c in ctrs}]
        report.stream = {
            "records": [
                {
                    "sequenceNumber": rec["kinesis"]["sequenceNumber"],
                    "contactId": ctr["ContactId"],
                    "lastUpdateTimestamp": ctr["LastUpdateTimestamp"],
                }
                for rec, ctr in zip(records, sent, strict=True)
            ],
            "answer": answer,
            "summary": summary,
        }
        report.requests = sf.requests[first_request:]
        report.records = {"contactTraceRecords": stored}
        if answer.get("batchItemFailures"):
            report.outcome = "reported for retry"
        elif {r["awsac__ContactId__c"] for r in stored} >= ours and ours:
            report.outcome = "stored"
        else:
            report.outcome = "not stored" if ours else "nothing to store"
        self._judge(report)
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

    def with_names(self, text: str) -> str:
        """``text`` with each known queue/agent ARN kept whole and its name added after it."""
        for arn, name in self.labels.items():
            text = text.replace(arn, f"{arn} ({name})")
        return text

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
        if self.options.hours != "open":
            rows.append(
                ("hours of operation", f"{self.options.hours} (the fallback queue's, checked by the inbound flow)")
            )
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

    def run_started(self, index: int, total: int, report: RunReport) -> None:
        """The run's title and contact, printed before the first block runs."""
        flow = FLOW_FILES.get(report.key)
        functions = {"bot-only": "TranscriptIngestionFunction", "contact-record": "ContactTraceRecordFunction"}
        where = f"contact_flows/{flow}" if flow else functions.get(report.key, report.key)
        title = f"{index}/{total} {report.title}{' (setup)' if report.setup else ''} · {where} "
        self.out("")
        self.out("━━ " + title + "━" * max(3, WIDTH - len(title) - 3))
        if report.contact is not None and report.key not in ("bot-only", "contact-record"):
            self.contact(report)
            for i, line in enumerate(report.prelude):
                self.out(f"  {'before the flow' if i == 0 else '':<20} {line}")
            self.out("")
            self.out("  blocks")

    def step(self, step: Step, logs: list[dict[str, Any]], revoked: bool = False) -> None:
        """One block, printed as soon as it ran: the branch taken, what it did, the Lambda call it made."""
        indent = "  " * step.depth
        line = f"  {step.index + 1:4d}  {indent}{step.identifier:<{28 - len(indent)}} {step.type:<30} → {step.branch}"
        if step.lambda_call is not None:
            line += f"  ({step.lambda_call.elapsed_ms:.0f} ms)"
        self.out(line)
        pad = " " * (10 + len(indent))
        if step.lambda_call is not None:
            self.lambda_call(step.lambda_call, logs, pad, revoked)
            return
        for text in step.notes:
            if step.type == "Compare":  # unwrapped: the value the branch depends on, whole
                self.out(pad + self.note(text, step.type))
                continue
            wrapped = textwrap.wrap(
                self.note(text, step.type),
                WIDTH - len(pad),
                subsequent_indent="  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            for line in wrapped or [""]:
                self.out(pad + line)

    def slow_call(self, function_arn: str, timeout_s: float) -> None:
        """A Lambda call is still running after :data:`SLOW_CALL_S` (called from a timer thread)."""
        name = function_arn.rsplit(":", 1)[-1]
        self.out(f"{'':10}… {name} still running after {SLOW_CALL_S:g} s (the block waits up to {timeout_s:g} s)")

    def run_finished(self, report: RunReport) -> None:
        """What the run left behind (records, requests, queue), then its outcome against the expectation."""
        if report.result is None and report.ingestion is None and report.stream is None:
            self.out(f"  {report.note or report.outcome}")
            self.verdict(report)
            return
        if report.ingestion is not None:
            self.ingestion(report)
        if report.stream is not None:
            self.stream(report)
        self.records(report)
        self.requests(report)
        if report.result is not None:
            result = report.result
            self.out("")
            self.out(f"  {'queue reached':<20} {self.label(result.queue) if result.queue else '(none)'}")
            for line in self.why_this_queue(report):
                self.out(line)
            if result.messages:
                for text in result.messages:
                    self.out(f"  {'told the customer':<20} {text!r}")
            start = report.contact.attributes if report.contact else {}
            changed = {k: v for k, v in result.attributes.items() if start.get(k) != v}
            self.attributes("attributes set", changed, empty="none")
            if report.key == "requeue" and "workItemId" in changed:
                same = result.attributes.get("conversationIdentifier") == start.get("conversationIdentifier")
                self.out(
                    f"  {'session':<20} new MessagingSession {changed['workItemId']} "
                    f"({'in the same' if same else 'in ANOTHER'} Conversation); the ended "
                    f"{start.get('workItemId')} is not reused"
                )
        if report.result is None:
            self.out("")
        self.verdict(report)

    def verdict(self, report: RunReport) -> None:
        if report.late_calls:
            verdict = "FAIL: a Lambda call outlasted its block's time limit; Connect would have stopped waiting"
        elif report.ok:
            verdict = "as expected" + (f": {report.why}" if report.why else "")
        else:
            verdict = f"EXPECTED {self.outcome_text(report.expected)}" + (f": {report.why}" if report.why else "")
        first = f"{self.outcome_text(report.outcome)}   [{verdict}]  {report.elapsed_ms:.0f} ms"
        if len(first) <= WIDTH - 23:
            self.out(f"  {'outcome':<20} {first}")
            return
        self.out(f"  {'outcome':<20} {self.outcome_text(report.outcome)}  {report.elapsed_ms:.0f} ms")
        for line in textwrap.wrap(f"[{verdict}]", WIDTH - 23, break_on_hyphens=False):
            self.out(f"  {'':<20} {line}")

    def why_this_queue(self, report: RunReport) -> list[str]:
        """For a queue transfer: why the chat lands in the quick connect's queue, not the one Routing answered."""
        result = report.result
        if report.key != "queue-transfer" or result is None or result.queue is None:
            return []
        answered = next(
            (c.response["externalQueueId"] for c in result.lambda_calls if "externalQueueId" in (c.response or {})),
            None,
        )
        text = (
            "the quick connect's queue: Connect made it the working queue before this flow started (the agent "
            "chose it), and TransferContactToQueue uses the working queue. Routing (Transfer) tells Omni-Channel "
            "about the transfer (a new PSR)"
        )
        if answered and answered != result.queue:
            text += (
                f"; the queue it answered, {self.short(answered)}, comes from the channel's routing in Salesforce "
                "and this flow does not use it"
            )
        lines = textwrap.wrap(text + ".", WIDTH - 23, break_on_hyphens=False)
        return [f"  {'why this queue' if i == 0 else '':<20} {line}" for i, line in enumerate(lines)]

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
            self.attributes("attributes at start", c.attributes, whole=True)

    def attributes(self, title: str, values: dict[str, str], empty: str = "", *, whole: bool = False) -> None:
        """``key=value`` lines; ``whole``: ARNs as they are (with their names), for values a flow tests."""
        items = [f"{k}={self.with_names(v) if whole else self.short(v)}" for k, v in sorted(values.items())]
        lines = textwrap.wrap(", ".join(items), WIDTH - 23, break_long_words=False, break_on_hyphens=False)
        for i, line in enumerate(lines or [empty]):
            self.out(f"  {title if i == 0 else '':<20} {line}")

    def note(self, text: str, block_type: str = "") -> str:
        if block_type == "Compare":  # the value the block tests, as it is: the branch depends on it
            return self.with_names(text)
        if text.startswith("working queue "):
            return "working queue " + self.short(text[len("working queue ") :])
        if text.startswith("set "):
            items = []
            for part in text[4:].split(", "):
                key, sep, value = part.partition("=")
                items.append(f"{key}={self.short(value)}" if sep else part)
            return "set " + ", ".join(items)
        if text.startswith("module "):
            return text  # the module's name (the runner resolves the placeholder ARN to the shipped module)
        for arn in self.labels:
            text = text.replace(arn, self.short(arn))
        return text

    def lambda_call(self, call: LambdaCall, logs: list[dict[str, Any]], pad: str, revoked: bool = False) -> None:
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
        for record in logs:
            if record.get("level") == "ERROR" and call.error and str(record.get("error", "")) in call.error:
                continue  # the failure line repeats the error shown above
            if record.get("level") in ("WARNING", "ERROR", "CRITICAL") or self.options.verbose:
                self.out(f"{pad}  log {record.get('level', '?'):<7} {self.log_text(record)}")
        if revoked:
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

    def stream(self, report: RunReport) -> None:
        """The Kinesis batch sent to ContactTraceRecordFunction and what it answered."""
        info = report.stream or {}
        self.out("")
        self.out(f"  {'Kinesis batch':<20} {len(info.get('records', []))} contact records (CTRs), in stream order")
        for rec in info.get("records", []):
            self.out(f"    …{rec['sequenceNumber'][-6:]}  contact {rec['contactId']}  {rec['lastUpdateTimestamp']}")
        counts = {k: v for k, v in (info.get("summary") or {}).items() if isinstance(v, int) and v and k != "requests"}
        self.out(f"  {'handler answered':<20} {json.dumps(info.get('answer'))}")
        self.out(f"  {'outcomes':<20} {', '.join(f'{k} {v}' for k, v in counts.items()) or 'none'}")
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
        for c in recs.get("contactTraceRecords", []):
            agent = c.get("awsac__AgentUsername__c") or "no agent"
            self.out(
                f"    {'ContactTraceRecord':<18} {c['Id']}  contact {c['awsac__ContactId__c']}, "
                f"{c.get('awsac__Channel_Revamped__c')}, {agent}"
            )
            self.out(
                f"    {'':<18} queue {c.get('awsac__QueueName__c')} ({c.get('awsac__QueueDuration__c')} s), "
                f"after-contact work {c.get('awsac__AfterContactWorkDuration__c')} s, "
                f"updated {c.get('awsac__LastUpdateTimestamp__c')}"
            )

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
            handled = report.ingestion is not None or report.stream is not None
            calls = len(report.result.lambda_calls) if report.result else (1 if handled else 0)
            title = report.title + (" (setup)" if report.setup else "")
            outcome = self.outcome_text(report.outcome, brief=True)
            self.out(
                f"  {mark}  {title:<24} {outcome:<34} {calls} Lambda call{'s' if calls != 1 else ' '}  "
                f"{len(report.requests):2d} Salesforce req.  {report.elapsed_ms:6.0f} ms"
            )
            if not report.ok:
                self.out(f"  {'':<4}  {'':<24} expected {self.outcome_text(report.expected, brief=True)}")
            elif report.why:
                self.out(f"  {'':<4}  {'':<24} (injected faults: {report.why.split(':')[0]})")
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
        if r.prelude:
            item["before"] = r.prelude
        if r.why:
            item["why"] = r.why
        if r.late_calls:
            item["lateCalls"] = r.late_calls
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
        if r.stream is not None:
            item["contactRecords"] = r.stream
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
            "disconnected for not-routed; disconnected when an injected fault hit every try of a Lambda block), "
            "1 otherwise, 2 for bad options. Examples: --fault /api/v1/conversation:400:2 (the flow "
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
        "--contact-records",
        action="store_true",
        help="afterwards, stream the chats' contact records (CTRs) through ContactTraceRecordFunction into "
        "awsac__SCC_ContactTraceRecord__c (without --flow: after the inbound chat)",
    )
    parser.add_argument(
        "--requeue",
        nargs="?",
        const="returns",
        choices=("returns", "silent"),
        help="after the inbound chat is queued, the agent ends it in Salesforce and leaves; the disconnect flow "
        "runs and the customer writes again (returns, the default: a new MessagingSession in the same "
        "Conversation, routed and queued) or stays silent for 15 minutes (silent: the chat ends)",
    )
    parser.add_argument(
        "--hours",
        choices=("open", "closed"),
        default="open",
        help="the fallback queue's hours of operation, which the inbound flow checks first (closed: a message, "
        "then the chat ends, and nothing reaches Salesforce)",
    )
    parser.add_argument(
        "--agent", default=DEFAULT_AGENT, help=f"$.Agent.UserName of the agent transfer (default {DEFAULT_AGENT})"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show every handler log line, not only warnings")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the trace")
    args = parser.parse_args(argv)
    flow = args.flow or ("none" if args.bot_only else "inbound" if args.requeue else "all")
    flows = {"all": ["inbound", "agent-transfer", "queue-transfer"], "none": []}.get(flow, [flow])
    return Options(
        flows=flows,
        attributes=dict(args.attribute),
        routing=args.routing,
        faults=args.fault,
        delays=args.delay,
        revoke_token=args.revoke_token,
        bot_only=args.bot_only,
        contact_records=args.contact_records,
        requeue=args.requeue,
        hours=args.hours,
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
    # The real stdout, taken now: the handlers' output is redirected while they run, and the slow-call
    # progress line is printed from a timer thread during a call. --json: the trace goes to stderr when it is a
    # terminal (progress for a person), nowhere otherwise.
    stream = sys.stdout if not options.as_json else (sys.stderr if sys.stderr.isatty() else None)
    lock = threading.Lock()

    def out(text: str) -> None:
        if stream is not None:
            with lock:
                print(text, file=stream, flush=True)

    try:
        with Standins.start() as standins:
            printer = Printer(standins, options, out)
            demo = Demo(standins, options, listener=printer)
            printer.header()
            with standins.environment():
                demo.run_all()
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

"""Run the fault matrix's cells (``tests/faults/matrix.py``) on the stand-ins and measure each: the one place the
cells are run, by ``tests/faults/test_fault_matrix.py`` and by the command.

A cell: a fresh chat on the stand-ins (Salesforce emulator; moto and the Connect stand-in behind fault proxies,
:mod:`localdev.fault_proxy`), one fault injected into the dependency, the function invoked as Connect or
EventBridge would, with a Lambda context of the cell's budget; then the retry (the flow's loop, or Lambda's) with
the fault gone; then what Salesforce holds. Waits between retries are recorded, not slept (``transport.SLEEP``,
``aws.SLEEP``).

``python -m tests.faults.measure [--json] [--only DEP] [--fault FAULT]`` prints, per cell, the dependency, the
fault, the function, the expected and the observed outcome (with the exception's class and the start of its
message), the invocation's wall time (s) and its budget (s), and the invariants: PSRs, EntryInteractions,
transcript messages stored / lost / stored twice, a non-project exception, an answer after the budget. Progress
goes to stderr. Exit status: 0 when every cell run has its expected outcome and no invariant is broken, 1
otherwise, 2 for bad options.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connect_omni import aws, container
from connect_omni.budget import Budget
from connect_omni.errors import ConnectOmniError
from connect_omni.salesforce import transport
from localdev.demo import bot_only_transcript, captured_handler_output, disconnected_event, transcript_key
from localdev.fault_proxy import FaultProxy
from localdev.standins import Standins
from tests.conftest import LambdaContext
from tests.faults import matrix
from tests.faults.flows import flow_event
from tests.faults.matrix import (
    CELLS,
    DEPENDENCIES,
    FALLBACK,
    FAULTS,
    INGESTED,
    OK,
    PARTIAL,
    Cell,
    flow_error,
    lambda_retries,
)

#: Slack over the budget before the command calls an answer late (the Lambda context's clock starts a little
#: before the handler). A measurement for the report only: no test asserts on it (it depends on machine speed);
#: the test checks the deadline each invocation computed instead (``deadline_problem``).
GUARD_S = 0.6
NON_PROJECT = "non-project exception"
#: The handlers' ``margin_ms`` to ``Budget.from_context`` (Connect's and Lambda's overhead, kept back).
MARGIN_MS = 600
_MESSAGE_CHARS = 120


class World:
    """The stand-ins, a fault proxy per AWS service, the handlers' environment, the waits asked for."""

    def __init__(self, standins: Standins) -> None:
        self.standins = standins
        self.proxies = {
            "secretsmanager": FaultProxy.start(standins.moto.endpoint_url),
            "s3": FaultProxy.start(standins.moto.endpoint_url),
            "connect": FaultProxy.start(standins.connect.endpoint_url),
        }
        self.sleeps: list[float] = []

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.proxies["secretsmanager"].endpoint_url,
            "AWS_ENDPOINT_URL_S3": self.proxies["s3"].endpoint_url,
            "AWS_ENDPOINT_URL_CONNECT": self.proxies["connect"].endpoint_url,
        }

    def target(self, name: str) -> Any:
        return self.standins.salesforce if name == "salesforce" else self.proxies[name]

    def reset(self) -> None:
        self.standins.reset()
        for proxy in self.proxies.values():
            proxy.reset()
        self.sleeps.clear()
        container.reset()

    def clear_faults(self) -> None:
        self.standins.salesforce.clear_faults()
        for proxy in self.proxies.values():
            proxy.clear_faults()

    def stop(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()

    @contextlib.contextmanager
    def environment(self) -> Iterator[World]:
        """For one cell: ``os.environ`` overlaid with the stand-ins' and the proxies' endpoints (restored after,
        so a cell's ``SESSION_CREATION_MODE`` does not leak), waits recorded, not slept; state reset."""
        saved = transport.SLEEP, aws.SLEEP
        with self.standins.environment():
            os.environ.update(self.env())
            transport.SLEEP = aws.SLEEP = self.sleeps.append
            try:
                self.reset()
                yield self
            finally:
                transport.SLEEP, aws.SLEEP = saved


# ------------------------------------------------------------------------------------------------ faults


_SCRT_400 = {"conversation": 10052, "interactions": 10027, "route": 10032, "history": 10078}
_AWS_CODES = {
    "aws-json": {
        500: "InternalServiceError",
        503: "ServiceUnavailable",
        429: "ThrottlingException",
        401: "UnrecognizedClientException",
        403: "AccessDeniedException",
        400: "ResourceNotFoundException",
    },
    "aws-rest-json": {
        500: "InternalServiceException",
        503: "ServiceUnavailableException",
        429: "ThrottlingException",
        401: "UnrecognizedClientException",
        403: "AccessDeniedException",
        400: "InvalidRequestException",
    },
    "aws-xml": {
        500: "InternalError",
        503: "SlowDown",
        429: "SlowDown",
        401: "InvalidAccessKeyId",
        403: "AccessDenied",
        400: "InvalidArgument",
    },
}
_HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


def error_answer(dep: matrix.Dependency, status: int) -> dict[str, Any]:
    """``fail_next`` keywords for an error answer shaped as ``dep``'s service shapes them."""
    family = dep.family
    if family == "scrt":
        code = {401: 10004, 403: 10005, 400: _SCRT_400.get(dep.key, 10089)}.get(status, 500)
        return {"body": {"code": code, "message": f"injected {status}"}}
    if family == "oauth":
        error = {400: "invalid_grant", 401: "invalid_client", 403: "inactive_user"}.get(status, "server_error")
        return {"body": {"error": error, "error_description": f"injected {status}"}}
    if family == "rest":
        code = {401: "INVALID_SESSION_ID", 403: "INSUFFICIENT_ACCESS", 400: "MALFORMED_QUERY"}.get(
            status, "SERVER_UNAVAILABLE"
        )
        return {"body": [{"errorCode": code, "message": f"injected {status}"}]}
    code = _AWS_CODES[family][status]
    if family == "aws-json":
        return {
            "body": json.dumps({"__type": code, "message": f"injected {status}"}),
            "content_type": "application/x-amz-json-1.1",
        }
    if family == "aws-rest-json":
        return {
            "body": json.dumps({"message": f"injected {status}"}),
            "content_type": "application/json",
            "headers": {"x-amzn-ErrorType": code},
        }
    return {
        "body": f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>injected</Message></Error>",
        "content_type": "application/xml",
    }


def inject(world: World, cell: Cell) -> None:
    dep, fault = cell.dependency, cell.fault
    target, path, method = world.target(dep.target), dep.path, dep.method
    if fault in ("500", "503", "401", "403", "400"):
        target.fail_next(path, int(fault), method=method, **error_answer(dep, int(fault)))
    elif fault == "429":
        answer = error_answer(dep, 429)
        answer["headers"] = {**answer.get("headers", {}), "Retry-After": "1"}
        target.fail_next(path, 429, method=method, **answer)
    elif fault == "503-always":
        target.fail_next(path, 503, times=None, method=method, **error_answer(dep, 503))
    elif fault == "drop":
        target.drop_next(path, method=method)
    elif fault == "hang":
        target.delay(path, 30, times=1)
    elif fault == "slow":
        target.delay(path, 2.0, times=1)
    elif fault == "trickle":
        target.trickle(path, 8.0, method=method)
    elif fault == "not-json":
        target.fail_next(path, 200, body="this is not JSON {", method=method)
    elif fault == "empty":
        target.fail_next(path, 200, body=b"", method=method)
    elif fault == "html-200":
        target.fail_next(
            path, 200, body="<html><body>Please log in</body></html>", content_type="text/html", method=method
        )
    elif fault == "html-error":
        target.fail_next(path, 502, body=_HTML_PAGE, content_type="text/html", method=method)
    elif fault == "late-commit":
        target.late_commit(path, then="drop", method=method or None)
    else:  # pragma: no cover - the table and this function are kept together
        raise AssertionError(fault)


# ------------------------------------------------------------------------------------------------ scenarios


class Chat:
    """One chat on the stand-ins, driven as the flows and EventBridge would."""

    def __init__(self, world: World, cell: Cell) -> None:
        self.world = world
        self.cell = cell
        self.standins = world.standins
        self.contact = str(uuid.uuid4())
        self.conversation: str | None = None
        self.function = cell.dependency.function
        self.event: dict[str, Any] | None = None
        self.messages = 0

    def prepare(self) -> None:
        if self.function == "create-session-interactions":
            os.environ["SESSION_CREATION_MODE"] = "interactions"
            container.reset()
        if self.function in ("route", "route-cold-map"):
            self.conversation = self.create_session()["conversationIdentifier"]
        if self.function == "ingest":
            self._seed_bot_only_chat()

    def _seed_bot_only_chat(self) -> None:
        s = self.standins
        ended = datetime.now(UTC) - timedelta(seconds=5)
        started = ended - timedelta(minutes=2)
        transcript = bot_only_transcript(self.contact, s.instance_id, ended)
        self.messages = sum(1 for i in transcript["Transcript"] if i["Type"] == "MESSAGE")
        key = transcript_key(s.transcripts_prefix, self.contact, started)
        s.moto.client("s3").put_object(Bucket=s.transcripts_bucket, Key=key, Body=json.dumps(transcript).encode())
        attributes = {
            "channelAddressIdentifier": s.channel_address_identifier,
            "callCenterId": s.call_center_id,
            "source": "SCCAC",
            "clientId": f"customer-{self.contact[:8]}",
        }
        s.connect.put_contact(self.contact, attributes, disconnected=True)
        self.event = disconnected_event(self.contact, s.instance_arn, started, ended)

    def create_session(self, budget_ms: int = 8000) -> dict[str, str]:
        from connect_omni.handlers import create_messaging_session

        event = flow_event(self.standins, self.contact, {})
        return create_messaging_session.lambda_handler(event, LambdaContext(budget_ms=budget_ms))

    def invoke(self, budget_ms: int) -> Any:
        if self.function.startswith("create-session"):
            return self.create_session(budget_ms)
        if self.function.startswith("route"):
            from connect_omni.handlers import routing

            event = flow_event(
                self.standins, self.contact, {"routingType": "Initial"}, conversationIdentifier=self.conversation
            )
            return routing.lambda_handler(event, LambdaContext(budget_ms=budget_ms))
        from connect_omni.handlers import transcript_ingestion

        return transcript_ingestion.lambda_handler(self.event, LambdaContext(budget_ms=budget_ms))

    def outcome(self, budget_ms: int) -> tuple[str, str]:
        """The invocation's outcome in the table's words, and a detail: the exception's class and the start of its
        message, or what made an answer wrong. Any exception that is not the project's is ``NON_PROJECT``."""
        ingest = self.function == "ingest"
        try:
            answer = self.invoke(budget_ms)
        except ConnectOmniError as exc:
            name = type(exc).__name__
            return (lambda_retries(name) if ingest else flow_error(name)), _describe(exc)
        except Exception as exc:
            return f"{NON_PROJECT}: {type(exc).__name__}", _describe(exc)
        if ingest:
            status = answer.get("status")
            return {"ingested": INGESTED, "partial": PARTIAL}.get(status, f"summary {status}"), ""
        if not all(isinstance(v, str) and v for v in answer.values()):
            return "answer not a map of non-empty strings", f"keys {sorted(answer)}"
        if self.function.startswith("route") and "externalQueueId" not in answer:
            return FALLBACK, ""
        return OK, ""


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ------------------------------------------------------------------------------------------------ measuring


@dataclass
class Measurement:
    """One cell as run. Times in seconds (wall clock of the faulted invocation, monotonic)."""

    cell: str
    dependency: str
    fault: str
    function: str
    expected: str
    outcome: str
    detail: str
    seconds: float
    budget_seconds: float
    retry: str
    retry_detail: str
    sent: list[str]
    waits_asked: list[float]
    psrs: int
    duplicate_psrs: int  # (conversation, routing type) pairs with more than one PSR
    interactions: int
    duplicate_interactions: int  # conversations with more than one EntryInteraction
    transcript_messages: int  # messages in the seeded transcript (ingestion cells), else 0
    history: int  # conversation entries Salesforce holds, at the end
    history_before_retry: int  # conversation entries Salesforce held after the faulted invocation
    transcripts_lost: int
    transcripts_duplicated: int
    non_project_exceptions: int  # in the invocation and its retry
    after_budget: bool  # seconds > budget_seconds + GUARD_S (measured: the command's verdict, no test's)
    deadline_ok: bool = True  # the invocation's computed deadline within budget - margin (``deadline_problem``)
    problems: list[str] = field(default_factory=list)  # what the test asserts: no elapsed time among them

    @property
    def ok(self) -> bool:
        """The command's verdict: no problem and not answered after the budget."""
        return not self.problems and not self.after_budget


@contextlib.contextmanager
def recorded_budgets() -> Iterator[list[tuple[Any, int, Budget]]]:
    """Record every ``(context, margin_ms, budget)`` of :meth:`Budget.from_context` in the block."""
    made: list[tuple[Any, int, Budget]] = []
    original = Budget.__dict__["from_context"]
    from_context = original.__func__

    def recording(cls: type[Budget], context: Any, margin_ms: int, init_s: float = 0.0) -> Budget:
        budget = from_context(cls, context, margin_ms, init_s)
        made.append((context, margin_ms, budget))
        return budget

    Budget.from_context = classmethod(recording)  # type: ignore[method-assign,assignment]
    try:
        yield made
    finally:
        Budget.from_context = original  # type: ignore[method-assign]


def deadline_problem(cell: Cell, made: Sequence[tuple[Any, int, Budget]]) -> str | None:
    """None when the faulted invocation made exactly one budget, from its own context of the cell's budget with
    the handlers' margin, whose deadline is at or before the context's start + budget - margin (``from_context``
    reads the clock before the context does, and the context's milliseconds are truncated); else what is wrong.
    Computed values, not elapsed time."""
    if len(made) != 1:
        return f"{cell.id}: {len(made)} budgets made by the invocation, not 1"
    ((context, margin_ms, budget),) = made
    if (context.budget_ms, margin_ms) != (cell.budget_ms, MARGIN_MS):
        return f"{cell.id}: budget from {context.budget_ms} ms with margin {margin_ms} ms"
    if budget.deadline > context._start + (cell.budget_ms - margin_ms) / 1000 + 1e-9:
        return f"{cell.id}: deadline past the budget"
    return None


def measure(world: World, cell: Cell) -> Measurement:
    """Run ``cell`` on ``world`` (in :meth:`World.environment`) and return what happened; ``problems`` lists every
    way it differs from the table, breaks an invariant or computed a deadline past the budget (elapsed time is
    measured, ``after_budget``, but is not a problem: it depends on the machine)."""
    with world.environment():
        chat = Chat(world, cell)
        chat.prepare()
        inject(world, cell)
        with recorded_budgets() as made:
            began = time.monotonic()
            outcome, detail = chat.outcome(cell.budget_ms)
            elapsed = time.monotonic() - began
        deadline = deadline_problem(cell, made)
        dep = cell.dependency
        sent = [f"{r.method} {r.path}" for r in world.target(dep.target).requests if r.path.startswith(dep.path)]
        sleeps = list(world.sleeps)
        before_retry = sum(len(v) for v in world.standins.salesforce.state["history"].values())
        world.clear_faults()
        retry, retry_detail = chat.outcome(8000) if outcome not in (OK, INGESTED) else ("not needed", "")
        measured = _judge(chat, cell, outcome, detail, elapsed, retry, retry_detail, sent, sleeps, before_retry)
        if deadline:
            measured.deadline_ok = False
            measured.problems.append(deadline)
        return measured


def _judge(
    chat: Chat,
    cell: Cell,
    outcome: str,
    detail: str,
    elapsed: float,
    retry: str,
    retry_detail: str,
    sent: list[str],
    sleeps: list[float],
    before_retry: int,
) -> Measurement:
    sf = chat.standins.salesforce
    psrs = sf.psr_counts()
    state = sf.state
    interactions = {conv: len(items) for conv, items in state["interactions"].items()}
    history = {conv: [e["entryPayload"]["id"] for e in entries] for conv, entries in state["history"].items()}
    ids = [i for v in history.values() for i in v] if chat.function == "ingest" else []
    m = Measurement(
        cell=cell.id,
        dependency=cell.dependency.key,
        fault=cell.fault,
        function=chat.function,
        expected=cell.expected,
        outcome=outcome,
        detail=detail,
        seconds=round(elapsed, 3),
        budget_seconds=cell.budget_ms / 1000,
        retry=retry,
        retry_detail=retry_detail,
        sent=sent,
        waits_asked=sleeps,
        psrs=sum(n for t in psrs.values() for n in t.values()),
        duplicate_psrs=sum(1 for t in psrs.values() for n in t.values() if n > 1),
        interactions=sum(interactions.values()),
        duplicate_interactions=sum(1 for n in interactions.values() if n > 1),
        transcript_messages=chat.messages,
        history=sum(len(v) for v in history.values()),
        history_before_retry=before_retry,
        transcripts_lost=max(0, chat.messages - len(set(ids))),
        transcripts_duplicated=len(ids) - len(set(ids)),
        non_project_exceptions=sum(o.startswith(NON_PROJECT) for o in (outcome, retry)),
        after_budget=elapsed > cell.budget_ms / 1000 + GUARD_S,
    )
    p = m.problems
    if m.duplicate_psrs:
        p.append(f"duplicate PSR: {psrs}")
    if m.duplicate_interactions:
        p.append(f"duplicate EntryInteraction: {interactions}")
    stored_in = sum(1 for v in history.values() if v)
    if chat.function == "ingest" and (stored_in > 1 or not len(ids) == len(set(ids)) == chat.messages):
        p.append(f"history: {len(ids)} entries ({len(set(ids))} distinct, in {stored_in}) of {chat.messages} messages")
    if outcome != cell.expected:
        p.append(f"{cell.id}: {outcome} {detail} (sent {sent})".replace("  ", " "))
    if retry not in ("not needed", OK, INGESTED, FALLBACK):
        p.append(f"{cell.id}: the retry ended {retry} {retry_detail}".rstrip())
    if cell.fault == "429" and outcome in (OK, INGESTED, FALLBACK) and 1.0 not in sleeps:
        p.append(f"{cell.id}: Retry-After not honoured (waits {sleeps})")
    return m


# ------------------------------------------------------------------------------------------------ the command


def kind(outcome: str) -> str:
    """``success`` (answered, fallback queue, ingested, partial), ``project exception`` (the flow's Error
    branch), ``ingestion retry`` (raised, Lambda retries then the DLQ), or ``other``."""
    if outcome in (OK, FALLBACK, INGESTED, PARTIAL):
        return "success"
    if outcome.startswith(flow_error("")):
        return "project exception"
    if outcome.startswith(lambda_retries("")):
        return "ingestion retry"
    return "other"


def summary(measured: Sequence[Measurement]) -> dict[str, Any]:
    """Counts per outcome kind and per exact outcome; per function, the longest invocation (seconds, its cell and
    budget) and the largest share of a budget used (seconds / budget, its cell); the total of each violation."""
    kinds: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    slowest: dict[str, dict[str, Any]] = {}
    for m in measured:
        kinds[kind(m.outcome)] = kinds.get(kind(m.outcome), 0) + 1
        outcomes[m.outcome] = outcomes.get(m.outcome, 0) + 1
        slow = slowest.setdefault(m.function, {"seconds": -1.0, "share_of_budget": -1.0})
        if m.seconds > slow["seconds"]:
            slow.update(seconds=m.seconds, cell=m.cell, budget_seconds=m.budget_seconds)
        if m.seconds / m.budget_seconds > slow["share_of_budget"]:
            slow.update(share_of_budget=round(m.seconds / m.budget_seconds, 3), share_cell=m.cell)
    return {
        "cells": len(measured),
        "matching": sum(m.ok for m in measured),
        "kinds": kinds,
        "outcomes": outcomes,
        "slowest_per_function": slowest,  # the longest invocation, and the largest share of its budget
        "violations": {
            "outcome_differs": sum(m.outcome != m.expected for m in measured),
            "duplicate_psrs": sum(m.duplicate_psrs for m in measured),
            "duplicate_interactions": sum(m.duplicate_interactions for m in measured),
            "transcripts_lost": sum(m.transcripts_lost for m in measured),
            "transcripts_duplicated": sum(m.transcripts_duplicated for m in measured),
            "non_project_exceptions": sum(m.non_project_exceptions for m in measured),
            "after_budget": sum(m.after_budget for m in measured),
            "deadline_past_budget": sum(not m.deadline_ok for m in measured),
            "over_budget_without_guard": sum(m.seconds > m.budget_seconds for m in measured),
            "retry_failed": sum(m.retry not in ("not needed", OK, INGESTED, FALLBACK) for m in measured),
        },
        # not a violation (the table's "partial": refused for good, counted, not retried), but Lambda does not
        # retry a partial ingestion, so these messages were stored only by the cell's retry with the fault gone
        "partial_not_stored_before_retry": sum(
            m.transcript_messages - m.history_before_retry for m in measured if m.outcome == PARTIAL
        ),
    }


def text_report(measured: Sequence[Measurement]) -> str:
    """The cells as a fixed-width table (an exception's class and message, the retry and any problem on lines
    under the cell), then the :func:`summary`."""
    columns = ("dependency", "fault", "function", "expected", "observed")
    rows = [(m, (m.dependency, m.fault, m.function, m.expected, m.outcome)) for m in measured]
    widths = [max([len(c), *(len(r[i]) for _, r in rows)]) + 2 for i, c in enumerate(columns)]
    head = "".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    head += f"{'s':>6} {'budget':>6}  PSR  EI  transcript stored/lost/twice  non-project  late  verdict"
    lines = [head, "-" * len(head)]
    for m, row in rows:
        transcript = f"{m.history}/{m.transcripts_lost}/{m.transcripts_duplicated}" if m.transcript_messages else "-"
        if m.transcript_messages and m.retry != "not needed":
            transcript += f" ({m.history_before_retry} before retry)"
        lines.append(
            "".join(v.ljust(w) for v, w in zip(row, widths, strict=True))
            + f"{m.seconds:>6.2f} {m.budget_seconds:>6.1f}  {m.psrs:>3}  {m.interactions:>2}  {transcript:<28}  "
            + f"{m.non_project_exceptions:>11}  {'yes' if m.after_budget else 'no':>4}  {'ok' if m.ok else 'DIFFERS'}"
        )
        if m.detail:
            lines.append(f"    raised {m.detail}")
        if m.waits_asked:
            lines.append(f"    waits asked between tries (s): {m.waits_asked}")
        if m.retry != "not needed":
            lines.append(f"    retry with the fault gone: {m.retry} {m.retry_detail}".rstrip())
        lines.extend(f"    PROBLEM {p}" for p in m.problems)
        if m.after_budget:
            lines.append(f"    PROBLEM answered after the budget ({m.seconds:.2f} s of {m.budget_seconds:g} s)")
    s = summary(measured)
    lines += ["", f"cells: {s['cells']}, matching the table: {s['matching']}"]
    lines.append("kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(s["kinds"].items())))
    lines.append("outcomes: " + ", ".join(f"{k} {n}" for k, n in sorted(s["outcomes"].items())))
    for function, slow in sorted(s["slowest_per_function"].items()):
        lines.append(
            f"slowest {function}: {slow['seconds']:.2f} s of a {slow['budget_seconds']:g} s budget ({slow['cell']}); "
            f"largest share of a budget {slow['share_of_budget']:.0%} ({slow['share_cell']})"
        )
    lines.append("violations: " + ", ".join(f"{k} {n}" for k, n in s["violations"].items()))
    lines.append(
        f"partial ingestions (refused for good, not retried by Lambda): {s['partial_not_stored_before_retry']} "
        "messages not stored before the cell's retry"
    )
    return "\n".join(lines)


def select(only: Sequence[str], faults: Sequence[str]) -> list[Cell]:
    return [c for c in CELLS if (not only or c.dependency.key in only) and (not faults or c.fault in faults)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.faults.measure",
        description="Run the fault matrix's cells on the local stand-ins and print each as measured: outcome, "
        "wall time against the budget, and the invariants (PSRs, EntryInteractions, transcript messages stored "
        "and lost, non-project exceptions, answers after the budget).",
        epilog="Exit status: 0 when every cell run matches tests/faults/matrix.py and breaks no invariant, "
        "1 otherwise, 2 for bad options. Progress on stderr.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (cells and summary) instead of a table")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="DEP",
        choices=[d.key for d in DEPENDENCIES],
        help="run only this dependency's cells (repeatable): " + ", ".join(d.key for d in DEPENDENCIES),
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=[f for f, _ in FAULTS],
        help="run only this fault's cells (repeatable): " + ", ".join(f for f, _ in FAULTS),
    )
    args = parser.parse_args(argv)
    cells = select(args.only, args.fault)
    measured: list[Measurement] = []
    print(f"starting the stand-ins for {len(cells)} cells", file=sys.stderr)
    with Standins.start() as standins:
        world = World(standins)
        try:
            for number, cell in enumerate(cells, start=1):
                with captured_handler_output(io.StringIO()):  # the handlers' log lines and metrics: dropped
                    m = measure(world, cell)
                measured.append(m)
                late = ["answered after the budget"] if m.after_budget else []
                verdict = "ok" if m.ok else "DIFFERS: " + "; ".join(m.problems + late)
                print(f"[{number}/{len(cells)}] {cell.id}: {m.outcome}, {m.seconds:.2f} s, {verdict}", file=sys.stderr)
        finally:
            world.stop()
    if args.json:
        print(json.dumps({"cells": [asdict(m) for m in measured], "summary": summary(measured)}, indent=1))
    else:
        print(text_report(measured))
    return 0 if all(m.ok for m in measured) else 1


if __name__ == "__main__":
    sys.exit(main())

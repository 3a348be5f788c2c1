"""The fault matrix (tests/faults/matrix.py): every dependency by every fault, run against the stand-ins.

Each cell: a fresh chat on the stand-ins (Salesforce emulator; moto and the Connect stand-in behind fault proxies),
one fault injected into the dependency, the function invoked as Connect or EventBridge would; the outcome must be
the table's. Then the retry (the flow's loop, or Lambda's) runs with the fault gone and must succeed, and what
Salesforce recorded must hold: at most one PSR per conversation and routing type, at most one EntryInteraction per
conversation, every transcript message stored exactly once.

No wall-clock assertion: a hang or a trickle lasts past the budget, so the expected outcome (the handler's own
error) shows that the handler gave up by itself, and the invocation's deadline is checked as computed (the Lambda
context's remaining time minus ``BUDGET_MARGIN_MS``), never as measured. Waits between retries are recorded, not
slept (``transport.SLEEP``, ``aws.SLEEP``), and a ``Retry-After`` cell asserts the wait asked for.
``FAULT_MATRIX_JSON=path`` writes the outcome and time of every cell (the time is a record, not a check).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connect_omni import aws, container
from connect_omni.budget import Budget
from connect_omni.errors import ConnectOmniError
from connect_omni.salesforce import transport
from localdev.demo import bot_only_transcript, disconnected_event, transcript_key
from localdev.fault_proxy import FaultProxy
from localdev.standins import Standins
from tests.conftest import LambdaContext
from tests.faults import matrix
from tests.faults.flows import flow_event
from tests.faults.matrix import CELLS, FALLBACK, INGESTED, OK, PARTIAL, Cell, flow_error, lambda_retries

REPORT: list[dict[str, Any]] = []


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


@pytest.fixture(scope="module")
def world(module_standins: Standins) -> Iterator[World]:
    w = World(module_standins)
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture
def env(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with world.standins.environment():
        for name, value in world.env().items():
            monkeypatch.setitem(os.environ, name, value)
        monkeypatch.setattr(transport, "SLEEP", world.sleeps.append)
        monkeypatch.setattr(aws, "SLEEP", world.sleeps.append)
        world.reset()
        yield world


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

    def outcome(self, budget_ms: int) -> str:
        ingest = self.function == "ingest"
        try:
            answer = self.invoke(budget_ms)
        except ConnectOmniError as exc:
            return lambda_retries(type(exc).__name__) if ingest else flow_error(type(exc).__name__)
        if ingest:
            status = answer.get("status")
            return {"ingested": INGESTED, "partial": PARTIAL}.get(status, f"summary {status}: {answer}")
        assert all(isinstance(v, str) and v for v in answer.values()), answer
        if self.function.startswith("route") and "externalQueueId" not in answer:
            return FALLBACK
        return OK


def check_records(chat: Chat) -> dict[str, Any]:
    """What Salesforce holds must be one of everything; returns it for the report."""
    state = chat.standins.salesforce.state
    psrs = chat.standins.salesforce.psr_counts()
    assert all(n <= 1 for by_type in psrs.values() for n in by_type.values()), f"duplicate PSR: {psrs}"
    interactions = {conv: len(items) for conv, items in state["interactions"].items()}
    assert all(n <= 1 for n in interactions.values()), f"duplicate EntryInteraction: {interactions}"
    history = {conv: [e["entryPayload"]["id"] for e in entries] for conv, entries in state["history"].items()}
    if chat.function == "ingest":
        (ids,) = [v for v in history.values() if v] or [[]]
        assert len(ids) == len(set(ids)) == chat.messages, f"history: {len(ids)} of {chat.messages} messages"
    return {
        "psrs": sum(n for t in psrs.values() for n in t.values()),
        "interactions": sum(interactions.values()),
        "history": sum(len(v) for v in history.values()),
    }


def record_budgets(monkeypatch: pytest.MonkeyPatch) -> list[tuple[LambdaContext, int, Budget]]:
    """Record every ``(context, margin_ms, budget)`` of :meth:`Budget.from_context` from now on."""
    made: list[tuple[LambdaContext, int, Budget]] = []
    from_context = Budget.from_context.__func__

    def recording(cls: type[Budget], context: LambdaContext, margin_ms: int, init_s: float = 0.0) -> Budget:
        budget = from_context(cls, context, margin_ms, init_s)
        made.append((context, margin_ms, budget))
        return budget

    monkeypatch.setattr(Budget, "from_context", classmethod(recording))
    return made


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_cell(env: World, cell: Cell, monkeypatch: pytest.MonkeyPatch) -> None:
    chat = Chat(env, cell)
    chat.prepare()
    inject(env, cell)
    budgets = record_budgets(monkeypatch)
    began = time.monotonic()
    outcome = chat.outcome(cell.budget_ms)
    elapsed = time.monotonic() - began
    budgets_made = list(budgets)
    sent = [
        f"{r.method} {r.path}"
        for r in env.target(cell.dependency.target).requests
        if r.path.startswith(cell.dependency.path)
    ]
    sleeps = list(env.sleeps)
    env.clear_faults()
    retry = chat.outcome(8000) if outcome not in (OK, INGESTED) else "not needed"
    records = check_records(chat)
    REPORT.append(
        {
            "cell": cell.id,
            "dependency": cell.dependency.key,
            "fault": cell.fault,
            "outcome": outcome,
            "expected": cell.expected,
            "seconds": round(elapsed, 3),
            "sent": sent,
            "waits_asked": sleeps,
            "retry": retry,
            **records,
        }
    )
    assert outcome == cell.expected, f"{cell.id}: {outcome} (sent {sent})"
    ((context, margin_ms, budget),) = budgets_made  # the faulted invocation's own budget
    assert (context.budget_ms, margin_ms) == (cell.budget_ms, 600)
    # from_context reads the clock before the context does, and the context's milliseconds are truncated, so
    # the deadline can only be at or before the context's start + its budget - the margin:
    assert budget.deadline <= context._start + (cell.budget_ms - margin_ms) / 1000 + 1e-9, (
        f"{cell.id}: deadline past the budget"
    )
    assert retry in ("not needed", OK, INGESTED, FALLBACK), f"{cell.id}: the retry ended {retry}"
    if cell.fault == "429" and outcome in (OK, INGESTED, FALLBACK):
        assert 1.0 in sleeps, f"{cell.id}: Retry-After not honoured (waits {sleeps})"


def test_docs_table_matches_the_matrix() -> None:
    assert matrix.page_section(matrix.DOC.read_text()) == matrix.markdown(), (
        "docs/failures.md is stale: run python -m tests.faults.matrix --write"
    )


def test_write_the_report() -> None:
    if os.environ.get("FAULT_MATRIX_JSON") and REPORT:
        with open(os.environ["FAULT_MATRIX_JSON"], "w") as handle:
            json.dump(REPORT, handle, indent=1)

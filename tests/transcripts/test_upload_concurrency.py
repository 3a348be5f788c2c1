"""The upload's schedule: the newest batch alone first, then the rest newest first, bounded concurrency;
exactly once whatever the interleaving (deterministic batches, 10073 = already stored)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from connect_omni.budget import Budget
from connect_omni.errors import SalesforceError, SalesforceUnavailableError
from connect_omni.models.transcript import Transcript
from connect_omni.transcripts import plan_history, split_batches, upload_history

CONTACT = "0f7e6d5c-4b3a-4291-8f7e-6d5c4b3a2918"
CHANNEL = "5e8a7a3c-1f2b-4c3d-9e4f-5a6b7c8d9e0f"


def plan_of(n: int):
    start = datetime.now(UTC) - timedelta(minutes=10)
    items = [
        {
            "AbsoluteTime": (start + timedelta(seconds=k)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "Content": f"message {k}",
            "ContentType": "text/plain",
            "Id": f"00000000-0000-4000-8000-{k:012d}",
            "Type": "MESSAGE",
            "ParticipantId": "cust" if k % 2 else "bot",
            "DisplayName": "Jane" if k % 2 else "BOT",
            "ParticipantRole": "CUSTOMER" if k % 2 else "CUSTOM_BOT",
        }
        for k in range(n)
    ]
    doc = {"Version": "2019-08-26", "ContactId": CONTACT, "InitialContactId": CONTACT, "Transcript": items}
    return plan_history(Transcript.parse(json.dumps(doc)), CONTACT)


class FakeClient:
    """``add_conversation_history`` like Salesforce: stores entry ids, 10073 for a known one; thread-safe.

    ``gate`` (a Barrier of n) holds calls 2..n+1 until n of them are in flight at once.
    """

    def __init__(self, *, gate: threading.Barrier | None = None, fail_batches: dict[int, int] | None = None):
        self.lock = threading.Lock()
        self.stored: dict[str, int] = {}
        self.bodies: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.completed_before: list[int] = []  # completed calls when each call started
        self.completed = 0
        self.gate = gate
        self.fail_batches = dict(fail_batches or {})  # index of the batch in the split -> status to raise
        self.batch_index: dict[str, int] = {}

    def add_conversation_history(self, body: dict, budget: Budget) -> dict:
        ids = [e["entryPayload"]["id"] for e in body["conversationEntries"]]
        with self.lock:
            self.bodies.append(body)
            self.completed_before.append(self.completed)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            started = len(self.bodies)
            status = self.fail_batches.get(self.batch_index.get(ids[0], -1))
        try:
            if self.gate is not None and 1 < started <= 1 + self.gate.parties:
                self.gate.wait(timeout=30)  # liveness bound only: passes as soon as enough calls overlap
            if status:
                raise SalesforceUnavailableError("POST /api/v1/conversationHistory", status=status)
            with self.lock:
                if any(i in self.stored for i in ids):
                    raise SalesforceError("POST /api/v1/conversationHistory", status=400, code="10073")
                for i in ids:
                    self.stored[i] = self.stored.get(i, 0) + 1
            return {}
        finally:
            with self.lock:
                self.in_flight -= 1
                self.completed += 1


def test_the_newest_batch_goes_alone_then_the_rest_newest_first_at_most_n_at_a_time():
    plan = plan_of(60)
    batches = split_batches(plan.messages, 5)
    client = FakeClient(gate=threading.Barrier(4))
    result = upload_history(client, CHANNEL, plan, 5, Budget.of_seconds(60), concurrency=4)

    assert result.uploaded == 60 and result.requests == len(batches) == 12
    first = [e["entryPayload"]["id"] for e in client.bodies[0]["conversationEntries"]]
    assert first == [m.entry_id for m in batches[0]]  # the newest batch...
    assert client.completed_before[1] == 1  # ...answered before any other request started
    assert client.max_in_flight == 4  # the gate proves 4 overlapped; never more
    sent = [[e["entryPayload"]["id"] for e in b["conversationEntries"]] for b in client.bodies]
    assert sorted(map(tuple, sent)) == sorted(tuple(m.entry_id for m in b) for b in batches)  # the same split
    # newest first: submitted in order, so a batch starts at most (concurrency - 1) places from its rank
    order = [next(i for i, b in enumerate(batches) if b[0].entry_id == ids[0]) for ids in sent]
    assert order[0] == 0
    assert all(abs(position - rank) < 4 for position, rank in enumerate(order)), order


def test_a_transient_failure_stops_new_requests_and_the_retry_completes_exactly_once():
    plan = plan_of(60)
    batches = split_batches(plan.messages, 5)
    client = FakeClient(fail_batches={3: 503})
    client.batch_index = {b[0].entry_id: i for i, b in enumerate(batches)}
    with pytest.raises(SalesforceUnavailableError):
        upload_history(client, CHANNEL, plan, 5, Budget.of_seconds(60), concurrency=3)
    assert len(client.bodies) < len(batches)  # stopped submitting after the failure
    assert all(n == 1 for n in client.stored.values())

    client.fail_batches = {}
    retry = upload_history(client, CHANNEL, plan, 5, Budget.of_seconds(60), concurrency=3)
    assert retry.uploaded + retry.duplicates == 60
    assert retry.duplicates == sum(1 for _ in client.stored) - retry.uploaded
    assert sorted(client.stored) == sorted(m.entry_id for m in plan.messages)
    assert all(n == 1 for n in client.stored.values())  # every entry stored once


def test_a_redelivery_sends_the_same_batches_and_counts_every_entry_as_duplicate():
    plan = plan_of(23)
    client = FakeClient()
    upload_history(client, CHANNEL, plan, 5, Budget.of_seconds(60), concurrency=8)
    first = sorted(json.dumps(b, sort_keys=True) for b in client.bodies)
    again = upload_history(client, CHANNEL, plan, 5, Budget.of_seconds(60), concurrency=2)
    assert again.duplicates == 23 and again.uploaded == 0
    assert sorted(json.dumps(b, sort_keys=True) for b in client.bodies[len(first) :]) == first


def test_concurrency_one_is_the_sequential_newest_first_upload():
    plan = plan_of(20)
    client = FakeClient()
    upload_history(client, CHANNEL, plan, 5, Budget.of_seconds(60), concurrency=1)
    assert client.max_in_flight == 1
    assert client.completed_before == list(range(len(client.bodies)))
    sent = [e["entryPayload"]["id"] for b in client.bodies for e in b["conversationEntries"]]
    assert sent == [m.entry_id for m in plan.messages]


# Through the real client and transport (the `world` of test_transcript_ingestion: responses + FakeHistory) ----


def test_a_429_in_the_concurrent_phase_is_retried_and_every_entry_is_stored_once(world, monkeypatch):
    from connect_omni import container
    from tests.transcripts.test_transcript_ingestion import event_for, invoke, long_transcript

    monkeypatch.setenv("HISTORY_CONCURRENCY", "4")
    container.settings.cache_clear()  # keep the stubbed Connect client
    transcript = long_transcript(60)
    world.expect_attributes()
    world.put_transcript(transcript)
    world.history.failures[1] = [429]  # the newest batch, sent alone
    world.history.failures[5] = [429, 503]  # whichever batch is the fifth to be sent
    summary = invoke(world, event_for(transcript, world))
    assert summary["status"] == "ingested"
    assert summary["uploaded"] == 60 and summary["duplicates"] == 0
    assert len(world.history.stored) == 60
    assert len(world.history.requests) == len(world.history.distinct_requests()) + 3  # the three refused tries

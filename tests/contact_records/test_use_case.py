"""The use case with a fake Salesforce adapter: what is sent, in how many requests, and each record's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from connect_omni.budget import Budget
from connect_omni.contact_records import BatchReport, ContactRecordNotStoredError, store_contact_records
from connect_omni.errors import BudgetExhaustedError, SalesforceError, SalesforceUnavailableError
from connect_omni.models.ctr import CONTACT_ID_FIELD, LAST_UPDATE_FIELD
from connect_omni.salesforce.contact_records import RecordError, UpsertResult
from tests.conftest import CALL_CENTER_ID
from tests.contact_records.kinesis import at, ctr, event, record


@dataclass
class FakeStore:
    """Stores upserted records by contact id; scripted failures per contact id or per request."""

    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, datetime | None] = field(default_factory=dict)
    upserts: list[list[dict[str, Any]]] = field(default_factory=list)
    queries: list[list[str]] = field(default_factory=list)
    record_errors: dict[str, str] = field(default_factory=dict)  # contact id -> statusCode
    request_errors: list[Exception | None] = field(default_factory=list)  # per upsert request, in order
    query_errors: list[Exception | None] = field(default_factory=list)

    def upsert(self, records, budget):
        self.upserts.append(list(records))
        error = self.request_errors.pop(0) if self.request_errors else None
        if error is not None:
            raise error
        results = []
        for fields in records:
            contact_id = fields[CONTACT_ID_FIELD]
            code = self.record_errors.get(contact_id)
            if code:
                results.append(UpsertResult(False, None, None, (RecordError(code, "value quoted here", ("f",)),)))
                continue
            created = contact_id not in self.stored
            self.stored[contact_id] = dict(fields)
            results.append(UpsertResult(True, f"a0C{len(self.stored):012d}", created, ()))
        return results

    def stored_versions(self, contact_ids, budget):
        self.queries.append(list(contact_ids))
        error = self.query_errors.pop(0) if self.query_errors else None
        if error is not None:
            raise error
        return {c: self.versions[c] for c in contact_ids if c in self.versions}


def run(store: FakeStore, *records: dict, budget: Budget | None = None) -> BatchReport:
    evt = event(*records)
    return store_contact_records(
        [KinesisStreamRecord(r) for r in evt["Records"]],
        budget or Budget.of_seconds(30),
        call_center_id=CALL_CENTER_ID,
        store=store,
    )


def seq(r: dict) -> str:
    return r["kinesis"]["sequenceNumber"]


def sent_ids(store: FakeStore) -> list[str]:
    return [f[CONTACT_ID_FIELD] for batch in store.upserts for f in batch]


def test_a_mixed_batch_sends_only_this_call_centers_sccac_contacts():
    ours = record(ctr("ours-1"))
    ours_too = record(ctr("ours-2"))
    other_source = record(ctr("other-source", source="SomethingElse"))
    no_source = record(ctr("no-source", source=None))
    other_center = record(ctr("other-center", call_center_id="04v5g000000OtherAAA"))
    no_attributes = record(ctr("no-attributes", Attributes=None))
    poison = record("this is not base64 JSON")
    store = FakeStore()
    report = run(store, ours, other_source, poison, no_source, other_center, ours_too, no_attributes)

    assert sent_ids(store) == ["ours-1", "ours-2"]
    assert len(store.upserts) == 1 and store.queries == [["ours-1", "ours-2"]]
    assert report.outcomes == {
        seq(ours): "stored",
        seq(other_source): "skipped",
        seq(poison): "invalid",
        seq(no_source): "skipped",
        seq(other_center): "skipped",
        seq(ours_too): "stored",
        seq(no_attributes): "skipped",
    }
    assert report.failed == [] and report.created == 2 and report.requests == 2


def test_a_batch_with_nothing_of_ours_makes_no_salesforce_call():
    store = FakeStore()
    report = run(store, ctr(source="SomethingElse"), record(b"\x00\x01"), ctr(call_center_id="04v000000000000"))
    assert store.upserts == [] and store.queries == [] and report.requests == 0
    assert report.counts() == {**dict.fromkeys(report.counts(), 0), "skipped": 2, "invalid": 1}


def test_only_the_newest_copy_of_a_contact_is_sent_whatever_the_stream_order():
    v2 = record(ctr("A", updated=at(20), DisconnectReason="AGENT_DISCONNECT"))
    v1 = record(ctr("A", updated=at(10)))
    v3 = record(ctr("A", updated=at(30), DisconnectReason="CUSTOMER_DISCONNECT"))
    late_v1 = record(ctr("A", updated=at(10)))
    b_first = record(ctr("B", updated=at(5), Channel="CHAT"))
    b_same_second = record(ctr("B", updated=at(5), Channel="TASK"))  # same timestamp: later in the stream wins
    store = FakeStore()
    report = run(store, v2, b_first, v1, v3, b_same_second, late_v1)

    assert sent_ids(store) == ["A", "B"]
    sent = {f[CONTACT_ID_FIELD]: f for f in store.upserts[0]}
    assert sent["A"][LAST_UPDATE_FIELD] == "2025-03-15T00:08:32Z"
    assert sent["A"]["awsac__DisconnectReason_Revamped__c"] == "CUSTOMER_DISCONNECT"
    assert sent["B"]["awsac__Channel_Revamped__c"] == "TASK"
    assert report.outcomes[seq(v3)] == report.outcomes[seq(b_same_second)] == "stored"
    assert {report.outcomes[seq(r)] for r in (v2, v1, late_v1, b_first)} == {"superseded"}


def test_an_older_copy_than_salesforce_holds_is_not_sent_an_equal_or_newer_one_is():
    store = FakeStore(versions={"older-here": at(60), "same": at(0), "newer-here": at(-60), "no-version": None})
    older = record(ctr("older-here", updated=at(0)))
    same = record(ctr("same", updated=at(0)))
    newer = record(ctr("newer-here", updated=at(0)))
    unversioned = record(ctr("no-version", updated=at(0)))
    new = record(ctr("new", updated=at(0)))
    report = run(store, older, same, newer, unversioned, new)

    assert sent_ids(store) == ["same", "newer-here", "no-version", "new"]
    assert report.outcomes[seq(older)] == "stale"
    assert report.failed == []


@pytest.mark.parametrize(("contacts", "requests"), [(200, [200]), (201, [200, 1]), (450, [200, 200, 50])])
def test_up_to_200_records_per_request(contacts, requests):
    store = FakeStore()
    report = run(store, *[ctr(f"c-{i:04d}") for i in range(contacts)])
    assert [len(batch) for batch in store.upserts] == requests
    assert [len(q) for q in store.queries] == requests
    assert sent_ids(store) == [f"c-{i:04d}" for i in range(contacts)]
    assert report.counts()["stored"] == contacts


def test_a_transient_record_error_fails_exactly_that_record_and_a_permanent_one_is_dropped():
    store = FakeStore(record_errors={"locked": "UNABLE_TO_LOCK_ROW", "too-long": "STRING_TOO_LONG"})
    fine = record(ctr("fine"))
    locked = record(ctr("locked"))
    too_long = record(ctr("too-long"))
    also_fine = record(ctr("also-fine"))
    report = run(store, fine, locked, too_long, also_fine)

    assert report.failed == [seq(locked)]
    assert report.outcomes[seq(too_long)] == "rejected"
    assert set(store.stored) == {"fine", "also-fine"}
    with pytest.raises(ContactRecordNotStoredError):
        report.raise_if_not_stored(KinesisStreamRecord(locked))
    report.raise_if_not_stored(KinesisStreamRecord(too_long))  # not retried: it never could be stored
    report.raise_if_not_stored(KinesisStreamRecord(fine))


def test_when_the_newest_copy_fails_only_it_is_reported():
    store = FakeStore(record_errors={"A": "UNABLE_TO_LOCK_ROW"})
    old = record(ctr("A", updated=at(0)))
    new = record(ctr("A", updated=at(5)))
    report = run(store, old, new)
    assert report.failed == [seq(new)]
    assert report.outcomes[seq(old)] == "superseded"


def test_salesforce_unavailable_fails_that_request_and_every_later_one_unsent():
    store = FakeStore(request_errors=[None, SalesforceUnavailableError("PATCH x", status=503)])
    records = [record(ctr(f"c-{i:03d}")) for i in range(450)]
    report = run(store, *records)

    assert [len(batch) for batch in store.upserts] == [200, 200]  # the third request is not attempted
    assert report.failed == [seq(r) for r in records[200:]]
    assert set(store.stored) == {f"c-{i:03d}" for i in range(200)}


def test_a_request_refused_as_a_whole_fails_its_records_and_the_next_request_still_goes():
    store = FakeStore(request_errors=[SalesforceError("PATCH x", status=400, code="INVALID_FIELD")])
    records = [record(ctr(f"c-{i:03d}")) for i in range(250)]
    report = run(store, *records)
    assert [len(batch) for batch in store.upserts] == [200, 50]
    assert report.failed == [seq(r) for r in records[:200]]
    assert report.counts()["stored"] == 50


def test_a_failed_read_of_stored_versions_fails_those_records_without_upserting_them():
    store = FakeStore(query_errors=[SalesforceUnavailableError("SOQL x", status=500)])
    records = [record(ctr(f"c-{i:03d}")) for i in range(3)]
    report = run(store, *records)
    assert store.upserts == []
    assert report.failed == [seq(r) for r in records]


def test_an_exhausted_budget_fails_the_rest():
    store = FakeStore(request_errors=[BudgetExhaustedError("no time")])
    records = [record(ctr(f"c-{i}")) for i in range(3)]
    report = run(store, *records)
    assert report.failed == [seq(r) for r in records]


def test_summary_counts_every_record_once():
    store = FakeStore(
        record_errors={"locked": "UNABLE_TO_LOCK_ROW", "bad": "FIELD_CUSTOM_VALIDATION_EXCEPTION"},
        versions={"stale": at(100)},
    )
    records = [
        ctr("ok"), ctr("locked"), ctr("bad"), ctr("stale"), ctr("dup", updated=at(0)), ctr("dup", updated=at(1)),
        ctr(source="Other"), record("%%%"),
    ]  # fmt: skip
    report = run(store, *records)
    assert report.counts() == {
        "invalid": 1,
        "skipped": 1,
        "superseded": 1,
        "stale": 1,
        "stored": 2,
        "rejected": 1,
        "failed": 1,
    }
    assert sum(report.counts().values()) == len(records)
    assert report.summary()["failedRecords"] == report.failed

"""A chat's life ends in its contact record: the inbound flow runs (flow runner, real handlers, stand-ins), then
Connect streams the contact's record, and ContactTraceRecordFunction stores it in
``awsac__SCC_ContactTraceRecord__c`` — through a mixed batch, duplicates, a poison record and a transient failure.

The CTR is made from what the run left on the contact (the attributes CreateMessagingSession and Routing set, the
queue it reached), as Connect would write it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from localdev.ctr_stream import chat_ctr, kinesis_record
from localdev.flows.runner import RunResult
from localdev.standins import Standins
from tests.contact_records.kinesis import failures
from tests.scenarios.conftest import Runner

OBJECT = "awsac__SCC_ContactTraceRecord__c"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:111122223333:function:ContactTraceRecordFunction"


def contact_record(standins: Standins, contact_id: str, result: RunResult, *, minutes_after: int) -> dict:
    """The CTR of a chat that ran through the flow, ``minutes_after`` its end (its LastUpdateTimestamp)."""
    attributes = dict(result.attributes)
    ended = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
    record = chat_ctr(
        contact_id,
        instance_arn=standins.instance_arn,
        call_center_id=attributes.pop("callCenterId"),
        source=attributes.pop("source"),
        attributes=attributes,
        ended=ended,
        queue_arn=result.queue,
    )
    record["LastUpdateTimestamp"] = (ended + timedelta(minutes=minutes_after)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return record


def invoke(records: list[dict]) -> dict:
    from connect_omni.handlers.contact_trace_record import lambda_handler
    from localdev.flows.lambdas import FakeLambdaContext

    return lambda_handler({"Records": records}, FakeLambdaContext(FUNCTION_ARN, 60))


def test_a_routed_chat_ends_in_its_contact_record_whatever_the_stream_delivers(standins: Standins, flow: Runner):
    chats = [flow.chat(), flow.chat()]
    results = [flow("inbound", contact) for contact in chats]
    assert all(r.queue == standins.queues[0].connect_queue_arn for r in results)
    first, second = (c.contact_id for c in chats)

    # The batch: the first chat's copy at its end and after after-contact work (twice: at-least-once delivery),
    # another integration's contact, something that is not a CTR, and the second chat.
    at_end = kinesis_record(contact_record(standins, first, results[0], minutes_after=0))
    later = contact_record(standins, first, results[0], minutes_after=2)
    later_again = kinesis_record(later)
    later = kinesis_record(later)
    other = chat_ctr(
        "other-integration-contact",
        instance_arn=standins.instance_arn,
        call_center_id=standins.call_center_id,
        ended=datetime(2025, 3, 15, 12, 0, tzinfo=UTC),
        source="SomeOtherIntegration",
    )
    batch = [at_end, kinesis_record(other), later, kinesis_record(b"\x00garbage"), later_again]
    batch.append(kinesis_record(contact_record(standins, second, results[1], minutes_after=1)))
    sf = standins.salesforce
    requests_before = len(sf.requests)

    # A transient failure first: the second chat's row is locked; exactly its record is reported.
    sf.fail_records(OBJECT, "UNABLE_TO_LOCK_ROW", external_ids=[second])
    answer = invoke(batch)
    assert failures(answer) == [batch[5]["kinesis"]["sequenceNumber"]]
    stored = {r["awsac__ContactId__c"]: r for r in sf.records(OBJECT)}
    assert set(stored) == {first}
    assert stored[first]["awsac__LastUpdateTimestamp__c"] == "2025-03-15T12:02:00.000+0000"  # the later copy
    assert stored[first]["awsac__Attributes__c"].count(results[0].attributes["conversationIdentifier"]) == 1
    assert stored[first]["awsac__QueueARN__c"] == standins.queues[0].connect_queue_arn
    upserts = [r for r in sf.requests[requests_before:] if r.method == "PATCH"]
    assert [[rec["awsac__ContactId__c"] for rec in u.body["records"]] for u in upserts] == [[first, second]]

    # Lambda retries from the failed record on: the second chat is stored, nothing is duplicated.
    assert invoke(batch[5:]) == {"batchItemFailures": []}
    assert sorted(r["awsac__ContactId__c"] for r in sf.records(OBJECT)) == sorted([first, second])

    # The whole batch delivered again (a replay): nothing older replaces what is stored, still two records.
    assert invoke(batch) == {"batchItemFailures": []}
    stored = {r["awsac__ContactId__c"]: r for r in sf.records(OBJECT)}
    assert len(stored) == 2
    assert stored[first]["awsac__LastUpdateTimestamp__c"] == "2025-03-15T12:02:00.000+0000"

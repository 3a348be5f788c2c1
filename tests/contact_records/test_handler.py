"""ContactTraceRecordFunction end to end: the real handler, the real transport and token, the Salesforce emulator.

Each test sends Kinesis events to ``lambda_handler`` and asserts on the partial batch response, on the requests
the emulator received and on the records it stored. No ``moto.mock_aws`` here (it would wipe the stand-ins'
moto data).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator

import pytest

from connect_omni.handlers.contact_trace_record import lambda_handler
from localdev.demo import captured_handler_output
from localdev.standins import Standins
from tests.conftest import LambdaContext
from tests.contact_records.kinesis import at, ctr, event, failures, fixture, record, sequence_numbers

pytestmark = pytest.mark.standins

OBJECT = "awsac__SCC_ContactTraceRecord__c"
EXT = "awsac__ContactId__c"
COLLECTIONS = "/services/data/v62.0/composite/sobjects"
QUERY = "/services/data/v62.0/query"


@pytest.fixture
def sf(module_standins: Standins) -> Iterator:
    """The emulator, reset, with the handlers' environment set (cold container per test)."""
    module_standins.reset()
    with module_standins.environment():
        yield module_standins.salesforce


def ours(contact_id: str | None = None, **kwargs) -> dict:
    """A CTR of the stand-ins' call center (``callCenterId`` is the stand-ins' own)."""
    return ctr(contact_id, call_center_id=os.environ["CALL_CENTER_ID"], **kwargs)


def invoke(evt: dict, budget_ms: int = 20_000, output: io.StringIO | None = None) -> dict:
    """Call the handler; what it writes (Powertools log lines, EMF metrics) goes to ``output`` when given."""
    with captured_handler_output(output if output is not None else io.StringIO()):
        return lambda_handler(evt, LambdaContext(budget_ms=budget_ms))


def stored(sf) -> dict[str, dict]:
    return {r[EXT]: r for r in sf.records(OBJECT)}


def patches(sf) -> list:
    return [r for r in sf.requests_to(COLLECTIONS) if r.method == "PATCH"]


def test_a_mixed_batch_of_real_shaped_ctrs(sf):
    call_center = os.environ["CALL_CENTER_ID"]
    with_agent = fixture("ctr_chat_with_agent.json") | {"Attributes": {"source": "SCCAC", "callCenterId": call_center}}
    abandoned = fixture("ctr_chat_abandoned.json")
    abandoned["Attributes"]["callCenterId"] = call_center
    other_source = ours(source="VoiceIVR")
    other_center = ctr(call_center_id="04v5g000000OtherAAA")
    poison = record(b"\x89PNG not a CTR")
    evt = event(with_agent, other_source, poison, abandoned, other_center)

    output = io.StringIO()
    response = invoke(evt, output=output)

    assert response == {"batchItemFailures": []}
    records = stored(sf)
    assert sorted(records) == sorted([with_agent["ContactId"], abandoned["ContactId"]])
    agent_record = records[with_agent["ContactId"]]
    assert agent_record["awsac__AgentUsername__c"] == "jdoe"
    assert agent_record["awsac__QueueDuration__c"] == 30
    assert agent_record["awsac__Channel__c"] == "DEPRECATED"
    assert agent_record["awsac__LastUpdateTimestamp__c"] == "2025-03-15T00:08:02.000+0000"
    assert records[abandoned["ContactId"]]["awsac__AgentARN__c"] is None
    # One SOQL read of the stored versions, one upsert of both records (plus the token grant).
    assert [r.path.rstrip("/") for r in sf.requests] == [
        "/services/oauth2/token",
        QUERY,
        f"{COLLECTIONS}/{OBJECT}/{EXT}",
    ]
    body = patches(sf)[0].body
    assert body["allOrNone"] is False
    assert [r["attributes"] for r in body["records"]] == [{"type": OBJECT}, {"type": OBJECT}]
    assert [r[EXT] for r in body["records"]] == [with_agent["ContactId"], abandoned["ContactId"]]
    metrics = [json.loads(line) for line in output.getvalue().splitlines() if '"_aws"' in line]
    values = {k: v for m in metrics for k, v in m.items() if k.startswith("ContactRecords")}
    assert values == {
        "ContactRecordsInvalid": [1.0],
        "ContactRecordsSkipped": [2.0],
        "ContactRecordsSuperseded": [0.0],
        "ContactRecordsStale": [0.0],
        "ContactRecordsStored": [2.0],
        "ContactRecordsRejected": [0.0],
        "ContactRecordsFailed": [0.0],
    }


def test_logs_name_contacts_and_never_attribute_values(sf):
    secret = "jane.doe@example.com +44 7700 900123"
    attributes = {"source": "SCCAC", "callCenterId": os.environ["CALL_CENTER_ID"], "email": secret}
    evt = event(ours("contact-logged", Attributes=attributes), ours("too-long", Queue={"Name": "Q" * 300 + secret}))
    output = io.StringIO()
    response = invoke(evt, output=output)
    out = output.getvalue()
    assert secret not in out
    assert "contact-logged" in out and "too-long" in out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"level"' in line]
    rejected = next(line for line in lines if line["message"].startswith("Contact record rejected"))
    assert rejected["contact_id"] == "too-long"
    assert rejected["errors"] == [{"status_code": "STRING_TOO_LONG", "fields": ["awsac__QueueName__c"]}]
    assert response == {"batchItemFailures": []}  # rejected: never storable as it is, so not retried
    assert sorted(stored(sf)) == ["contact-logged"]


def test_duplicates_within_a_batch_and_across_batches(sf):
    v1 = ours("A", updated=at(0), DisconnectReason=None)
    v2 = ours("A", updated=at(30), DisconnectReason="CUSTOMER_DISCONNECT")
    v3 = ours("A", updated=at(90), DisconnectReason="AGENT_DISCONNECT")

    assert invoke(event(v2, v1, v2)) == {"batchItemFailures": []}
    assert stored(sf)["A"]["awsac__DisconnectReason_Revamped__c"] == "CUSTOMER_DISCONNECT"
    assert len(patches(sf)[0].body["records"]) == 1

    # An old copy delivered again after the newer one was stored: read, found older, not sent.
    before = len(patches(sf))
    assert invoke(event(v1)) == {"batchItemFailures": []}
    assert len(patches(sf)) == before
    assert stored(sf)["A"]["awsac__LastUpdateTimestamp__c"] == "2025-03-15T00:08:32.000+0000"

    # The same copy again: written again (an upsert of equal data), still one record.
    assert invoke(event(v2)) == {"batchItemFailures": []}
    assert invoke(event(v3)) == {"batchItemFailures": []}
    assert len(sf.records(OBJECT)) == 1
    assert stored(sf)["A"]["awsac__DisconnectReason_Revamped__c"] == "AGENT_DISCONNECT"


def test_a_poison_record_alone_makes_no_call_and_is_not_retried(sf):
    evt = event(record("%%% not base64"), record(b'{"no": "ContactId"}'), record(b"[1,2,3]"))
    assert invoke(evt) == {"batchItemFailures": []}
    assert sf.requests == []


def test_salesforce_down_reports_exactly_the_batchs_records_to_send_then_a_retry_stores_them(sf):
    batch = event(ours("c-1"), ctr(source="Other"), ours("c-2"), record("garbage"), ours("c-3"))
    seqs = sequence_numbers(batch)
    sf.fail_next(COLLECTIONS, 503, times=3)  # SALESFORCE_MAX_ATTEMPTS = 3: every try of the one upsert

    response = invoke(batch)

    assert failures(response) == [seqs[0], seqs[2], seqs[4]]
    assert [r.status for r in patches(sf)] == [503, 503, 503]
    assert sf.records(OBJECT) == []
    # Lambda retries from the oldest failed record: the same records come again and are stored.
    assert invoke(event(*batch["Records"])) == {"batchItemFailures": []}
    assert sorted(stored(sf)) == ["c-1", "c-2", "c-3"]


def test_a_short_outage_is_absorbed_by_the_transports_retries(sf):
    sf.fail_next(COLLECTIONS, 503, times=2)
    assert invoke(event(ours("c-1"), ours("c-2"))) == {"batchItemFailures": []}
    assert [r.status for r in patches(sf)] == [503, 503, 200]
    assert sorted(stored(sf)) == ["c-1", "c-2"]


def test_a_transient_per_record_error_reports_exactly_that_record(sf):
    batch = event(ours("before"), ours("locked"), ours("after"))
    seqs = sequence_numbers(batch)
    sf.fail_records(OBJECT, "UNABLE_TO_LOCK_ROW", external_ids=["locked"])

    response = invoke(batch)

    assert failures(response) == [seqs[1]]
    assert sorted(stored(sf)) == ["after", "before"]
    # Lambda resends from the failed record on: "locked" is stored, "after" is written again, no duplicate.
    assert invoke(event(*batch["Records"][1:])) == {"batchItemFailures": []}
    assert sorted(stored(sf)) == ["after", "before", "locked"]
    assert len(sf.records(OBJECT)) == 3


def test_201_records_take_two_upserts(sf):
    evt = event(*[ours(f"c-{i:03d}") for i in range(201)])
    assert invoke(evt) == {"batchItemFailures": []}
    assert [len(r.body["records"]) for r in patches(sf)] == [200, 1]
    assert len(sf.requests_to(QUERY)) == 2
    assert len(sf.records(OBJECT)) == 201


def test_a_revoked_token_is_granted_again_and_the_batch_stored(sf):
    assert invoke(event(ours("first"))) == {"batchItemFailures": []}
    sf.revoke_tokens()
    assert invoke(event(ours("second"))) == {"batchItemFailures": []}
    assert sorted(stored(sf)) == ["first", "second"]
    assert [r.path for r in sf.requests].count("/services/oauth2/token") == 2


def test_a_hung_salesforce_fails_the_records_within_the_budget(sf, monkeypatch):
    monkeypatch.setenv("BUDGET_MARGIN_MS", "200")
    sf.delay(COLLECTIONS, 30, times=1)
    evt = event(ours("c-1"), ours("c-2"))
    response = invoke(evt, budget_ms=1500)
    assert failures(response) == sequence_numbers(evt)


def test_not_a_kinesis_event_is_answered_with_no_failures(sf):
    assert invoke({"source": "aws.events"}) == {"batchItemFailures": []}
    assert invoke({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}) == {"batchItemFailures": []}
    assert invoke({"Records": []}) == {"batchItemFailures": []}
    assert sf.requests == []


def test_bad_configuration_fails_the_invocation(sf, monkeypatch):
    from connect_omni import container
    from connect_omni.errors import ConfigurationError

    monkeypatch.delenv("CALL_CENTER_ID")
    container.reset()
    with pytest.raises(ConfigurationError, match="CALL_CENTER_ID"):
        invoke(event(ctr("c-1")))

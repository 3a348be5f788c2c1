"""``events/``: one ready event per function of the template, each accepted by its handler on the stand-ins.

The placeholders of the events are replaced by the stand-ins' values, as the events' README tells a user to
replace them by theirs; the transcript event's timestamps are moved to a few minutes ago (Salesforce refuses
history older than 24 hours) and its transcript is put in the stand-in bucket.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from localdev import demo
from localdev.flows.runner import FakeLambdaContext
from localdev.standins import Standins
from tests.docs.readme import REPO

pytestmark = pytest.mark.standins

EVENTS = REPO / "events"
INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/00000000-0000-0000-0000-000000000000"
CHANNEL = "00000000-0000-0000-0000-0000000000aa"
CONVERSATION = "00000000-0000-0000-0000-0000000000cc"
FUNCTION_OF_EVENT = {
    "create-messaging-session.json": "CreateMessagingSessionFunction",
    "routing-initial.json": "RoutingFunction",
    "routing-transfer.json": "RoutingFunction",
    "transcript-ingestion.json": "TranscriptIngestionFunction",
    "contact-trace-record.json": "ContactTraceRecordFunction",
}
CALL_CENTER = "04v000000000000AAA"


@pytest.fixture(scope="module")
def standins() -> Iterator[Standins]:
    with Standins.start() as s, s.environment():
        yield s


def event(name: str, standins: Standins, **more: str) -> dict:
    text = (EVENTS / name).read_text(encoding="utf-8")
    values = {
        INSTANCE: standins.instance_arn,
        INSTANCE.rsplit("/", 1)[1]: standins.instance_id,
        CHANNEL: standins.channel_address_identifier,
    } | more
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def handler(template: dict, function: str):
    module, _, name = template["Resources"][function]["Properties"]["Handler"].rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


def context(function: str, seconds: float = 8) -> FakeLambdaContext:
    return FakeLambdaContext(f"arn:aws:lambda:us-east-1:111122223333:function:{function}", seconds)


def test_every_function_has_an_event_and_every_event_a_function(template):
    functions = {k for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert {p.name for p in EVENTS.glob("*.json")} == set(FUNCTION_OF_EVENT)
    assert set(FUNCTION_OF_EVENT.values()) == functions
    readme = (EVENTS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in FUNCTION_OF_EVENT)
    top = (REPO / "README.md").read_text(encoding="utf-8")
    assert "sam local invoke CreateMessagingSessionFunction -e events/create-messaging-session.json" in top


def test_flow_events_are_accepted_by_their_handlers(template, standins: Standins):
    session = handler(template, "CreateMessagingSessionFunction")(
        event("create-messaging-session.json", standins), context("CreateMessagingSessionFunction")
    )
    assert set(session) >= {"conversationIdentifier", "workItemId", "source", "callCenterId"}
    route = handler(template, "RoutingFunction")
    more = {CONVERSATION: session["conversationIdentifier"]}
    initial = route(event("routing-initial.json", standins, **more), context("RoutingFunction"))
    assert initial["externalQueueId"] == standins.queues[0].connect_queue_arn and initial["psrId"]
    transfer = route(event("routing-transfer.json", standins, **more), context("RoutingFunction"))
    assert transfer["psrId"] != initial["psrId"]
    assert [p["routingType"] for p in standins.salesforce.state["psrs"]] == ["Initial", "Transfer"]


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def test_the_transcript_event_is_ingested(template, standins: Standins):
    raw = event("transcript-ingestion.json", standins)
    detail = raw["detail"]
    ended = datetime.now(UTC) - timedelta(minutes=1)
    started = ended - timedelta(minutes=8)
    detail |= {
        "initiationTimestamp": _iso(started),
        "connectedToSystemTimestamp": _iso(started),
        "disconnectTimestamp": _iso(ended),
        "lastUpdateTimestamp": _iso(ended),
    }
    raw["time"] = ended.strftime("%Y-%m-%dT%H:%M:%SZ")
    contact_id = detail["contactId"]
    transcript = demo.bot_only_transcript(contact_id, standins.instance_id, ended)
    key = demo.transcript_key(standins.transcripts_prefix, contact_id, started)
    standins.moto.client("s3").put_object(
        Bucket=standins.transcripts_bucket, Key=key, Body=json.dumps(transcript).encode()
    )
    standins.connect.put_contact(
        contact_id,
        {"channelAddressIdentifier": standins.channel_address_identifier, "callCenterId": standins.call_center_id},
        disconnected=True,
    )
    summary = handler(template, "TranscriptIngestionFunction")(raw, context("TranscriptIngestionFunction", 60))
    assert (summary["status"], summary["uploaded"]) == ("ingested", 5)


def test_the_contact_record_event_stores_the_newest_copy_of_the_sccac_contact(template, standins: Standins):
    import base64

    raw = event("contact-trace-record.json", standins)
    for record in raw["Records"]:  # the placeholders inside each record's base64 data
        text = base64.b64decode(record["kinesis"]["data"]).decode().replace(CALL_CENTER, standins.call_center_id)
        record["kinesis"]["data"] = base64.b64encode(text.encode()).decode()
    answer = handler(template, "ContactTraceRecordFunction")(raw, context("ContactTraceRecordFunction", 60))
    assert answer == {"batchItemFailures": []}
    (stored,) = standins.salesforce.records("awsac__SCC_ContactTraceRecord__c")
    assert stored["awsac__ContactId__c"] == "5d2c4b3a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
    assert stored["awsac__AfterContactWorkDuration__c"] == 28  # the newer copy, not the first one


def test_events_are_pretty_json():
    for path in EVENTS.glob("*.json"):
        assert Path(path).read_text(encoding="utf-8") == json.dumps(json.loads(path.read_text()), indent=2) + "\n"

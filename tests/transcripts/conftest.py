"""Fixtures of the transcript ingestion tests: moto S3, a stubbed Connect client, a fake /conversationHistory.

Salesforce is `responses`; :class:`FakeHistory` answers ``/conversationHistory`` like Salesforce does for the
rules the ingestion relies on (duplicate entry id -> 400 code 10073) and can be told to fail.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from botocore.stub import Stubber

from connect_omni import container, transcripts
from connect_omni.aws.transcript_store import PollPolicy
from tests.adapters.sf import add_token, scrt
from tests.conftest import CALL_CENTER_ID, CHANNEL, load_event

BUCKET = "amazon-connect-transcripts-111122223333"
PREFIX = "connect/example-instance/ChatTranscripts"
INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
CONTACT_ID = "0f7e6d5c-4b3a-4291-8f7e-6d5c4b3a2918"
CONVERSATION_ID = "a7d1e9c4-2f3b-4c5d-8e6f-7a8b9c0d1e2f"
SESSION_ID = "0Mw5g000000AbCdCAK"
#: DescribeContact's ``Contact`` of a web chat (no customer endpoint) and of an SMS chat.
WEB_CHAT = {"Channel": "CHAT", "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:Chat"}}}
SMS_CHAT = {
    "Channel": "CHAT",
    "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:SMS"}},
    "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+12065550100"},
}
FAST_POLL = PollPolicy(first_delay_s=0.01, factor=2.0, max_delay_s=0.05, reserve_s=1.0)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shift(event: dict, transcript: dict | None, *, ended: datetime) -> None:
    """Move every timestamp of ``event`` (and ``transcript``) so that the chat ended at ``ended``."""
    delta = ended - _parse(event["detail"]["disconnectTimestamp"])
    detail = event["detail"]
    for key, value in list(detail.items()):
        if key.endswith("Timestamp") and isinstance(value, str):
            detail[key] = _iso(_parse(value) + delta)
    for sub in ("agentInfo", "queueInfo"):
        for key, value in list((detail.get(sub) or {}).items()):
            if key.endswith("Timestamp"):
                detail[sub][key] = _iso(_parse(value) + delta)
    event["time"] = _iso(_parse(event["time"]) + delta)
    for item in (transcript or {}).get("Transcript", []):
        item["AbsoluteTime"] = _iso(_parse(item["AbsoluteTime"]) + delta)


def transcript_key(transcript: dict, day: datetime | None = None) -> str:
    """``<prefix>/YYYY/MM/DD/<contactId>_<timestamp>.json`` for the day of the first item (or ``day``)."""
    first = day or _parse(transcript["Transcript"][0]["AbsoluteTime"])
    return f"{PREFIX}/{first:%Y/%m/%d}/{transcript['ContactId']}_{first:%Y%m%dT%H%M}_UTC.json"


@dataclass
class FakeHistory:
    """``POST /conversationHistory``: stores entry ids; a known id -> 400 10073; scripted failures first."""

    stored: dict[str, dict] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    #: Statuses to answer, in order, before behaving normally (e.g. [503, 503, 503]) for request number n.
    failures: dict[int, list[int]] = field(default_factory=dict)
    calls: int = 0

    def __call__(self, request) -> tuple[int, dict, str]:
        body = json.loads(request.body)
        self.calls += 1
        self.requests.append(body)
        script = self.failures.get(self._batch_number(body), [])
        if script:
            status = script.pop(0)
            return status, {}, json.dumps({"code": "10000", "message": "Service unavailable"})
        ids = [e["entryPayload"]["id"] for e in body["conversationEntries"]]
        if any(i in self.stored for i in ids):
            return 400, {}, json.dumps({"code": "10073", "message": "Invalid message ID."})
        for entry in body["conversationEntries"]:
            self.stored[entry["entryPayload"]["id"]] = entry
        return (
            202,
            {},
            json.dumps({"success": True, "conversationIdentifier": CONVERSATION_ID, "messagingSessionId": SESSION_ID}),
        )

    def _batch_number(self, body: dict) -> int:
        """1-based position of this batch among the distinct batches seen so far (by first entry id)."""
        firsts: list[str] = []
        for r in self.requests:
            first = r["conversationEntries"][0]["entryPayload"]["id"]
            if first not in firsts:
                firsts.append(first)
        return firsts.index(body["conversationEntries"][0]["entryPayload"]["id"]) + 1

    def distinct_requests(self) -> list[dict]:
        """The requests that Salesforce accepted or refused as duplicates, without the scripted failures' resends."""
        seen: dict[str, dict] = {}
        for r in self.requests:
            seen.setdefault(r["conversationEntries"][0]["entryPayload"]["id"], r)
        return list(seen.values())


@dataclass
class World:
    """Everything a transcript test touches."""

    rsps: responses.RequestsMock
    history: FakeHistory
    s3: Any
    connect: Any
    stub: Stubber
    event: dict
    transcript: dict
    attributes: dict = field(default_factory=dict)

    def put_transcript(self, transcript: dict | None = None, key: str | None = None, body: bytes | None = None) -> str:
        transcript = transcript or self.transcript
        key = key or transcript_key(transcript)
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body if body is not None else json.dumps(transcript).encode())
        return key

    def expect_attributes(self, attributes: dict | None = None, times: int = 1, customer: dict | None = None) -> None:
        """Queue ``times`` GetContactAttributes answers, each followed by the DescribeContact answer the
        ingestion asks for when it goes on to choose the end user without a ``clientId`` (``customer``: the
        ``Contact`` fields, web chat by default)."""
        attributes = self.attributes if attributes is None else attributes
        asks_describe = (
            not attributes.get("clientId")
            and attributes.get("callCenterId") == CALL_CENTER_ID
            and attributes.get("channelAddressIdentifier")
        )
        for _ in range(times):
            self.stub.add_response(
                "get_contact_attributes",
                {"Attributes": attributes},
                {"InstanceId": INSTANCE_ID, "InitialContactId": CONTACT_ID},
            )
            if asks_describe:
                self.stub.add_response(
                    "describe_contact",
                    {"Contact": {"Id": CONTACT_ID, **(customer or WEB_CHAT)}},
                    {"InstanceId": INSTANCE_ID, "ContactId": CONTACT_ID},
                )

    def salesforce_calls(self) -> list[str]:
        return [c.request.url.split("?")[0] for c in self.rsps.calls]


@pytest.fixture
def world(secret, monkeypatch) -> Iterator[World]:
    """Env with the transcript bucket, moto S3 (inside the secret fixture's mock_aws), a stubbed Connect
    client, `responses` for Salesforce with a token, /conversation and the fake /conversationHistory; the
    event and transcript shifted so that the chat ended ten minutes ago."""
    monkeypatch.setenv("CHAT_TRANSCRIPTS_BUCKET", BUCKET)
    monkeypatch.setenv("CHAT_TRANSCRIPTS_PREFIX", PREFIX)
    monkeypatch.setattr(transcripts, "DEFAULT_POLL", FAST_POLL)
    container.reset()
    s3 = container.aws_client("s3")
    s3.create_bucket(Bucket=BUCKET)
    connect = container.aws_client("connect")
    history = FakeHistory()
    event = copy.deepcopy(load_event("contact_event_disconnected_bot_only.json"))
    transcript = copy.deepcopy(load_event("transcript_bot_only.json"))
    shift(event, transcript, ended=datetime.now(UTC) - timedelta(minutes=10))
    with Stubber(connect) as stub, responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_token(rsps)
        rsps.add(
            responses.POST,
            scrt("/conversation"),
            status=202,
            json={"conversationIdentifier": CONVERSATION_ID, "messagingSessionId": SESSION_ID, "success": True},
        )
        rsps.add_callback(responses.POST, scrt("/conversationHistory"), callback=history)
        yield World(
            rsps=rsps,
            history=history,
            s3=s3,
            connect=connect,
            stub=stub,
            event=event,
            transcript=transcript,
            attributes={
                "channelAddressIdentifier": CHANNEL,
                "callCenterId": CALL_CENTER_ID,
                "source": "SCCAC",
            },
        )
    container.reset()

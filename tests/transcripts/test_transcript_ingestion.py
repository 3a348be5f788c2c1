"""TranscriptIngestionFunction with EventBridge contact events, moto S3, a stubbed Connect client and
Salesforce through `responses`; each test asserts on the requests sent and the summary answered."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from connect_omni import container, transcripts
from connect_omni.aws.transcript_store import PollPolicy, TranscriptNotReadyError
from connect_omni.errors import ConfigurationError, SalesforceUnavailableError
from connect_omni.handlers import transcript_ingestion
from tests.adapters.sf import TOKEN_URL, scrt
from tests.clock import FakeClock
from tests.conftest import CHANNEL, LambdaContext, load_event
from tests.transcripts.conftest import (
    BUCKET,
    CONTACT_ID,
    FAST_POLL,
    PREFIX,
    SMS_CHAT,
    World,
    shift,
    transcript_key,
)

HISTORY = scrt("/conversationHistory")


def invoke(world: World, event: dict | None = None, budget_ms: int = 60_000) -> dict:
    return transcript_ingestion.lambda_handler(event or world.event, LambdaContext(budget_ms=budget_ms))


def text_messages(transcript: dict) -> list[dict]:
    return [
        i
        for i in transcript["Transcript"]
        if i["Type"] == "MESSAGE" and i["ContentType"] in ("text/plain", "text/markdown")
    ]


def long_transcript(n: int = 200) -> dict:
    """``n`` text messages, one every 2 s, ending 5 minutes ago: the customer, two bots and SYSTEM."""
    base = copy.deepcopy(load_event("transcript_bot_only.json"))
    roles = [
        ("CUSTOMER", "7a1b2c3d-0001-4e5f-8a9b-0c1d2e3f4a5b", "Jane"),
        ("CUSTOM_BOT", "7a1b2c3d-0002-4e5f-8a9b-0c1d2e3f4a5b", "BOT"),
        ("CUSTOMER", "7a1b2c3d-0001-4e5f-8a9b-0c1d2e3f4a5b", "Jane"),
        ("CUSTOM_BOT", "7a1b2c3d-0004-4e5f-8a9b-0c1d2e3f4a5b", "Billing bot"),
        ("SYSTEM", "7a1b2c3d-0003-4e5f-8a9b-0c1d2e3f4a5b", "SYSTEM_MESSAGE"),
    ]
    start = datetime.now(UTC) - timedelta(minutes=5) - timedelta(seconds=2 * n)
    items = []
    for k in range(n):
        role, pid, name = roles[k % len(roles)]
        at = start + timedelta(seconds=2 * k)
        items.append(
            {
                "AbsoluteTime": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
                "Content": f"message {k}",
                "ContentType": "text/plain",
                "Id": f"00000000-0000-4000-8000-{k:012d}",
                "Type": "MESSAGE",
                "ParticipantId": pid,
                "DisplayName": name,
                "ParticipantRole": role,
            }
        )
    base["Transcript"] = items
    return base


def event_for(transcript: dict, world: World) -> dict:
    """The world's event with timestamps matching ``transcript``."""
    event = copy.deepcopy(world.event)
    last = transcript["Transcript"][-1]["AbsoluteTime"]
    event["detail"]["disconnectTimestamp"] = last
    event["detail"]["initiationTimestamp"] = transcript["Transcript"][0]["AbsoluteTime"]
    event["time"] = last
    return event


def all_entries(requests: list[dict]) -> list[dict]:
    return [e for r in requests for e in r["conversationEntries"]]


# The happy path ---------------------------------------------------------------------------------------------


def test_bot_only_chat_is_uploaded_newest_first_in_valid_batches(world):
    world.expect_attributes()
    world.put_transcript()
    summary = invoke(world)

    messages = text_messages(world.transcript)
    assert summary["status"] == "ingested"
    assert summary["uploaded"] == len(messages) == 7
    assert summary["notUploaded"] == {"Event": 4, "Attachment": 1, "Interactive": 1}
    assert world.salesforce_calls() == [TOKEN_URL, scrt("/conversation"), HISTORY, HISTORY]
    first, second = world.history.requests
    # Newest first, across and inside the batches; at most five entries per request.
    stamps = [e["clientTimestamp"] for e in all_entries(world.history.requests)]
    assert stamps == sorted(stamps, reverse=True)
    assert [len(r["conversationEntries"]) for r in world.history.requests] == [5, 2]
    texts = [e["entryPayload"]["abstractMessage"]["staticContent"]["text"] for e in all_entries(world.history.requests)]
    assert texts == [m["Content"] for m in reversed(messages)]
    # The session joins the Conversation of the same end user CreateMessagingSession uses (InitialContactId).
    conversation = json.loads(world.rsps.calls[1].request.body)
    assert conversation["participants"][0]["subject"] == CONTACT_ID
    assert conversation["channelAddressIdentifier"] == CHANNEL
    for request in world.history.requests:
        assert request["channelAddressIdentifier"] == CHANNEL
        assert "messagingSession" not in request
        participants = request["conversationParticipants"]
        assert 1 <= len(participants) <= 3
        end_users = [p for p in participants if p["participant"]["role"] == "EndUser"]
        assert end_users == [
            {
                "participant": {"subject": CONTACT_ID, "role": "EndUser", "appType": "custom"},
                "displayName": "Jane",
                "joinedTime": end_users[0]["joinedTime"],
            }
        ]
        ended = int(datetime.fromisoformat(world.event["detail"]["disconnectTimestamp"]).timestamp() * 1000)
        for bot in (p for p in participants if p["participant"]["role"] == "Chatbot"):
            assert bot["participant"]["appType"] == "chatbot"
            assert bot["leftTime"] == ended
            assert bot["joinedTime"] < bot["leftTime"]
        senders = {(e["sender"]["role"], e["sender"]["subject"]) for e in request["conversationEntries"]}
        assert senders <= {(p["participant"]["role"], p["participant"]["subject"]) for p in participants}
        for entry in request["conversationEntries"]:
            payload = entry["entryPayload"]
            assert payload["entryType"] == "Message"
            assert payload["abstractMessage"]["messageType"] == "StaticContentMessage"
            assert payload["abstractMessage"]["staticContent"]["formatType"] == "Text"
    # SYSTEM and CUSTOM_BOT are two Chatbot participants; the first batch carries both.
    assert len(first["conversationParticipants"]) == 3
    assert len(second["conversationParticipants"]) == 2  # the customer and SYSTEM
    # Entry ids: uuid5 of contact id + transcript message Id.
    ids = [e["entryPayload"]["id"] for e in all_entries(world.history.requests)]
    assert ids == [transcripts.entry_id(CONTACT_ID, m["Id"]) for m in reversed(messages)]
    world.stub.assert_no_pending_responses()


def test_client_id_attribute_is_the_end_user(world):
    world.attributes["clientId"] = "jane@example.com"
    world.expect_attributes()
    world.put_transcript()
    invoke(world)
    for request in world.history.requests:
        subjects = [p["participant"]["subject"] for p in request["conversationParticipants"]]
        assert subjects[0] == "jane@example.com"
    assert json.loads(world.rsps.calls[1].request.body)["participants"][0]["subject"] == "jane@example.com"


def test_sms_customer_is_the_end_user_by_their_number(world):
    # Given an SMS chat without clientId: DescribeContact gives its subtype and the customer's number
    world.expect_attributes(customer=SMS_CHAT)
    world.put_transcript()
    # When its transcript is ingested
    invoke(world)
    # Then the end user is the E.164 number, as CreateMessagingSession chose for the same contact
    assert json.loads(world.rsps.calls[1].request.body)["participants"][0]["subject"] == "+12065550100"
    for request in world.history.requests:
        assert request["conversationParticipants"][0]["participant"]["subject"] == "+12065550100"
    world.stub.assert_no_pending_responses()


def test_client_id_needs_no_describe_contact(world):
    world.attributes["clientId"] = "jane@example.com"
    world.expect_attributes()  # GetContactAttributes only; a DescribeContact call would fail the stub
    world.put_transcript()
    assert invoke(world)["status"] == "ingested"
    world.stub.assert_no_pending_responses()


def test_customer_address_setting_off_needs_no_describe_contact(world, monkeypatch):
    monkeypatch.setenv("END_USER_FROM_CUSTOMER_ADDRESS", "false")
    container.settings.cache_clear()  # keep the stubbed Connect client
    world.stub.add_response("get_contact_attributes", {"Attributes": world.attributes})
    world.put_transcript()
    assert invoke(world)["status"] == "ingested"
    assert json.loads(world.rsps.calls[1].request.body)["participants"][0]["subject"] == CONTACT_ID


def test_long_transcript_respects_every_per_request_limit(world):
    transcript = long_transcript(200)
    world.expect_attributes()
    world.put_transcript(transcript)
    summary = invoke(world, event_for(transcript, world))

    assert summary["status"] == "ingested"
    assert summary["uploaded"] == 200
    requests = world.history.requests
    entries = all_entries(requests)
    assert len(entries) == 200
    assert len({e["entryPayload"]["id"] for e in entries}) == 200
    stamps = [e["clientTimestamp"] for e in entries]
    assert requests[0]["conversationEntries"][0]["clientTimestamp"] == max(stamps)  # the newest batch first
    for request in requests:
        batch = [e["clientTimestamp"] for e in request["conversationEntries"]]
        assert batch == sorted(batch, reverse=True)
        participants = request["conversationParticipants"]
        assert len(request["conversationEntries"]) <= 5
        assert len(participants) <= 3
        assert [p["participant"]["role"] for p in participants].count("EndUser") == 1
        assert all("leftTime" not in p for p in participants if p["participant"]["role"] == "EndUser")
        assert all("leftTime" in p for p in participants if p["participant"]["role"] == "Chatbot")
    # Three bots in rotation: a batch closes early when a third bot would join it.
    assert len(requests) > 200 // 5
    assert summary["requests"] == len(requests)


def test_batch_size_setting_is_honoured(world, monkeypatch):
    monkeypatch.setenv("HISTORY_BATCH_SIZE", "2")
    container.settings.cache_clear()  # keep the stubbed Connect client
    world.expect_attributes()
    world.put_transcript()
    invoke(world)
    sizes = [len(r["conversationEntries"]) for r in world.history.requests]
    assert sizes[0] == 2 and sorted(sizes) == [1, 2, 2, 2]  # the newest first, the rest concurrently


# Exactly once -----------------------------------------------------------------------------------------------


def test_redelivered_event_counts_every_entry_as_duplicate(world):
    world.expect_attributes(times=2)
    world.put_transcript()
    first = invoke(world)
    sent_first = copy.deepcopy(world.history.requests)
    second = invoke(world)

    assert first["uploaded"] == 7 and first["duplicates"] == 0
    assert second["status"] == "ingested"
    assert second["uploaded"] == 0 and second["duplicates"] == 7
    resent = world.history.requests[len(sent_first) :]
    assert [r["conversationEntries"] for r in resent] == [r["conversationEntries"] for r in sent_first]
    assert len(world.history.stored) == 7


def test_partial_failure_raises_and_the_retry_sends_the_same_batches(world, monkeypatch):
    monkeypatch.setenv("HISTORY_CONCURRENCY", "1")  # one at a time: which batches were stored is known exactly
    container.settings.cache_clear()  # keep the stubbed Connect client
    transcript = long_transcript(40)
    event = event_for(transcript, world)
    world.expect_attributes(times=2)
    world.put_transcript(transcript)
    world.history.failures[3] = [503, 503, 503]

    with pytest.raises(SalesforceUnavailableError) as failed:
        invoke(world, event)
    assert failed.value.status == 503
    before_retry = len(world.history.requests)
    assert before_retry == 2 + 3  # batches 1 and 2 stored, batch 3 tried three times
    assert len(world.history.stored) == sum(len(r["conversationEntries"]) for r in world.history.requests[:2])

    summary = invoke(world, event)  # Lambda's asynchronous retry: same event
    retry = world.history.requests[before_retry:]
    first_try = world.history.distinct_requests()
    assert [r["conversationEntries"] for r in retry] == [r["conversationEntries"] for r in first_try]
    assert summary["status"] == "ingested"
    assert summary["duplicates"] == sum(len(r["conversationEntries"]) for r in retry[:2])
    assert summary["uploaded"] + summary["duplicates"] == 40
    assert len(world.history.stored) == 40


# Skips: one log line, zero Salesforce calls -------------------------------------------------------------------


def test_chat_with_an_agent_is_skipped(world):
    event = load_event("contact_event_disconnected_with_agent.json")
    shift(event, None, ended=datetime.now(UTC) - timedelta(minutes=3))
    summary = invoke(world, event)
    assert summary == {"contactId": CONTACT_ID, "status": "skipped", "reason": "AgentJoined"}
    assert len(world.rsps.calls) == 0


def test_other_call_center_is_skipped(world):
    world.attributes["callCenterId"] = "04v5g000000OtHeRAA"
    world.expect_attributes()
    world.put_transcript()
    assert invoke(world)["reason"] == "OtherCallCenter"
    assert len(world.rsps.calls) == 0


def test_contact_without_channel_address_identifier_is_skipped(world):
    del world.attributes["channelAddressIdentifier"]
    world.expect_attributes()
    world.put_transcript()
    assert invoke(world)["reason"] == "NoChannel"
    assert len(world.rsps.calls) == 0


def test_contact_of_another_instance_is_skipped(world):
    world.event["detail"]["instanceArn"] = world.event["detail"]["instanceArn"].replace("5555555555", "0000000000")
    assert invoke(world)["reason"] == "OtherInstance"
    assert len(world.rsps.calls) == 0
    world.stub.assert_no_pending_responses()


def test_skip_logs_exactly_one_line_saying_why(world, caplog):
    event = load_event("contact_event_disconnected_with_agent.json")
    shift(event, None, ended=datetime.now(UTC) - timedelta(minutes=3))
    invoke(world, event)
    skips = [r for r in caplog.records if "not ingested" in r.getMessage()]
    assert len(skips) == 1
    assert "an agent took part" in skips[0].getMessage()
    assert skips[0].skip_reason == "AgentJoined"


def test_not_a_contact_event_is_dropped_without_retry(world):
    assert invoke(world, {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})["status"] == (
        "invalid_event"
    )


# The transcript arrives late, or never -----------------------------------------------------------------------


def test_transcript_that_appears_after_three_looks(world, monkeypatch):
    world.expect_attributes()
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            world.put_transcript()

    monkeypatch.setattr(transcripts, "sleep", fake_sleep)
    summary = invoke(world)
    assert summary["status"] == "ingested"
    assert waits == [0.01, 0.02, 0.04]  # exponential backoff


def test_transcript_filed_under_the_next_day_is_found(world):
    world.expect_attributes()
    disconnect = datetime.fromisoformat(world.event["detail"]["disconnectTimestamp"])
    world.put_transcript(key=transcript_key(world.transcript, day=disconnect + timedelta(days=1)))
    assert invoke(world)["status"] == "ingested"


def test_transcript_that_never_appears_raises_within_the_budget(world, monkeypatch):
    """2.5 s of invocation, 0.6 s margin, 1 s kept for the upload: the looks may wait 0.9 s in all, on a fake
    clock that only the waits move."""
    world.expect_attributes()
    assert container.settings().budget_margin_ms == 600
    clock = FakeClock().install(monkeypatch)
    monkeypatch.setattr(transcripts, "sleep", clock.sleep)
    monkeypatch.setattr(transcripts, "DEFAULT_POLL", PollPolicy(first_delay_s=0.05, max_delay_s=0.2, reserve_s=1.0))
    context = LambdaContext(budget_ms=2500, clock=clock.monotonic)
    with pytest.raises(TranscriptNotReadyError, match=f"{CONTACT_ID} after 7 looks"):
        transcript_ingestion.lambda_handler(world.event, context)
    assert clock.sleeps == pytest.approx([0.05, 0.1, 0.2, 0.2, 0.2, 0.15])  # doubling, capped, the last cut short
    assert sum(clock.sleeps) == pytest.approx(2.5 - 0.6 - 1.0)
    assert context.get_remaining_time_in_millis() == pytest.approx(1600, abs=1)  # the reserve and the margin
    assert len(world.rsps.calls) == 0


# Permanent failures: logged, counted, not raised ---------------------------------------------------------------


def test_chat_older_than_24_hours_is_not_retried(world):
    event = load_event("contact_event_disconnected_bot_only.json")  # March 2025
    summary = invoke(world, event)
    assert summary["status"] == "failed" and summary["reason"] == "TooOld"
    assert len(world.rsps.calls) == 0


def test_messages_older_than_24_hours_are_left_out(world):
    transcript = long_transcript(10)
    old = datetime.now(UTC) - timedelta(hours=25)
    for item in transcript["Transcript"][:4]:
        item["AbsoluteTime"] = old.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    event = event_for(transcript, world)
    world.expect_attributes()
    world.put_transcript(transcript, key=transcript_key(transcript, day=datetime.now(UTC)))
    summary = invoke(world, event)
    assert summary["uploaded"] == 6
    assert summary["notUploaded"] == {"TooOld": 4}
    cutoff = (datetime.now(UTC) - timedelta(hours=24)).timestamp() * 1000
    assert all(e["clientTimestamp"] > cutoff for e in all_entries(world.history.requests))


def test_invalid_transcript_json_is_not_retried(world):
    world.expect_attributes()
    world.put_transcript(body=b"{not json")
    summary = invoke(world)
    assert summary["status"] == "failed" and summary["reason"] == "InvalidTranscript"
    assert len(world.rsps.calls) == 0


def test_missing_bucket_configuration_names_the_variable(world, monkeypatch):
    monkeypatch.delenv("CHAT_TRANSCRIPTS_BUCKET")
    monkeypatch.delenv("CHAT_TRANSCRIPTS_PREFIX")
    container.reset()
    with pytest.raises(ConfigurationError, match="CHAT_TRANSCRIPTS_BUCKET: required"):
        invoke(world)


@pytest.mark.parametrize("prefix", ["", "/"])
def test_an_empty_prefix_is_the_bucket_root(world, monkeypatch, prefix):
    monkeypatch.setenv("CHAT_TRANSCRIPTS_PREFIX", prefix)
    container.settings.cache_clear()  # keep the stubbed Connect client
    key = world.put_transcript(key=transcript_key(world.transcript).removeprefix(PREFIX + "/"))
    assert not key.startswith(("/", PREFIX))
    world.expect_attributes()
    summary = invoke(world)
    assert summary["status"] == "ingested", summary
    assert summary["uploaded"] == len(text_messages(world.transcript))


def test_bucket_and_prefix_are_read_from_the_environment(world):
    assert container.settings().chat_transcripts_bucket == BUCKET
    assert container.settings().chat_transcripts_prefix == PREFIX
    assert FAST_POLL.reserve_s == 1.0

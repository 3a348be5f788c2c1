"""One end user for an SMS / WhatsApp customer: the session CreateMessagingSession opens and the transcript the
ingestion uploads land in the same Salesforce Conversation, keyed by the customer's E.164 number; a web chat
stays keyed by its InitialContactId. The real handlers against the emulator and the Connect stand-in."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connect_omni import container
from localdev.demo import TRANSCRIPT_FUNCTION_ARN, bot_only_transcript, disconnected_event, transcript_key
from localdev.flows.runner import FakeLambdaContext
from localdev.standins import Standins
from tests.scenarios.chat import Chat

SMS = ("connect:SMS", {"Type": "TELEPHONE_NUMBER", "Address": "+12065550100"}, "+12065550100")
WHATSAPP = ("connect:WhatsApp", {"Type": "TELEPHONE_NUMBER", "Address": "+44 7700 900123"}, "+447700900123")


def ingest_transcript(standins: Standins, chat: Chat) -> dict[str, Any]:
    """End ``chat`` without an agent (Connect writes its transcript, EventBridge sends DISCONNECTED) and run
    TranscriptIngestionFunction on the event."""
    from connect_omni.handlers import transcript_ingestion

    contact = chat.contact
    ended = datetime.now(UTC) - timedelta(seconds=5)
    transcript = bot_only_transcript(contact.contact_id, standins.instance_id, ended)
    key = transcript_key(standins.transcripts_prefix, contact.contact_id, ended - timedelta(minutes=2))
    standins.moto.client("s3").put_object(
        Bucket=standins.transcripts_bucket, Key=key, Body=json.dumps(transcript).encode()
    )
    standins.connect.put_contact(
        contact.contact_id,
        chat.attributes,
        disconnected=True,
        subtype=chat.subtype,
        customer_endpoint=chat.customer_endpoint,
    )
    event = disconnected_event(contact.contact_id, standins.instance_arn, ended - timedelta(minutes=2), ended)
    return transcript_ingestion.lambda_handler(event, FakeLambdaContext(TRANSCRIPT_FUNCTION_ARN, 60.0))


@pytest.mark.parametrize(("subtype", "endpoint", "end_user"), [SMS, WHATSAPP], ids=["sms", "whatsapp"])
def test_messaging_customer_has_one_end_user_for_session_and_transcript(
    standins: Standins, subtype: str, endpoint: dict[str, str], end_user: str
) -> None:
    # Given an SMS / WhatsApp chat without clientId: CreateMessagingSession opens its session
    chat = Chat(standins, subtype=subtype, customer_endpoint=endpoint)
    answer = chat.create_session()
    sf = standins.salesforce
    (conversation,) = sf.state["conversations"]
    assert conversation["endUserSubject"] == end_user
    assert sf.requests_to("/api/v1/conversation")[0].body["participants"][0]["subject"] == end_user

    # When the chat ends with the bot only and its transcript is ingested
    summary = ingest_transcript(standins, chat)

    # Then the history joins the same Conversation, sent for the same end user
    assert summary["status"] == "ingested", summary
    assert summary["conversationIdentifier"] == answer["conversationIdentifier"]
    assert len(sf.state["conversations"]) == 1
    history = sf.requests_to("/api/v1/conversationHistory")
    assert history and all(r.status == 202 for r in history)
    for request in history:
        (user,) = [p for p in request.body["conversationParticipants"] if p["participant"]["role"] == "EndUser"]
        assert user["participant"]["subject"] == end_user
    assert len(sf.state["history"][answer["conversationIdentifier"]]) == summary["uploaded"] == 5
    # and Connect was asked for exactly what the end user needs: the attributes, then the channel
    operations = [(r["operation"], r["path"].rsplit("/", 1)[-1]) for r in standins.connect.requests]
    assert operations == [
        ("GetContactAttributes", chat.contact.initial_contact_id),
        ("DescribeContact", chat.contact.initial_contact_id),
    ]


def test_the_customer_writing_again_later_joins_their_conversation(standins: Standins) -> None:
    # Given an SMS customer's chat, ended by the agent
    sf = standins.salesforce
    first = Chat(standins, subtype=SMS[0], customer_endpoint=SMS[1])
    earlier = first.create_session()
    sf.end_session(earlier["conversationIdentifier"])
    # When the same number texts again: a new contact, with a new InitialContactId
    second = Chat(standins, subtype=SMS[0], customer_endpoint=SMS[1])
    assert second.contact.initial_contact_id != first.contact.initial_contact_id
    later = second.create_session()
    # Then the same Conversation (the agent sees the earlier messages) and a new session
    assert later["conversationIdentifier"] == earlier["conversationIdentifier"]
    assert later["workItemId"] != earlier["workItemId"]
    (conversation,) = sf.state["conversations"]
    assert conversation["endUserSubject"] == SMS[2]
    assert conversation["messagingSessionIds"] == [earlier["workItemId"], later["workItemId"]]


def test_web_chat_and_the_setting_off_keep_the_initial_contact_id(standins: Standins) -> None:
    web = Chat(standins)
    web.create_session()
    os.environ["END_USER_FROM_CUSTOMER_ADDRESS"] = "false"  # restored by standins.environment()
    container.reset()
    sms = Chat(standins, subtype=SMS[0], customer_endpoint=SMS[1])
    sms.create_session()
    subjects = sorted(c["endUserSubject"] for c in standins.salesforce.state["conversations"])
    assert subjects == sorted([web.contact.initial_contact_id, sms.contact.initial_contact_id])
    # the transcript of the SMS chat follows the setting too, without asking Connect for the channel
    summary = ingest_transcript(standins, sms)
    assert summary["status"] == "ingested"
    assert len(standins.salesforce.state["conversations"]) == 2
    assert [r["operation"] for r in standins.connect.requests] == ["GetContactAttributes"]

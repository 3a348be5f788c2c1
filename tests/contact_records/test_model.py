"""The CTR model: decoding Kinesis data, what counts as invalid, and SCC-AC's Salesforce field mapping."""

from __future__ import annotations

import base64
import json

import pytest

from connect_omni.models.ctr import (
    CONTACT_ID_FIELD,
    ContactTraceRecord,
    InvalidContactTraceRecordError,
    format_timestamp,
)
from tests.contact_records.kinesis import fixture

ARN = "arn:aws:connect:us-east-1:111122223333:instance/11111111-2222-3333-4444-555555555555"


def b64(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.b64encode(raw).decode()


def test_a_chat_ctr_maps_to_scc_acs_fields_exactly():
    fields = ContactTraceRecord.from_kinesis_data(b64(fixture("ctr_chat_with_agent.json"))).salesforce_fields()
    assert fields == {
        "awsac__Channel__c": "DEPRECATED",
        "awsac__Channel_Revamped__c": "CHAT",
        "awsac__DisconnectReason__c": "DEPRECATED",
        "awsac__DisconnectReason_Revamped__c": "CUSTOMER_DISCONNECT",
        "awsac__Initiation_Method__c": "DEPRECATED",
        "awsac__Initiation_Method_Revamped__c": "API",
        "awsac__AWSAccountId__c": "111122223333",
        "awsac__AfterContactWorkDuration__c": 28,
        "awsac__AfterContactWorkEndTimestamp__c": "2025-03-15T00:06:59Z",
        "awsac__AfterContactWorkStartTimestamp__c": "2025-03-15T00:06:31Z",
        "awsac__AgentARN__c": f"{ARN}/agent/99999999-8888-7777-6666-555555555555",
        "awsac__AgentConnectedToAgentTimestamp__c": "2025-03-15T00:01:10Z",
        "awsac__AgentConnectionAttempts__c": 1,
        "awsac__AgentHierarchyGroup__c": (
            '{"Level1":{"ARN":"' + ARN + '/agent-group/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",'
            '"GroupName":"Support EMEA"}}'
        ),
        "awsac__AgentInteractionDuration__c": 320,
        "awsac__AgentRoutingProfileARN__c": f"{ARN}/routing-profile/6e16b957-b7c7-44c7-b959-c9380699c7cc",
        "awsac__AgentRoutingProfileName__c": "Chat Routing Profile",
        "awsac__AgentUsername__c": "jdoe",
        "awsac__Attributes__c": json.dumps(
            fixture("ctr_chat_with_agent.json")["Attributes"], separators=(",", ":"), ensure_ascii=False
        ),
        "awsac__ConnectedToSystemTimestamp__c": "2025-03-14T23:58:00Z",
        "awsac__ContactId__c": "0f7e6d5c-4b3a-4291-8f7e-6d5c4b3a2918",
        "awsac__DisconnectTimestamp__c": "2025-03-15T00:06:30Z",
        "awsac__InitialContactId__c": "0f7e6d5c-4b3a-4291-8f7e-6d5c4b3a2918",
        "awsac__InitiationTimestamp__c": "2025-03-14T23:58:00Z",
        "awsac__InstanceARN__c": ARN,
        "awsac__LastUpdateTimestamp__c": "2025-03-15T00:08:02Z",
        "awsac__NextContactId__c": None,
        "awsac__PreviousContactId__c": None,
        "awsac__QueueARN__c": f"{ARN}/queue/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "awsac__QueueDequeueTimestamp__c": "2025-03-15T00:01:10Z",
        "awsac__QueueDuration__c": 30,
        "awsac__QueueEnqueueTimestamp__c": "2025-03-15T00:00:40Z",
        "awsac__QueueName__c": "Support",
        "awsac__References__c": "[]",
        "awsac__SegmentAttributes__c": '{"connect:Subtype":{"ValueString":"connect:Chat"}}',
        "awsac__TransferCompletedTimestamp__c": None,
    }


def test_an_abandoned_chat_has_null_agent_fields_and_keeps_the_queue():
    fields = ContactTraceRecord.from_kinesis_data(b64(fixture("ctr_chat_abandoned.json"))).salesforce_fields()
    agent_fields = [k for k in fields if k.startswith(("awsac__Agent", "awsac__AfterContactWork"))]
    assert len(agent_fields) == 11
    assert {fields[k] for k in agent_fields if k != "awsac__AgentConnectionAttempts__c"} == {None}
    assert fields["awsac__AgentConnectionAttempts__c"] == 0
    assert fields["awsac__QueueDuration__c"] == 160
    assert fields["awsac__SegmentAttributes__c"] == '{"connect:Subtype":{"ValueString":"connect:SMS"}}'


def test_only_contact_id_is_required_and_absent_fields_are_sent_as_null():
    ctr = ContactTraceRecord.from_kinesis_data(b64({"ContactId": "c-1", "SomeNewField": {"x": 1}}))
    fields = ctr.salesforce_fields()
    assert fields[CONTACT_ID_FIELD] == "c-1"
    assert {k: v for k, v in fields.items() if v is not None} == {
        CONTACT_ID_FIELD: "c-1",
        "awsac__Channel__c": "DEPRECATED",
        "awsac__DisconnectReason__c": "DEPRECATED",
        "awsac__Initiation_Method__c": "DEPRECATED",
    }


def test_non_ascii_attributes_stay_readable_json():
    ctr = ContactTraceRecord.from_kinesis_data(b64({"ContactId": "c", "Attributes": {"name": "Zoë 😀"}}))
    assert ctr.salesforce_fields()["awsac__Attributes__c"] == '{"name":"Zoë 😀"}'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-14T00:14:41Z", "2025-01-14T00:14:41Z"),
        ("2025-01-14T00:14:41.250Z", "2025-01-14T00:14:41.250Z"),
        ("2025-01-14T01:14:41+01:00", "2025-01-14T00:14:41Z"),
        ("2025-01-14T00:14:41", "2025-01-14T00:14:41Z"),  # no offset: UTC, as the data model says
    ],
)
def test_timestamps_are_sent_as_connect_writes_them_in_utc(text, expected):
    ctr = ContactTraceRecord.from_kinesis_data(b64({"ContactId": "c", "DisconnectTimestamp": text}))
    assert format_timestamp(ctr.disconnect_timestamp) == expected


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("", "data"),
        (None, "data"),
        ("not base64!", "data"),
        (b64(b"\xff\xfe not utf-8"), "data"),
        (b64(b"{not json"), "data"),
        (b64([1, 2]), "data"),
        (b64("a string"), "data"),
        (b64({"Channel": "CHAT"}), "ContactId"),
        (b64({"ContactId": ""}), "ContactId"),
        (b64({"ContactId": 42}), "ContactId"),
        (b64({"ContactId": "c", "LastUpdateTimestamp": "yesterday"}), "LastUpdateTimestamp"),
        (b64({"ContactId": "c", "Queue": {"Duration": -1}}), "Queue.Duration"),
        (b64({"ContactId": "c", "Agent": {"AgentInteractionDuration": "long"}}), "Agent.AgentInteractionDuration"),
        (b64({"ContactId": "c", "Attributes": ["source", "SCCAC"]}), "Attributes"),
    ],
)
def test_what_can_never_be_stored_is_named(data, field):
    with pytest.raises(InvalidContactTraceRecordError) as caught:
        ContactTraceRecord.from_kinesis_data(data)
    assert caught.value.field == field


def test_the_error_never_quotes_a_value():
    secret = "jane.doe@example.com"
    with pytest.raises(InvalidContactTraceRecordError) as caught:
        ContactTraceRecord.from_kinesis_data(b64({"ContactId": "c", "LastUpdateTimestamp": secret}))
    assert secret not in str(caught.value)


def test_attribute_reads_strings_only_and_version_orders_copies():
    older = ContactTraceRecord.from_kinesis_data(b64({"ContactId": "c", "LastUpdateTimestamp": "2025-01-01T00:00:00Z"}))
    newer = ContactTraceRecord.from_kinesis_data(
        b64({"ContactId": "c", "LastUpdateTimestamp": "2025-01-01T00:00:01Z", "Attributes": {"source": 1}})
    )
    undated = ContactTraceRecord.from_kinesis_data(b64({"ContactId": "c"}))
    assert undated.version < older.version < newer.version
    assert newer.attribute("source") is None and older.attribute("source") is None

"""Contact trace records (CTRs) and the Lambda Kinesis events that carry them, for the demo, the benchmark and
the tests.

:func:`chat_ctr` is a chat contact's record shaped as the contact record data model describes it
(docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html): the fields ContactTraceRecordFunction maps,
the nulls Connect writes for what did not happen, and fields it ignores. :func:`kinesis_record` wraps a CTR the way
Lambda delivers a Kinesis record (docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): ``kinesis.data`` is the
base64 of the JSON, ``sequenceNumber`` orders the shard, ``eventID`` is ``<shard>:<sequence number>``.
"""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

STREAM_ARN = "arn:aws:kinesis:us-east-1:111122223333:stream/connect-contact-records"
SHARD = "shardId-000000000000"
_FIRST_SEQUENCE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898
_sequence = itertools.count(_FIRST_SEQUENCE)


def timestamp(value: datetime) -> str:
    """A CTR timestamp: ``yyyy-mm-ddThh:mm:ssZ`` in UTC."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def chat_ctr(
    contact_id: str,
    *,
    instance_arn: str,
    call_center_id: str,
    ended: datetime,
    source: str = "SCCAC",
    attributes: dict[str, str] | None = None,
    agent_user_name: str | None = "jdoe",
    queue_arn: str | None = None,
) -> dict[str, Any]:
    """The CTR of a chat contact that ended at ``ended``: queued 30 s, handled by ``agent_user_name`` for 5 minutes
    then 28 s of after-contact work (no agent: the customer left the queue), last updated a minute after the end.

    ``attributes`` are added to the contact attributes CreateMessagingSession leaves (``source``,
    ``callCenterId``); ``source`` is the one the function filters on.
    """
    account = instance_arn.split(":")[4]
    started = ended - timedelta(minutes=6)
    enqueued = started + timedelta(seconds=20)
    dequeued = enqueued + timedelta(seconds=30)
    agent = None
    if agent_user_name:
        agent = {
            "ARN": f"{instance_arn}/agent/{uuid.uuid5(uuid.NAMESPACE_URL, agent_user_name)}",
            "AfterContactWorkDuration": 28,
            "AfterContactWorkEndTimestamp": timestamp(ended + timedelta(seconds=28)),
            "AfterContactWorkStartTimestamp": timestamp(ended),
            "AgentInteractionDuration": int((ended - dequeued).total_seconds()),
            "ConnectedToAgentTimestamp": timestamp(dequeued),
            "CustomerHoldDuration": 0,
            "HierarchyGroups": None,
            "LongestHoldDuration": 0,
            "NumberOfHolds": 0,
            "RoutingProfile": {
                "ARN": f"{instance_arn}/routing-profile/{uuid.uuid5(uuid.NAMESPACE_URL, instance_arn + '#chat')}",
                "Name": "Chat Routing Profile",
            },
            "Username": agent_user_name,
        }
    return {
        "AWSAccountId": account,
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "Agent": agent,
        "AgentConnectionAttempts": 1 if agent else 0,
        "Attributes": {"source": source, "callCenterId": call_center_id, **(attributes or {})},
        "Channel": "CHAT",
        "ConnectedToSystemTimestamp": timestamp(started),
        "ContactId": contact_id,
        "CustomerEndpoint": None,
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "DisconnectTimestamp": timestamp(ended),
        "InitialContactId": contact_id,
        "InitiationMethod": "API",
        "InitiationTimestamp": timestamp(started),
        "InstanceARN": instance_arn,
        "LastUpdateTimestamp": timestamp(ended + timedelta(minutes=1)),
        "MediaStreams": [{"Type": "CHAT"}],
        "NextContactId": None,
        "PreviousContactId": None,
        "Queue": {
            "ARN": queue_arn or f"{instance_arn}/queue/{uuid.uuid5(uuid.NAMESPACE_URL, instance_arn + '#queue')}",
            "DequeueTimestamp": timestamp(dequeued),
            "Duration": int((dequeued - enqueued).total_seconds()),
            "EnqueueTimestamp": timestamp(enqueued),
            "Name": "Support",
        },
        "Recording": None,
        "Recordings": None,
        "References": [],
        "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:Chat"}},
        "SystemEndpoint": None,
        "Tags": {"aws:connect:instanceId": instance_arn.rsplit("/", 1)[-1]},
        "TransferCompletedTimestamp": None,
        "TransferredToEndpoint": None,
    }


def kinesis_record(
    payload: dict[str, Any] | bytes | str, *, sequence_number: str | None = None, stream_arn: str = STREAM_ARN
) -> dict[str, Any]:
    """One Lambda Kinesis event record carrying ``payload``: a CTR dict is JSON-encoded, bytes are base64-encoded as
    they are, a str goes into ``data`` unchanged (to send something that is not base64). Sequence numbers increase
    from one call to the next unless given."""
    if isinstance(payload, dict):
        data = base64.b64encode(json.dumps(payload).encode()).decode()
        partition_key = str(payload.get("ContactId", "x"))
    elif isinstance(payload, bytes):
        data, partition_key = base64.b64encode(payload).decode(), "x"
    else:
        data, partition_key = payload, "x"
    sequence_number = sequence_number or str(next(_sequence))
    region = stream_arn.split(":")[3]
    account = stream_arn.split(":")[4]
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": data,
            "approximateArrivalTimestamp": 1742000000.123,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{SHARD}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{account}:role/connect-omni-ContactTraceRecordFunctionRole",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def kinesis_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A Kinesis event of ``records`` (each from :func:`kinesis_record`, or a CTR dict to wrap)."""
    return {"Records": [r if "kinesis" in r else kinesis_record(r) for r in records]}


def ctr_of(record: dict[str, Any]) -> dict[str, Any]:
    """The CTR a Kinesis event record carries (its ``data`` decoded)."""
    return json.loads(base64.b64decode(record["kinesis"]["data"]))

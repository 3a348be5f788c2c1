"""Build CTRs and the Lambda Kinesis events that carry them (docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html)."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import CALL_CENTER_ID, INSTANCE_ARN

HERE = Path(__file__).parent
STREAM_ARN = "arn:aws:kinesis:us-east-1:111122223333:stream/connect-ctr-stream"
SHARD = "shardId-000000000000"
_sequence = itertools.count(49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898)


def fixture(name: str) -> dict[str, Any]:
    """A CTR from ``tests/contact_records/`` (see README.md there for provenance)."""
    return json.loads((HERE / name).read_text())


def ctr(
    contact_id: str | None = None,
    *,
    updated: datetime | str = "2025-03-15T00:08:02Z",
    source: str | None = "SCCAC",
    call_center_id: str | None = CALL_CENTER_ID,
    **fields: Any,
) -> dict[str, Any]:
    """A chat CTR (the shape of ``ctr_chat_with_agent.json``) for ``contact_id`` with ``LastUpdateTimestamp``
    ``updated``; ``source`` / ``call_center_id`` None leave the attribute out; ``fields`` override CTR fields."""
    record = copy.deepcopy(fixture("ctr_chat_with_agent.json"))
    contact_id = contact_id or str(uuid.uuid4())
    record["ContactId"] = record["InitialContactId"] = contact_id
    record["InstanceARN"] = INSTANCE_ARN
    record["LastUpdateTimestamp"] = updated if isinstance(updated, str) else iso(updated)
    attributes = record["Attributes"]
    for key, value in (("source", source), ("callCenterId", call_center_id)):
        if value is None:
            attributes.pop(key, None)
        else:
            attributes[key] = value
    record.update(fields)
    return record


def iso(value: datetime) -> str:
    """``yyyy-mm-ddThh:mm:ssZ`` (the CTR's timestamp format)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(seconds: int) -> datetime:
    """A fixed base time plus ``seconds``."""
    return datetime(2025, 3, 15, 0, 8, 2, tzinfo=UTC) + timedelta(seconds=seconds)


def record(payload: dict[str, Any] | bytes | str, *, sequence_number: str | None = None) -> dict[str, Any]:
    """One Lambda Kinesis event record carrying ``payload`` (a CTR dict is JSON-encoded; bytes are base64-encoded
    as they are; a str is put in ``data`` as it is, e.g. to send something that is not base64)."""
    if isinstance(payload, dict):
        data = base64.b64encode(json.dumps(payload).encode()).decode()
        partition_key = payload.get("ContactId", "x")
    elif isinstance(payload, bytes):
        data, partition_key = base64.b64encode(payload).decode(), "x"
    else:
        data, partition_key = payload, "x"
    sequence_number = sequence_number or str(next(_sequence))
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
        "invokeIdentityArn": "arn:aws:iam::111122223333:role/connect-omni-ContactTraceRecordFunctionRole",
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM_ARN,
    }


def event(*records: dict[str, Any]) -> dict[str, Any]:
    """A Kinesis event of ``records`` (each from :func:`record`, or a CTR dict to wrap)."""
    return {"Records": [r if "kinesis" in r else record(r) for r in records]}


def sequence_numbers(evt: dict[str, Any]) -> list[str]:
    return [r["kinesis"]["sequenceNumber"] for r in evt["Records"]]


def failures(response: dict[str, Any]) -> list[str]:
    """The ``itemIdentifier`` values of a partial batch response."""
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]

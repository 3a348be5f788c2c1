"""Build CTRs and the Lambda Kinesis events that carry them (docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from localdev.ctr_stream import kinesis_record
from localdev.ctr_stream import timestamp as iso
from tests.conftest import CALL_CENTER_ID, INSTANCE_ARN

HERE = Path(__file__).parent
STREAM_ARN = "arn:aws:kinesis:us-east-1:111122223333:stream/connect-ctr-stream"


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


def at(seconds: int) -> datetime:
    """A fixed base time plus ``seconds``."""
    return datetime(2025, 3, 15, 0, 8, 2, tzinfo=UTC) + timedelta(seconds=seconds)


def record(payload: dict[str, Any] | bytes | str, *, sequence_number: str | None = None) -> dict[str, Any]:
    """One Lambda Kinesis event record carrying ``payload`` (see :func:`localdev.ctr_stream.kinesis_record`)."""
    return kinesis_record(payload, sequence_number=sequence_number, stream_arn=STREAM_ARN)


def event(*records: dict[str, Any]) -> dict[str, Any]:
    """A Kinesis event of ``records`` (each from :func:`record`, or a CTR dict to wrap)."""
    return {"Records": [r if "kinesis" in r else record(r) for r in records]}


def sequence_numbers(evt: dict[str, Any]) -> list[str]:
    return [r["kinesis"]["sequenceNumber"] for r in evt["Records"]]


def failures(response: dict[str, Any]) -> list[str]:
    """The ``itemIdentifier`` values of a partial batch response."""
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]

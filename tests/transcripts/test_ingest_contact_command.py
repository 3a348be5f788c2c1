"""``python -m localdev.ingest_contact``: DLQ message unwrapping and the contact-id path."""

from __future__ import annotations

import json

from localdev import ingest_contact
from tests.conftest import load_event
from tests.transcripts.conftest import CONTACT_ID


def test_unwraps_raw_event_destination_record_and_sqs_message():
    event = load_event("contact_event_disconnected_bot_only.json")
    record = {"version": "1.0", "requestPayload": event, "responsePayload": {"errorType": "TranscriptNotReadyError"}}
    received = {"Messages": [{"MessageId": "m-1", "Body": json.dumps(record)}]}
    for document in (event, record, {"body": json.dumps(event)}, received):
        assert ingest_contact.unwrap_event(document) == event


def test_contact_id_path_ingests_with_the_function_code(world, capsys):
    world.expect_attributes()
    world.put_transcript()
    day = world.transcript["Transcript"][0]["AbsoluteTime"][:10]
    assert ingest_contact.main([CONTACT_ID, "--date", day, "--budget-seconds", "30"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "ingested" and summary["uploaded"] == 7
    assert len(world.history.stored) == 7

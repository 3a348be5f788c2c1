"""Ingest one contact's chat transcript into Salesforce on demand (replays, support).

::

    python -m localdev.ingest_contact <contactId> [--initial-contact-id ID] [--date YYYY-MM-DD]
    python -m localdev.ingest_contact --event dlq-message.json

Runs the same code as TranscriptIngestionFunction (:mod:`connect_omni.transcripts`) with the configuration of
the environment (the function's variables: ``SALESFORCE_*``, ``CALL_CENTER_ID``, ``CONNECT_INSTANCE_ARN``,
``CHAT_TRANSCRIPTS_BUCKET``, ``CHAT_TRANSCRIPTS_PREFIX``; AWS credentials that may call
``connect:GetContactAttributes``, ``s3:ListBucket``/``s3:GetObject`` and read the Salesforce secret).

With a contact id it checks the call center and the channel (contact attributes) and the age, then uploads;
it does not know whether an agent took part (use ``--event`` with the original event for that check).
Entry ids are the same as the function's, so a contact already ingested comes back as duplicates.

``--event FILE`` replays an EventBridge contact event: the raw event, a Lambda on-failure destination record
(``requestPayload``), or an SQS message holding either (``Body``/``body``), as ``aws sqs receive-message``
prints it (the first message of ``Messages``).

Prints the summary as JSON; exit status 0 when nothing was raised, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def _import_src() -> None:
    try:
        import connect_omni  # noqa: F401
    except ModuleNotFoundError:
        sys.path.insert(0, str(REPO_ROOT / "src"))


def unwrap_event(document: Any) -> dict[str, Any]:
    """The EventBridge event inside a DLQ message, a destination record or ``receive-message`` output."""
    if isinstance(document, dict) and isinstance(document.get("Messages"), list) and document["Messages"]:
        document = document["Messages"][0]
    for key in ("Body", "body"):
        if isinstance(document, dict) and isinstance(document.get(key), str):
            document = json.loads(document[key])
    if isinstance(document, dict) and isinstance(document.get("requestPayload"), dict):
        document = document["requestPayload"]
    if not isinstance(document, dict) or "detail" not in document:
        raise SystemExit("--event: no EventBridge contact event found in the file")
    return document


def _days(day: date | None) -> tuple[date, ...]:
    if day is not None:
        return (day, day + timedelta(days=1))
    today = datetime.now(UTC).date()
    return (today, today - timedelta(days=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.ingest_contact", description=__doc__.split("\n\n")[0])
    parser.add_argument("contact_id", nargs="?", help="the contact whose transcript to ingest")
    parser.add_argument("--initial-contact-id", help="the chat's initial contact (default: the contact id)")
    parser.add_argument(
        "--date", type=date.fromisoformat, help="UTC day of the contact, YYYY-MM-DD (default: today and yesterday)"
    )
    parser.add_argument("--event", type=Path, help="replay this EventBridge event / DLQ message instead")
    parser.add_argument("--budget-seconds", type=float, default=120.0, help="time allowed, as a Lambda timeout")
    args = parser.parse_args(argv)
    if bool(args.contact_id) == bool(args.event):
        parser.error("give a contact id or --event, not both")

    _import_src()
    from connect_omni.budget import Budget
    from connect_omni.errors import ConnectOmniError
    from connect_omni.models.contact_event import ContactEvent
    from connect_omni.transcripts import ContactRef, ingest_contact, ingest_contact_event

    budget = Budget.of_seconds(args.budget_seconds)
    try:
        if args.event:
            event = ContactEvent.parse(unwrap_event(json.loads(args.event.read_text())))
            summary = ingest_contact_event(event, budget)
        else:
            contact = ContactRef(
                contact_id=args.contact_id,
                initial_contact_id=args.initial_contact_id or args.contact_id,
                days=_days(args.date),
            )
            summary = ingest_contact(contact, budget)
    except ConnectOmniError as exc:
        print(json.dumps({"status": "error", "error_type": type(exc).__name__, "error": str(exc)}))
        return 1
    print(json.dumps(summary, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

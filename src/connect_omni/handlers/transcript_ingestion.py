"""TranscriptIngestionFunction: the transcript of a bot-only chat -> Salesforce ``/conversationHistory``.

Trigger: EventBridge rule on ``aws.connect`` / ``Amazon Connect Contact Event`` with ``eventType``
DISCONNECTED, ``channel`` CHAT, the instance ``CONNECT_INSTANCE_ARN`` (asynchronous invocation).
Answer: a summary (``status``, ``reason``, counts); transient failures are raised so that Lambda retries the
event and then sends it to the on-failure destination.

Integrations: Connect ``GetContactAttributes``, S3 (``CHAT_TRANSCRIPTS_BUCKET`` / ``CHAT_TRANSCRIPTS_PREFIX``),
Secrets Manager and the Salesforce token endpoint (cold start), ``POST /api/v1/conversation`` (or
``/interactions``), ``POST /api/v1/conversationHistory``. See :mod:`connect_omni.transcripts` and
docs/transcripts.md.
"""

from __future__ import annotations

from typing import Any

from connect_omni.budget import Budget
from connect_omni.handlers._eventbridge import contact_event_handler
from connect_omni.models.contact_event import ContactEvent
from connect_omni.transcripts import ingest_contact_event


def transcript_ingestion(event: ContactEvent, budget: Budget) -> dict[str, Any]:
    """Ingest the transcript of the contact the event reports (see :func:`ingest_contact_event`)."""
    return ingest_contact_event(event, budget)


lambda_handler = contact_event_handler(transcript_ingestion)

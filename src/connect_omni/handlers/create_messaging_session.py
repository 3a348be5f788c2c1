"""CreateMessagingSessionFunction: the Salesforce Conversation and MessagingSession for a chat contact.

Input (block parameter or contact attribute): ``channelAddressIdentifier`` (required), ``clientId``
(optional; default the SMS / WhatsApp customer's E.164 number, else the contact's ``InitialContactId``; see
:func:`connect_omni.messaging.choose_end_user`), ``workItemId`` (set on a re-queued contact: its ended session).
Answer: ``conversationIdentifier``, ``workItemId`` (MessagingSession id), ``source`` = ``SCCAC``,
``callCenterId``.

Integrations: Secrets Manager (cold start), Salesforce token endpoint (cold start),
``POST /api/v1/conversation`` (or ``/interactions``). Environment variables: see ``connect_omni.settings``.
"""

from __future__ import annotations

from connect_omni import container
from connect_omni.budget import Budget
from connect_omni.handlers._flow import connect_flow_handler
from connect_omni.messaging import SessionRequest, open_messaging_session
from connect_omni.models.connect import ContactFlowEvent, string_map
from connect_omni.observability import count, logger

#: Marks the contact as an SCC-AC messaging contact (the value SCC-AC's flows test).
SOURCE = "SCCAC"


def create_messaging_session(event: ContactFlowEvent, budget: Budget) -> dict[str, str]:
    """Open the session for the contact and answer the flow (see the module docstring)."""
    settings = container.settings()
    request = SessionRequest.from_event(event, use_customer_address=settings.end_user_from_customer_address)
    session = open_messaging_session(
        container.interaction_service(),
        request,
        budget,
        mode=settings.session_creation_mode,
        ledger=container.state_table(),
        contact_id=event.contact.contact_id,
    )
    count("SessionsCreated")
    logger.info(
        "Messaging session ready",
        extra={
            "conversation_identifier": session.conversation_identifier,
            "work_item_id": session.work_item_id,
            "channel_address_identifier": request.channel_address_identifier,
            "end_user_source": request.end_user_source,
        },
    )
    return string_map(
        {
            "conversationIdentifier": session.conversation_identifier,
            "workItemId": session.work_item_id,
            "source": SOURCE,
            "callCenterId": settings.call_center_id,
        }
    )


lambda_handler = connect_flow_handler(create_messaging_session)

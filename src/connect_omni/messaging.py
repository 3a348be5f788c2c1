"""Use case: the Salesforce Conversation and MessagingSession for a new Amazon Connect chat contact."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from connect_omni.budget import Budget
from connect_omni.errors import InputError, SalesforceError
from connect_omni.models.connect import ContactFlowEvent
from connect_omni.observability import count, logger
from connect_omni.salesforce.interaction import InteractionServiceClient

#: ``InteractionRequestJson.from`` maxLength (inbound-interaction-api.yaml).
CLIENT_ID_MAX = 255
_SALESFORCE_ID = re.compile(r"^[0-9A-Za-z]{15}([0-9A-Za-z]{3})?$")


@dataclass(frozen=True)
class SessionRequest:
    """What CreateMessagingSession needs: the channel and the end user.

    ``client_id`` is the ``clientId`` input, else the contact's ``InitialContactId`` (else ``ContactId``):
    the same end user across transfers, so every contact of one chat joins one Conversation.
    """

    channel_address_identifier: str
    client_id: str

    @classmethod
    def from_event(cls, event: ContactFlowEvent) -> SessionRequest:
        """Read and check the inputs of a CreateMessagingSession invocation (see :meth:`from_values`)."""
        contact = event.contact
        return cls.from_values(
            event.value("channelAddressIdentifier"),
            event.value("clientId"),
            initial_contact_id=contact.initial_contact_id or contact.contact_id,
        )

    @classmethod
    def from_values(
        cls, channel_address_identifier: str | None, client_id: str | None, *, initial_contact_id: str
    ) -> SessionRequest:
        """Check the channel and pick the end user.

        Parameters
        ----------
        channel_address_identifier, client_id:
            The inputs (``None`` or blank when not set).
        initial_contact_id:
            The chat's ``InitialContactId``: the end user when ``client_id`` is not set.

        Raises
        ------
        InputError
            ``channelAddressIdentifier`` missing or not a UUID (MessagingChannel.ChannelAddressIdentifier is
            a UUID, API 59.0+); ``clientId`` longer than 255 characters.
        """
        channel = (channel_address_identifier or "").strip()
        if not channel:
            raise InputError(
                "channelAddressIdentifier",
                "the channel address identifier of the Salesforce messaging channel, as a contact attribute "
                "or block parameter",
            )
        try:
            uuid.UUID(channel)
        except ValueError:
            raise InputError(
                "channelAddressIdentifier",
                f"a UUID (the messaging channel's channel address identifier), got {channel[:60]!r}",
            ) from None
        client = (client_id or "").strip() or initial_contact_id
        if len(client) > CLIENT_ID_MAX:
            raise InputError("clientId", f"at most {CLIENT_ID_MAX} characters, got {len(client)}")
        return cls(channel_address_identifier=channel, client_id=client)


@dataclass(frozen=True)
class MessagingSession:
    """The records Salesforce holds for the chat: ``conversation_identifier`` and ``work_item_id`` (the
    MessagingSession id, ``0Mw...``)."""

    conversation_identifier: str
    work_item_id: str


def open_messaging_session(
    client: InteractionServiceClient,
    request: SessionRequest,
    budget: Budget,
    mode: Literal["conversation", "interactions"] = "conversation",
) -> MessagingSession:
    """Create or reuse the Conversation and MessagingSession of ``request``.

    ``conversation`` mode calls Establish Conversation (``POST /conversation``), which adds no message to the
    transcript; if Salesforce answers without a ``messagingSessionId`` it falls back, in the same invocation,
    to SCC-AC's way. ``interactions`` mode goes straight to SCC-AC's way: an EntryInteraction with an empty
    text message (``POST /interactions``), whose ``workItemIds[0]`` is the session.

    Raises
    ------
    SalesforceError
        Salesforce refused or failed (subclasses for auth and unavailability), or answered without a
        session id.
    BudgetExhaustedError
        The invocation's budget ran out.
    """
    conversation_identifier: str | None = None
    if mode == "conversation":
        established = client.establish_conversation(request.channel_address_identifier, request.client_id, budget)
        if established.messaging_session_id:
            return MessagingSession(established.conversation_identifier, established.messaging_session_id)
        conversation_identifier = established.conversation_identifier
        count("SessionFallbackToInteraction")
        logger.warning(
            "Establish Conversation returned no messagingSessionId; sending an EntryInteraction",
            extra={"conversation_identifier": conversation_identifier},
        )
    sent = client.send_entry_interaction(request.channel_address_identifier, request.client_id, budget)
    if not sent.work_item_ids or not _SALESFORCE_ID.match(sent.work_item_ids[0]):
        raise SalesforceError("POST /api/v1/interactions", status=202, detail="no MessagingSession id in workItemIds")
    if conversation_identifier and conversation_identifier != sent.conversation_identifier:
        logger.warning(
            "Salesforce answered two conversation identifiers; using the interaction's",
            extra={"conversation_identifier": sent.conversation_identifier},
        )
    return MessagingSession(sent.conversation_identifier, sent.work_item_ids[0])

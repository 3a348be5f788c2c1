"""Use case: the Salesforce Conversation and MessagingSession for a new Amazon Connect chat contact.

The end user (the participant ``subject`` Salesforce keys the Conversation by, one Conversation per channel and
end user) is chosen by :func:`choose_end_user`, the one rule CreateMessagingSession and the transcript
ingestion share: ``clientId``, else the customer's stable address on a messaging channel (SMS, WhatsApp), else
the chat's ``InitialContactId``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from connect_omni.aws import AwsCallError
from connect_omni.aws.state_table import Claim, StateTable
from connect_omni.budget import MIN_ATTEMPT_S, Budget
from connect_omni.errors import BudgetExhaustedError, InputError, SalesforceError, SalesforceUnavailableError
from connect_omni.models.connect import ContactFlowEvent, forbidden_character, segment_subtype
from connect_omni.models.salesforce import InteractionResponse
from connect_omni.observability import count, logger
from connect_omni.salesforce.interaction import InteractionServiceClient

#: ``InteractionRequestJson.from`` maxLength (inbound-interaction-api.yaml).
CLIENT_ID_MAX = 255
_CANONICAL_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SALESFORCE_ID = re.compile(r"^[0-9A-Za-z]{15}([0-9A-Za-z]{3})?$")
#: ``connect:Subtype`` of web chat (StartChatContact, the communications widget): no stable customer address.
WEB_CHAT_SUBTYPE = "connect:Chat"
#: E.164: "+", a country code not starting with 0, at most 15 digits in all (ITU-T E.164); 7 at least here.
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-]")

EndUserSource = Literal["clientId", "customerAddress", "initialContactId"]


def e164(address: object) -> str | None:
    """``address`` as an E.164 phone number (``+14155550123``), or None when it is not one.

    Spaces, dots, dashes and parentheses are removed (``+1 (415) 555-0123`` -> ``+14155550123``); nothing is
    guessed (no national or ``00`` prefixes): Connect gives SMS and WhatsApp customer numbers in E.164 already
    (``CustomerEndpoint`` of Type TELEPHONE_NUMBER; Amazon Connect API Reference, Endpoint / EndpointInfo).
    """
    if not isinstance(address, str):
        return None
    number = _PHONE_PUNCTUATION.sub("", address)
    return number if _E164.match(number) else None


def customer_address(subtype: str | None, customer_endpoint: object) -> str | None:
    """The customer's stable address on a messaging channel, or None.

    A contact whose channel subtype (``SegmentAttributes["connect:Subtype"]``) is set and is not web chat
    (``connect:Chat``) - ``connect:SMS``, ``connect:WhatsApp`` - and whose ``CustomerEndpoint`` is a
    TELEPHONE_NUMBER has the customer's phone number as a stable address: the same customer writes from it
    in every conversation. Returned in E.164 (:func:`e164`); None for any other contact, or a number that is
    not E.164.
    """
    if not subtype or subtype == WEB_CHAT_SUBTYPE or not isinstance(customer_endpoint, dict):
        return None
    if customer_endpoint.get("Type") != "TELEPHONE_NUMBER":
        return None
    return e164(customer_endpoint.get("Address"))


def choose_end_user(
    client_id: str | None,
    *,
    initial_contact_id: str,
    subtype: str | None = None,
    customer_endpoint: object = None,
    use_customer_address: bool = True,
) -> tuple[str, EndUserSource]:
    """The end user of a chat, and where it came from.

    1. ``client_id`` (the ``clientId`` input) when set;
    2. else, when ``use_customer_address`` (``END_USER_FROM_CUSTOMER_ADDRESS``), the customer's stable address
       (:func:`customer_address`: the E.164 number of an SMS or WhatsApp customer), so that one customer's
       conversations share one Salesforce Conversation and its history;
    3. else ``initial_contact_id``: the same end user across the transfers of one chat (web chat).

    Returns
    -------
    (str, str)
        The end user's client id and ``"clientId"`` | ``"customerAddress"`` | ``"initialContactId"``.
    """
    client = (client_id or "").strip()
    if client:
        return client, "clientId"
    if use_customer_address:
        address = customer_address(subtype, customer_endpoint)
        if address:
            return address, "customerAddress"
        if subtype and subtype != WEB_CHAT_SUBTYPE and isinstance(customer_endpoint, dict):
            logger.warning(
                "The customer's address is not an E.164 phone number; the end user is the contact id",
                extra={"subtype": subtype, "endpoint_type": customer_endpoint.get("Type")},
            )
    return initial_contact_id, "initialContactId"


@dataclass(frozen=True)
class SessionRequest:
    """What CreateMessagingSession needs: the channel and the end user.

    ``client_id`` is the end user of :func:`choose_end_user`: the ``clientId`` input, else the customer's
    E.164 number on SMS / WhatsApp (unless ``END_USER_FROM_CUSTOMER_ADDRESS`` is false), else the contact's
    ``InitialContactId`` (else ``ContactId``): the same end user across transfers, so every contact of one chat
    joins one Conversation. ``end_user_source`` says which of the three it is (logged instead of the value: a
    phone number is personal data).

    ``previous_work_item_id`` is the MessagingSession the contact already holds (its ``workItemId``
    attribute), set when CreateMessagingSession runs again for a contact that already had a session: a chat
    re-queued by the disconnect flow, whose session the agent has ended. :func:`open_messaging_session`
    never answers it back from Establish Conversation (see there).
    """

    channel_address_identifier: str
    client_id: str
    previous_work_item_id: str | None = None
    end_user_source: EndUserSource = "initialContactId"

    @classmethod
    def from_event(cls, event: ContactFlowEvent, *, use_customer_address: bool = True) -> SessionRequest:
        """Read and check the inputs of a CreateMessagingSession invocation (see :meth:`from_values`); the
        subtype and customer endpoint come from the event's ``ContactData``."""
        contact = event.contact
        request = cls.from_values(
            event.value("channelAddressIdentifier"),
            event.value("clientId"),
            initial_contact_id=contact.initial_contact_id or contact.contact_id,
            subtype=contact.subtype,
            customer_endpoint=contact.customer_endpoint,
            use_customer_address=use_customer_address,
        )
        previous = event.value("workItemId")
        return replace(request, previous_work_item_id=previous) if previous else request

    @classmethod
    def from_values(
        cls,
        channel_address_identifier: str | None,
        client_id: str | None,
        *,
        initial_contact_id: str,
        subtype: str | None = None,
        customer_endpoint: object = None,
        segment_attributes: object = None,
        use_customer_address: bool = True,
    ) -> SessionRequest:
        """Check the channel and pick the end user (:func:`choose_end_user`).

        Parameters
        ----------
        channel_address_identifier, client_id:
            The inputs (``None`` or blank when not set).
        initial_contact_id:
            The chat's ``InitialContactId``: the end user when neither ``client_id`` nor a customer address is.
        subtype, customer_endpoint:
            The contact's channel subtype and ``CustomerEndpoint`` (``{"Address", "Type"}``), from the Lambda
            event or DescribeContact; ``segment_attributes`` (the whole ``SegmentAttributes`` map) may be given
            instead of ``subtype``.
        use_customer_address:
            ``END_USER_FROM_CUSTOMER_ADDRESS``.

        Raises
        ------
        InputError
            ``channelAddressIdentifier`` missing or not a UUID in its canonical 8-4-4-4-12 form
            (MessagingChannel.ChannelAddressIdentifier is a UUID, API 59.0+; braces, ``urn:uuid:`` or no dashes
            are refused rather than guessed, upper case is sent lower-cased); the end user longer than 255
            characters or holding a control character (named ``clientId`` or ``InitialContactId``).
        """
        channel = (channel_address_identifier or "").strip()
        if not channel:
            raise InputError(
                "channelAddressIdentifier",
                "the channel address identifier of the Salesforce messaging channel, as a contact attribute "
                "or block parameter",
            )
        if not _CANONICAL_UUID.match(channel):
            raise InputError(
                "channelAddressIdentifier",
                "a UUID in its canonical form (8-4-4-4-12 hexadecimal digits, e.g. "
                f"5f0c6f5e-7a33-4c3d-9a38-2f0d3c1b7a11), got {channel[:60]!r}",
            )
        channel = channel.lower()
        client, source = choose_end_user(
            client_id,
            initial_contact_id=initial_contact_id,
            subtype=subtype or segment_subtype(segment_attributes),
            customer_endpoint=customer_endpoint,
            use_customer_address=use_customer_address,
        )
        field = "InitialContactId" if source == "initialContactId" else "clientId"
        if len(client) > CLIENT_ID_MAX:
            raise InputError(field, f"at most {CLIENT_ID_MAX} characters, got {len(client)}")
        if forbidden_character(client):
            raise InputError(field, f"no control characters, got {forbidden_character(client)}")
        return cls(channel_address_identifier=channel, client_id=client, end_user_source=source)


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
    *,
    ledger: StateTable | None = None,
    contact_id: str | None = None,
) -> MessagingSession:
    """Create or reuse the Conversation and MessagingSession of ``request``.

    ``POST /interactions`` adds a message and is not idempotent, so it is never sent twice for one contact's
    session: a claim ``interaction#<contactId>#<previous workItemId>`` in the state table (``ledger``) tells a
    retry of the flow that an earlier invocation sent (or may have sent) it; after an unknown outcome, in the
    same invocation or a later one, the session is asked of Establish Conversation (idempotent) instead, and
    the EntryInteraction is sent again only when Salesforce shows no session from the first one
    (:func:`_entry_interaction_once`).

    ``conversation`` mode calls Establish Conversation (``POST /conversation``), which adds no message to the
    transcript; if Salesforce answers without a ``messagingSessionId``, or with the contact's own
    ``request.previous_work_item_id`` (the session of a re-queued chat, which the agent ended), it falls back,
    in the same invocation, to SCC-AC's way. ``interactions`` mode goes straight to SCC-AC's way: an
    EntryInteraction with an empty text message (``POST /interactions``), whose ``workItemIds[0]`` is the
    session.

    Salesforce behaviour relied on: one Conversation per channel and end user ("Establish a Conversation",
    Interaction Service API reference); an end user's interaction lands in the conversation's active
    MessagingSession and opens a new one when the previous session has ended, which is how SCC-AC gets a new
    session for a re-queued chat (SCC-AC "customize-disconnect-flow": "the previous messaging session has
    ended", CreateMessagingSession must run again). Establish Conversation's answer after a session ended is
    not documented ("returns the existing messagingSessionId if one exists"), so it is not trusted to give a
    new one to a contact that already had one.

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
        session_id = established.messaging_session_id
        if session_id and session_id != request.previous_work_item_id:
            return MessagingSession(established.conversation_identifier, session_id)
        conversation_identifier = established.conversation_identifier
        count("SessionFallbackToInteraction")
        if session_id:
            logger.warning(
                "Establish Conversation answered the contact's previous MessagingSession, which has ended; "
                "sending an EntryInteraction for a new one",
                extra={"conversation_identifier": conversation_identifier, "previous_work_item_id": session_id},
            )
        else:
            logger.warning(
                "Establish Conversation returned no messagingSessionId; sending an EntryInteraction",
                extra={"conversation_identifier": conversation_identifier},
            )
    sent = _entry_interaction_once(client, request, budget, ledger, contact_id)
    if isinstance(sent, MessagingSession):
        return sent
    if not sent.work_item_ids or not _SALESFORCE_ID.match(sent.work_item_ids[0]):
        raise SalesforceError("POST /api/v1/interactions", status=202, detail="no MessagingSession id in workItemIds")
    if conversation_identifier and conversation_identifier != sent.conversation_identifier:
        logger.warning(
            "Salesforce answered two conversation identifiers; using the interaction's",
            extra={"conversation_identifier": sent.conversation_identifier},
        )
    if request.previous_work_item_id and sent.work_item_ids[0] == request.previous_work_item_id:
        # An interaction only lands in an active session: Salesforce kept the contact's session open.
        logger.info(
            "The contact's MessagingSession is still active; reusing it", extra={"work_item_id": sent.work_item_ids[0]}
        )
    return MessagingSession(sent.conversation_identifier, sent.work_item_ids[0])


def _entry_interaction_once(
    client: InteractionServiceClient,
    request: SessionRequest,
    budget: Budget,
    ledger: StateTable | None,
    contact_id: str | None,
) -> InteractionResponse | MessagingSession:
    """Send the EntryInteraction unless an earlier attempt for this contact's session did (see
    :func:`open_messaging_session`); returns its answer, or the session found without sending."""
    claim = None
    if ledger is not None and contact_id:
        try:
            claim = ledger.begin(f"interaction#{contact_id}#{request.previous_work_item_id or ''}", budget)
        except (AwsCallError, BudgetExhaustedError) as exc:
            count("StateTableUnavailable")
            logger.warning("State table unavailable; going on without it", extra={"error": str(exc)})
    if claim is not None and claim.kind == "completed" and claim.answer:
        return MessagingSession(claim.answer["conversationIdentifier"], claim.answer["workItemId"])
    if claim is not None and claim.kind == "unknown":
        found = _session_without_interaction(client, request, budget)
        if found is not None:
            _settle(ledger, claim, budget, found)
            return found
    try:
        sent = client.send_entry_interaction(request.channel_address_identifier, request.client_id, budget)
    except SalesforceUnavailableError as exc:
        if not exc.outcome_unknown:
            _settle(ledger, claim, budget, None)
            raise
        _settle(ledger, claim, budget, None, unknown=True)
        if budget.remaining() < 2 * MIN_ATTEMPT_S:
            raise
        found = _session_without_interaction(client, request, budget)
        if found is None:
            raise
        _settle(ledger, claim, budget, found)
        return found
    except SalesforceError:
        _settle(ledger, claim, budget, None)
        raise
    if sent.work_item_ids:
        _settle(ledger, claim, budget, MessagingSession(sent.conversation_identifier, sent.work_item_ids[0]))
    return sent


def _session_without_interaction(
    client: InteractionServiceClient, request: SessionRequest, budget: Budget
) -> MessagingSession | None:
    """The session Establish Conversation answers (not the contact's previous one), else None."""
    established = client.establish_conversation(request.channel_address_identifier, request.client_id, budget)
    session_id = established.messaging_session_id
    if session_id and session_id != request.previous_work_item_id:
        count("InteractionNotResent")
        logger.warning(
            "An earlier EntryInteraction may have been carried out; using the session Salesforce has instead of "
            "sending another",
            extra={"conversation_identifier": established.conversation_identifier, "work_item_id": session_id},
        )
        return MessagingSession(established.conversation_identifier, session_id)
    return None


def _settle(
    ledger: StateTable | None,
    claim: Claim | None,
    budget: Budget,
    session: MessagingSession | None,
    *,
    unknown: bool = False,
) -> None:
    if ledger is None or claim is None:
        return
    try:
        if session is not None:
            answer = {"conversationIdentifier": session.conversation_identifier, "workItemId": session.work_item_id}
            ledger.complete(claim, answer, budget)
        elif unknown:
            ledger.unknown(claim, budget)
        else:
            ledger.forget(claim, budget)
    except (AwsCallError, BudgetExhaustedError) as exc:
        count("StateTableUnavailable")
        logger.warning("State table unavailable; going on without it", extra={"error": str(exc)})

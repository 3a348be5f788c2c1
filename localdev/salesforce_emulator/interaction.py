"""Request validation for the Interaction Service endpoints (pure functions, no state).

Every rule cites where it comes from: the OpenAPI description ``inbound-interaction-api.yaml`` (schema
names below) and ``ERRORCODES.md`` (codes), both in github.com/salesforce-misc/interaction-service-apis, and
Salesforce's "Send Historical Conversation Entries" reference (developer.salesforce.com/docs/service/
interaction-service-api/references/interaction-service-reference/api-conversationHistory.html).
Each function raises :class:`~.errors.InteractionError` with the code Salesforce documents for the violation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from .errors import InteractionError
from .ids import is_id

ROUTING_TYPES = ("Initial", "Transfer", "Conference")  # RoutingType enum
MESSAGE_TYPES = (  # MessageType enum
    "ChoicesMessage",
    "ChoicesResponseMessage",
    "FormMessage",
    "FormResponseMessage",
    "StaticContentMessage",
)
PARTICIPANT_ROLES = ("EndUser", "Chatbot", "Agent", "Supervisor", "System")  # ParticipantRole enum
APP_TYPES = ("custom", "agent", "chatbot", "conversation", "live_message", "iamessage")  # AppType enum
HISTORY_MAX_AGE_MS = 24 * 3600 * 1000  # "entries no older than 24 hours" (Send Historical Conversation Entries; 10046)


def is_uuid(value: object) -> bool:
    """Tell whether ``value`` is a UUID string in canonical 8-4-4-4-12 form."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _non_empty_str(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def check_headers(headers: Any, *, org_id_15: str, history: bool) -> str:
    """Check ``OrgId``, ``RequestId``, ``AuthorizationContext`` (and ``AuthorizationContextType``).

    Parameters
    ----------
    headers : Mapping
        Case-insensitive request headers.
    org_id_15 : str
        The org's 15-character id; the 18-character form is rejected (10016, ERRORCODES.md).
    history : bool
        True for ``/conversationHistory``, which also requires ``AuthorizationContextType:
        ConversationChannelDefinition`` (inbound-interaction-api.yaml, path parameters).

    Returns
    -------
    str
        The ``AuthorizationContext`` value (checked against the channel by the caller).

    Raises
    ------
    InteractionError
        10016 for a missing/wrong ``OrgId``, a missing/non-UUID ``RequestId``, a missing
        ``AuthorizationContext`` or (history) a missing ``AuthorizationContextType``; 10093 for an
        ``AuthorizationContextType`` other than ConversationChannelDefinition.
    """
    if headers.get("OrgId") != org_id_15:
        raise InteractionError(10016)
    if not is_uuid(headers.get("RequestId")):
        raise InteractionError(10016)
    context = headers.get("AuthorizationContext")
    if not _non_empty_str(context):
        raise InteractionError(10016)
    if history:
        context_type = headers.get("AuthorizationContextType")
        if not context_type:
            raise InteractionError(10016)
        if context_type != "ConversationChannelDefinition":
            raise InteractionError(10093)
    return str(context)


def require_object(body: object) -> dict[str, Any]:
    """Return ``body`` if it is a JSON object, else raise 10100 (a request body is required)."""
    if not isinstance(body, dict) or not body:
        raise InteractionError(10100)
    return body


def check_participant(participant: object, *, roles: tuple[str, ...] = PARTICIPANT_ROLES) -> dict[str, Any]:
    """Check a ``Participant`` (subject, role, appType; all required).

    Raises
    ------
    InteractionError
        10054 bad subject, 10038 unknown role, 10037 unknown appType, 10053 when not an object.
    """
    if not isinstance(participant, dict):
        raise InteractionError(10053)
    if not _non_empty_str(participant.get("subject")):
        raise InteractionError(10054)
    if participant.get("role") not in roles:
        raise InteractionError(10038)
    if participant.get("appType") not in APP_TYPES:
        raise InteractionError(10037)
    return participant


def check_conversation(body: object) -> tuple[str, str]:
    """Validate a ``PostConversationRequest``.

    Exactly one participant, role ``EndUser``, appType ``custom`` (PostConversationRequest
    ``participants`` minItems 1 maxItems 1).

    Returns
    -------
    (str, str)
        ``(channelAddressIdentifier, end-user subject)``.

    Raises
    ------
    InteractionError
        10100 no body, 10052 channelAddressIdentifier, 10053 participants, 10054/10038/10037 participant.
    """
    data = require_object(body)
    channel = data.get("channelAddressIdentifier")
    if not _non_empty_str(channel):
        raise InteractionError(10052)
    participants = data.get("participants")
    if not isinstance(participants, list) or len(participants) != 1:
        raise InteractionError(10053)
    participant = check_participant(participants[0])
    if participant["role"] != "EndUser":
        raise InteractionError(10038)
    if participant["appType"] != "custom":
        raise InteractionError(10037)
    _check_routing_attributes(data.get("routingAttributes"))
    return str(channel), str(participant["subject"])


def _check_routing_attributes(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InteractionError(10089)


def _check_entry(entry: object) -> dict[str, Any]:
    """Check an ``AbstractEntry``; for ``Message`` also its ``abstractMessage``.

    Raises
    ------
    InteractionError
        10045 malformed entry, 10047 bad messageType, 10048 bad static content format.
    """
    if not isinstance(entry, dict) or not _non_empty_str(entry.get("id")) or not entry.get("entryType"):
        raise InteractionError(10045)
    if entry["entryType"] == "Message":
        message = entry.get("abstractMessage")
        if not isinstance(message, dict) or not _non_empty_str(message.get("id")):
            raise InteractionError(10045)
        if message.get("messageType") not in MESSAGE_TYPES:
            raise InteractionError(10047)
        if message["messageType"] == "StaticContentMessage":
            content = message.get("staticContent")
            if not isinstance(content, dict):
                raise InteractionError(10045)
            if content.get("formatType") not in ("Text", "Links", "ExperienceType", "Attachments"):
                raise InteractionError(10048)
            if content["formatType"] == "Text" and not isinstance(content.get("text"), str):
                raise InteractionError(10045)
    return entry


def check_interactions(data: object) -> tuple[str, str, dict[str, Any]]:
    """Validate the ``json`` part of ``POST /interactions`` (``InteractionRequestJson``).

    Returns
    -------
    (str, str, dict)
        ``(to, from, the single interaction)``.

    Raises
    ------
    InteractionError
        10100 no json part, 10028 ``from``, 10027 ``to``, 20003 empty list, 10029 bad interaction list
        (``interactions`` minItems 1 maxItems 1; AbstractInteraction requires ``timestamp`` and
        ``interactionType``; EntryInteraction requires ``payload``), 10059/10060 a Message entry whose id and
        message id are empty or differ, 10045/10047/10048 bad entry.
    """
    body = require_object(data)
    sender = body.get("from")
    if not _non_empty_str(sender) or len(sender) > 255:
        raise InteractionError(10028)
    to = body.get("to")
    if not _non_empty_str(to) or len(to) > 240:
        raise InteractionError(10027)
    interactions = body.get("interactions")
    if interactions == []:
        raise InteractionError(20003)
    if not isinstance(interactions, list) or len(interactions) != 1 or not isinstance(interactions[0], dict):
        raise InteractionError(10029)
    interaction = interactions[0]
    if interaction.get("interactionType") not in ("EntryInteraction", "AttachmentInteraction"):
        raise InteractionError(10029)
    if not isinstance(interaction.get("timestamp"), int):
        raise InteractionError(10029)
    if interaction["interactionType"] == "EntryInteraction":
        _check_message_ids(interaction.get("payload"))
        _check_entry(interaction.get("payload"))
    _check_routing_attributes(body.get("routingAttributes"))
    return str(to), str(sender), interaction


def _check_message_ids(payload: object) -> None:
    """An EntryInteraction's ``Message`` entry: its id (``payload.id``, the interaction id) and its message's id
    (``abstractMessage.id``) must both be set and be the same value (ERRORCODES.md 10059 "Interaction ID or
    Message ID is empty", 10060 "Interaction ID and Message ID are mismatched"; SCC-AC sends one UUID for both).

    Raises
    ------
    InteractionError
        10059 either id empty or missing, 10060 the two differ. Other entry types are left to :func:`_check_entry`.
    """
    if not isinstance(payload, dict) or payload.get("entryType") != "Message":
        return
    message = payload.get("abstractMessage")
    interaction_id = payload.get("id")
    message_id = message.get("id") if isinstance(message, dict) else None
    if not _non_empty_str(interaction_id) or not _non_empty_str(message_id):
        raise InteractionError(10059)
    if interaction_id != message_id:
        raise InteractionError(10060)


@dataclass(frozen=True)
class RouteRequest:
    """A validated ``PostRouteRequest``.

    Attributes
    ----------
    conversation_identifier : str
    routing_type : str
        ``Initial`` | ``Transfer`` | ``Conference``.
    queue_id : str or None
        ``routingInfo.queueId``.
    flow_id, flow_fallback_queue_id : str or None
        ``routingInfo.flow.flowId`` / ``.queueId``.
    routing_info : dict or None
        The raw ``routingInfo``.
    """

    conversation_identifier: str
    routing_type: str
    queue_id: str | None
    flow_id: str | None
    flow_fallback_queue_id: str | None
    routing_info: dict[str, Any] | None


def check_route(body: object) -> RouteRequest:
    """Validate a ``PostRouteRequest`` (with ``RoutingInfo`` / ``FlowInfo``).

    Raises
    ------
    InteractionError
        10018 missing conversationIdentifier, 10089 bad routingType or routingInfo shape, 10030 both queue and
        flow, 10024 flow without flowId or fallback queueId, 10032 malformed queue id.
    """
    data = require_object(body)
    conversation = data.get("conversationIdentifier")
    if not _non_empty_str(conversation):
        raise InteractionError(10018)
    routing_type = data.get("routingType")
    if routing_type not in ROUTING_TYPES:
        raise InteractionError(10089)
    info = data.get("routingInfo")
    queue_id = flow_id = fallback = None
    if info is not None:
        if not isinstance(info, dict):
            raise InteractionError(10089)
        _check_routing_attributes(info.get("routingAttributes"))
        queue_id = info.get("queueId")
        flow = info.get("flow")
        if queue_id is not None and flow is not None:
            raise InteractionError(10030)
        if flow is not None:
            if not isinstance(flow, dict) or not _non_empty_str(flow.get("flowId")) or not flow.get("queueId"):
                raise InteractionError(10024)
            flow_id, fallback = str(flow["flowId"]), flow["queueId"]
            if not is_id(fallback, "00G"):
                raise InteractionError(10032)
        if queue_id is not None and not is_id(queue_id, "00G"):
            raise InteractionError(10032)
    return RouteRequest(str(conversation), str(routing_type), queue_id, flow_id, fallback, info)


@dataclass(frozen=True)
class HistoryRequest:
    """A validated ``AddConversationHistoryRequest``.

    Attributes
    ----------
    channel_address_identifier : str
    end_user_subject : str
    participants : list of dict
        ``ConversationParticipant`` objects as sent.
    entries : list of dict
        ``ConversationEntryHistory`` objects as sent.
    messaging_session : dict or None
        ``AbstractMessagingSession`` as sent.
    """

    channel_address_identifier: str
    end_user_subject: str
    participants: list[dict[str, Any]]
    entries: list[dict[str, Any]]
    messaging_session: dict[str, Any] | None


def check_history(body: object, *, now_ms: int, max_entries: int) -> HistoryRequest:
    """Validate an ``AddConversationHistoryRequest`` (all rules that need no stored state).

    Rules: 1 to 3 participants (schema), roles EndUser or Chatbot only, exactly one EndUser, Chatbot needs
    ``leftTime``, EndUser must not have one, ``joinedTime`` required and before ``leftTime``, no duplicate
    participants; 1..``max_entries`` entries (schema maxItems 25; the guide says 5); each entry's sender is one
    of the participants and its clientTimestamp within that participant's joined/left window and not older than
    24 h; entry ids unique within the request (uniqueness across calls is checked by the caller).

    Parameters
    ----------
    body : object
        Parsed JSON body.
    now_ms : int
        Current time, epoch milliseconds.
    max_entries : int
        Maximum entries per call.

    Returns
    -------
    HistoryRequest

    Raises
    ------
    InteractionError
        10100, 10017 (no channelAddressIdentifier), 10039, 10078, 10043, 10042, 10044, 10065, 10066, 10067,
        10101, 10045, 10047, 10048, 10046, 10068, 10074, 10073, 10071 (AttachMessagingSession without sessionId).
    """
    data = require_object(body)
    channel = data.get("channelAddressIdentifier")
    if not _non_empty_str(channel):
        raise InteractionError(10017)
    participants = data.get("conversationParticipants")
    if not isinstance(participants, list) or not participants:
        raise InteractionError(10039)
    if len(participants) > 3:
        raise InteractionError(10078)
    seen: set[tuple[str, str]] = set()
    end_users: list[dict[str, Any]] = []
    for item in participants:
        if not isinstance(item, dict):
            raise InteractionError(10078)
        participant = check_participant(item.get("participant"))
        role = participant["role"]
        if role not in ("EndUser", "Chatbot"):
            raise InteractionError(10043)
        key = (participant["subject"], role)
        if key in seen:
            raise InteractionError(10101)
        seen.add(key)
        joined, left = item.get("joinedTime"), item.get("leftTime")
        if not isinstance(joined, int):
            raise InteractionError(10078)
        if role == "EndUser":
            if left is not None:
                raise InteractionError(10065)
            end_users.append(participant)
        else:
            if not isinstance(left, int):
                raise InteractionError(10066)
            if joined >= left:
                raise InteractionError(10067)
    if not end_users:
        raise InteractionError(10042)
    if len(end_users) > 1:
        raise InteractionError(10044)
    windows = {
        (p["participant"]["subject"], p["participant"]["role"]): (p["joinedTime"], p.get("leftTime"))
        for p in participants
    }
    entries = data.get("conversationEntries")
    if not isinstance(entries, list) or not 1 <= len(entries) <= max_entries:
        raise InteractionError(10078)
    ids: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("clientTimestamp"), int):
            raise InteractionError(10045)
        payload = _check_entry(entry.get("entryPayload"))
        sender = entry.get("sender")
        if not isinstance(sender, dict):
            raise InteractionError(10045)
        window = windows.get((sender.get("subject"), sender.get("role")))
        if window is None:
            raise InteractionError(10068)
        timestamp = entry["clientTimestamp"]
        if timestamp < now_ms - HISTORY_MAX_AGE_MS or timestamp > now_ms + 60_000:
            raise InteractionError(10046)
        joined, left = window
        if timestamp < joined or (left is not None and timestamp > left):
            raise InteractionError(10074)
        if payload["id"] in ids:
            raise InteractionError(10073)
        ids.add(payload["id"])
    session = data.get("messagingSession")
    if session is not None:
        if not isinstance(session, dict) or session.get("messagingSessionRequestType") not in (
            "EstablishMessagingSession",
            "AttachMessagingSession",
        ):
            raise InteractionError(10078)
        if session["messagingSessionRequestType"] == "AttachMessagingSession" and not _non_empty_str(
            (session.get("payload") or {}).get("sessionId")
        ):
            raise InteractionError(10071)
    return HistoryRequest(str(channel), str(end_users[0]["subject"]), participants, entries, session)

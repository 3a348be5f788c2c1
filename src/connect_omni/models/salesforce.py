"""Request and response bodies of the Salesforce Interaction Service API, as the project uses them.

Field names follow Salesforce's OpenAPI description (salesforce-misc/interaction-service-apis,
``inbound-interaction-api.yaml``); the schema name of each model is given in its docstring. Models are
dumped with ``model_dump(by_alias=True, exclude_none=True)``.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RoutingType = Literal["Initial", "Transfer"]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def body(self) -> dict:
        """The JSON body to send."""
        return self.model_dump(by_alias=True, exclude_none=True)


class Participant(_Body):
    """``Participant``: ``subject`` (end-user client id), ``role``, ``appType``."""

    subject: str
    role: Literal["EndUser", "Chatbot", "Agent", "Supervisor", "System"] = "EndUser"
    app_type: Literal["custom", "agent", "chatbot"] = Field("custom", alias="appType")


class ConversationRequest(_Body):
    """``PostConversationRequest`` for ``POST /api/v1/conversation``: exactly one participant."""

    channel_address_identifier: str = Field(alias="channelAddressIdentifier")
    participants: list[Participant] = Field(min_length=1, max_length=1)


class ConversationResponse(_Body):
    """``PostConversationResponse``: ``conversationIdentifier``, ``messagingSessionId``, ``success``."""

    conversation_identifier: str = Field(alias="conversationIdentifier", min_length=1)
    messaging_session_id: str | None = Field(None, alias="messagingSessionId")
    success: bool | None = None


def empty_entry_interaction(channel_address_identifier: str, client_id: str, timestamp_ms: int) -> dict:
    """``InteractionRequestJson`` carrying SCC-AC's session-creating EntryInteraction.

    One ``EntryInteraction`` whose payload is a ``Message`` entry with a ``StaticContentMessage`` of
    ``formatType`` Text and empty text, from the end user ``client_id`` to the channel. The entry id
    (``payload.id``) and the message id (``abstractMessage.id``) are one and the same UUID, as SCC-AC sends
    them: Salesforce refuses two different ones with error 10060 "Interaction ID and Message ID are
    mismatched" (and empty ones with 10059; Interaction Service API error codes, salesforce-misc/
    interaction-service-apis ``ERRORCODES.md``).

    Parameters
    ----------
    timestamp_ms:
        Interaction timestamp, Unix epoch milliseconds.
    """
    interaction_id = str(uuid.uuid4())
    return {
        "to": channel_address_identifier,
        "from": client_id,
        "interactions": [
            {
                "timestamp": timestamp_ms,
                "interactionType": "EntryInteraction",
                "payload": {
                    "id": interaction_id,
                    "entryType": "Message",
                    "abstractMessage": {
                        "messageType": "StaticContentMessage",
                        "id": interaction_id,
                        "staticContent": {"formatType": "Text", "text": ""},
                    },
                },
            }
        ],
    }


class InteractionResponse(_Body):
    """``PostInteractionResponse``: ``workItemIds[0]`` is the MessagingSession id."""

    conversation_identifier: str = Field(alias="conversationIdentifier", min_length=1)
    work_item_ids: list[str] = Field(default_factory=list, alias="workItemIds")
    success: bool | None = None


class FlowInfo(_Body):
    """``FlowInfo``: Omni-Flow id and its fallback queue id (both required, error 10024)."""

    flow_id: str = Field(alias="flowId")
    queue_id: str = Field(alias="queueId")


class RoutingInfo(_Body):
    """``RoutingInfo``: either ``queueId`` or ``flow`` (+ ``routingAttributes``), never both (10030)."""

    queue_id: str | None = Field(None, alias="queueId")
    flow: FlowInfo | None = None
    routing_attributes: dict[str, str] | None = Field(None, alias="routingAttributes")


class RouteRequest(_Body):
    """``PostRouteRequest`` for ``POST /api/v1/route``; no ``routingInfo`` = the channel's own routing."""

    conversation_identifier: str = Field(alias="conversationIdentifier")
    routing_type: RoutingType = Field(alias="routingType")
    routing_info: RoutingInfo | None = Field(None, alias="routingInfo")


class DeleteRouteResponse(_Body):
    """``DeleteRouteResponse`` of ``DELETE /api/v1/route``: ``success`` = the conversation's PSR was cancelled."""

    success: bool = False


class RouteResponse(_Body):
    """``PostRouteResponse``.

    ``contextParamMap`` holds "additional context related to routing response like userId, queueId"; which
    key carries the external (Connect) queue is not documented, so :mod:`connect_omni.routing` reads values,
    not keys.
    """

    success: bool = False
    psr_id: str | None = Field(None, alias="psrId")
    work_item_id: str | None = Field(None, alias="workItemId")
    routing_correlation_id: str | None = Field(None, alias="routingCorrelationId")
    context_param_map: dict[str, str | None] = Field(default_factory=dict, alias="contextParamMap")
    reason_for_not_routing: str | None = Field(None, alias="reasonForNotRouting")
    errors: dict | list | None = None

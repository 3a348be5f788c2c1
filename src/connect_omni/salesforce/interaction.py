"""Client of the Salesforce Interaction Service API (SCRT2), ``{SALESFORCE_SCRT_URL}/api/v1``.

Every call carries ``Authorization: Bearer``, ``OrgId`` (15 characters), ``AuthorizationContext`` and a
fresh ``RequestId`` (UUID4) (inbound-interaction-api.yaml, parameters of each path). A 401/403 leads to one
new token grant and one retry; anything else that is not 2xx raises with Salesforce's error code.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from connect_omni.budget import Budget
from connect_omni.errors import SalesforceAuthError, SalesforceError
from connect_omni.models.salesforce import (
    ConversationRequest,
    ConversationResponse,
    InteractionResponse,
    Participant,
    RouteRequest,
    RouteResponse,
    empty_entry_interaction,
)
from connect_omni.observability import logger, tracer
from connect_omni.salesforce.auth import TokenProvider
from connect_omni.salesforce.transport import Transport, error_from_response


class InteractionServiceClient:
    """The Interaction Service calls the functions make.

    Parameters
    ----------
    base_url:
        ``SALESFORCE_SCRT_URL`` without a trailing slash.
    org_id_15:
        The 15-character org id for the ``OrgId`` header.
    authorization_context:
        ConversationChannelDefinition developer name for the ``AuthorizationContext`` header.
    tokens, transport:
        The container's :class:`TokenProvider` and :class:`Transport`.
    """

    def __init__(
        self,
        *,
        base_url: str,
        org_id_15: str,
        authorization_context: str,
        tokens: TokenProvider,
        transport: Transport,
    ) -> None:
        self.base_url = base_url
        self.org_id_15 = org_id_15
        self.authorization_context = authorization_context
        self.tokens = tokens
        self.transport = transport

    @tracer.capture_method(capture_response=False)
    def establish_conversation(
        self, channel_address_identifier: str, client_id: str, budget: Budget
    ) -> ConversationResponse:
        """``POST /api/v1/conversation``: the Conversation (and its MessagingSession) for an end user.

        Returns the existing ones when they exist; adds no message.
        """
        request = ConversationRequest(
            channel_address_identifier=channel_address_identifier,
            participants=[Participant(subject=client_id)],
        )
        body = self.call("/conversation", budget, json=request.body())
        return ConversationResponse.model_validate(body)

    @tracer.capture_method(capture_response=False)
    def send_entry_interaction(
        self, channel_address_identifier: str, client_id: str, budget: Budget
    ) -> InteractionResponse:
        """``POST /api/v1/interactions`` (multipart, one ``json`` part): SCC-AC's empty text message."""
        payload = empty_entry_interaction(channel_address_identifier, client_id, int(time.time() * 1000))
        files = {"json": (None, json.dumps(payload), "application/json")}
        body = self.call("/interactions", budget, files=files)
        return InteractionResponse.model_validate(body)

    @tracer.capture_method(capture_response=False)
    def route(self, request: RouteRequest, budget: Budget) -> RouteResponse:
        """``POST /api/v1/route``: ask Omni-Channel to route the work item (creates a PSR)."""
        return RouteResponse.model_validate(self.call("/route", budget, json=request.body()))

    @tracer.capture_method(capture_response=False)
    def add_conversation_history(self, body: dict[str, Any], budget: Budget) -> dict[str, Any]:
        """``POST /api/v1/conversationHistory`` with ``AuthorizationContextType: ConversationChannelDefinition``.

        Parameters
        ----------
        body:
            An ``AddConversationHistoryRequest`` body.
        """
        return self.call(
            "/conversationHistory",
            budget,
            json=body,
            extra_headers={"AuthorizationContextType": "ConversationChannelDefinition"},
        )

    @tracer.capture_method(capture_response=False)
    def conversation_entries(
        self, conversation_identifier: str, start_time_ms: int, budget: Budget, *, limit: int = 1
    ) -> dict[str, Any]:
        """``GET /api/v1/conversationEntry``: read a conversation's entries from ``start_time_ms`` (epoch ms).

        Read-only (operationId ``get-conversation-entries``; body GetConversationEntriesRequest, header
        ``AuthorizationContextType: ConversationChannelDefinition``). Returns GetConversationEntriesResponse
        (``success``, ``conversationEntries``). Raises as :meth:`call`.
        """
        body = {"conversationIdentifier": conversation_identifier, "startTime": start_time_ms, "limit": limit}
        return self.call(
            "/conversationEntry",
            budget,
            method="GET",
            json=body,
            extra_headers={"AuthorizationContextType": "ConversationChannelDefinition"},
        )

    def call(
        self,
        path: str,
        budget: Budget,
        *,
        method: str = "POST",
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Send ``method`` (POST by default) to ``/api/v1{path}`` and return the decoded JSON body.

        Raises
        ------
        SalesforceAuthError
            401/403 even with a freshly granted token, or the grant was refused.
        SalesforceError
            Any other non-2xx answer; ``code`` holds Salesforce's error code (e.g. ``10016``).
        SalesforceUnavailableError, BudgetExhaustedError
            See :meth:`Transport.send`.
        """
        operation = f"{method} /api/v1{path}"
        request_id = str(uuid.uuid4())
        for attempt in (1, 2):
            token = self.tokens.get(budget)
            headers = {
                "Authorization": f"Bearer {token.access_token}",
                "OrgId": self.org_id_15,
                "AuthorizationContext": self.authorization_context,
                "RequestId": request_id,
                **(extra_headers or {}),
            }
            response = self.transport.send(
                operation,
                method,
                f"{self.base_url}/api/v1{path}",
                budget,
                request_id=request_id,
                headers=headers,
                **kwargs,
            )
            if response.status_code in (401, 403) and attempt == 1:
                logger.warning(
                    "Salesforce refused the token; granting a new one",
                    extra={"operation": operation, "status": response.status_code, "request_id": request_id},
                )
                self.tokens.invalidate(token)
                continue
            break
        if 200 <= response.status_code < 300:
            try:
                return response.json()
            except ValueError:
                raise SalesforceError(
                    operation,
                    status=response.status_code,
                    detail="response is not JSON",
                    request_id=request_id,
                ) from None
        err = error_from_response(operation, response, request_id)
        cls = SalesforceAuthError if response.status_code in (401, 403) else SalesforceError
        raise cls(operation, status=err.status, code=err.code, detail=err.detail, request_id=request_id)

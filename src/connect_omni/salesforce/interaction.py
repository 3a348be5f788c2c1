"""Client of the Salesforce Interaction Service API (SCRT2), ``{SALESFORCE_SCRT_URL}/api/v1``.

Every call carries ``Authorization: Bearer``, ``OrgId`` (15 characters), ``AuthorizationContext`` and a
fresh ``RequestId`` (UUID4) (inbound-interaction-api.yaml, parameters of each path). A 401/403 leads to one
new token grant and one retry (a refused request was not carried out, so this holds for every call); anything
else that is not 2xx raises with Salesforce's error code. A 2xx answer that is not the documented body raises
:class:`SalesforceUnavailableError` with ``outcome_unknown`` (the request may have been carried out).

Which calls are idempotent (sent again by the transport when their outcome is unknown): ``POST /conversation``
(returns the existing Conversation and session), ``POST /conversationHistory`` (entry ids are deterministic and
a known id is refused with 10073), ``GET /conversationEntry`` and ``DELETE /route`` (cancelling twice leaves
the PSR cancelled). Not idempotent: ``POST /route`` (a second PSR) and ``POST /interactions`` (a second
message); see :mod:`connect_omni.routing` and :mod:`connect_omni.messaging` for how they are made safe.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pydantic import BaseModel, ValidationError

from connect_omni.budget import Budget
from connect_omni.errors import SalesforceAuthError, SalesforceError, SalesforceUnavailableError
from connect_omni.models.salesforce import (
    ConversationRequest,
    ConversationResponse,
    DeleteRouteResponse,
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
        body = self.call("/conversation", budget, idempotent=True, json=request.body())
        return _answer(ConversationResponse, body, "POST /api/v1/conversation")

    @tracer.capture_method(capture_response=False)
    def send_entry_interaction(
        self, channel_address_identifier: str, client_id: str, budget: Budget
    ) -> InteractionResponse:
        """``POST /api/v1/interactions`` (multipart, one ``json`` part): SCC-AC's empty text message."""
        payload = empty_entry_interaction(channel_address_identifier, client_id, int(time.time() * 1000))
        files = {"json": (None, json.dumps(payload), "application/json")}
        body = self.call("/interactions", budget, idempotent=False, files=files)
        return _answer(InteractionResponse, body, "POST /api/v1/interactions")

    @tracer.capture_method(capture_response=False)
    def route(self, request: RouteRequest, budget: Budget) -> RouteResponse:
        """``POST /api/v1/route``: ask Omni-Channel to route the work item (creates a PSR). Not idempotent: an
        unknown outcome raises :class:`SalesforceUnavailableError` with ``outcome_unknown`` and is not resent."""
        body = self.call("/route", budget, idempotent=False, json=request.body())
        return _answer(RouteResponse, body, "POST /api/v1/route")

    @tracer.capture_method(capture_response=False)
    def delete_route(self, conversation_identifier: str, budget: Budget) -> bool:
        """``DELETE /api/v1/route`` ("Delete PSR for given conversation"; operationId ``delete-route``,
        DeleteRouteRequest without ``cancelReason``, which orgs without conferencing refuse with 10076).

        Returns
        -------
        bool
            DeleteRouteResponse ``success``: a pending PSR was cancelled. False when there was none: it was
            never made, or an agent already accepted the work (Omni-Channel deletes the PSR on acceptance), in
            which case the agent keeps the work.
        """
        body = self.call(
            "/route", budget, method="DELETE", idempotent=True, json={"conversationIdentifier": conversation_identifier}
        )
        return bool(_answer(DeleteRouteResponse, body, "DELETE /api/v1/route").success)

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
            idempotent=True,
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
            idempotent=True,
            method="GET",
            json=body,
            extra_headers={"AuthorizationContextType": "ConversationChannelDefinition"},
        )

    def call(
        self,
        path: str,
        budget: Budget,
        *,
        idempotent: bool,
        method: str = "POST",
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Send ``method`` (POST by default) to ``/api/v1{path}`` and return the decoded JSON object.

        ``idempotent`` is passed to :meth:`Transport.send`.

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
                idempotent=idempotent,
                expect_json=True,
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
            return response.json()  # a JSON object: the transport checked (expect_json)
        err = error_from_response(operation, response, request_id)
        cls = SalesforceAuthError if response.status_code in (401, 403) else SalesforceError
        raise cls(operation, status=err.status, code=err.code, detail=err.detail, request_id=request_id)


def _answer[M: BaseModel](model: type[M], body: dict[str, Any], operation: str) -> M:
    """``body`` as ``model``, or :class:`SalesforceUnavailableError` (outcome unknown) naming what is missing."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "body"
        raise SalesforceUnavailableError(
            operation, status=None, detail=f"unexpected answer: {where}: {err['msg'].lower()}", outcome_unknown=True
        ) from None

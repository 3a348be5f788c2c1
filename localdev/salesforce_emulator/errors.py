"""Interaction Service error codes the emulator answers with.

Messages are copied from ``salesforce-interaction-service/ERRORCODES.md`` (Salesforce's published list); the
response body is the OpenAPI ``Error`` schema ``{"code": <int>, "message": <str>}``
(inbound-interaction-api.yaml ``components.schemas.Error``).
"""

from __future__ import annotations

MESSAGES: dict[int, str] = {
    10001: "The AuthorizationContext in the request isn't valid for the provided value in the "
    '"to"/"channelAddressIdentifier" field.',
    10004: "The supplied Authorization access token is not valid.",
    10005: "The AuthorizationContext for the request isn't valid based on the supplied Authorization access token.",
    10016: "Enter a valid header.",
    10017: "The channelAddressIdentifier provided does not exist.",
    10018: "The conversation identifier is not valid.",
    10024: "For Flow based Routing, flow ID and Fallback Queue ID are required fields.",
    10027: 'The provided "to" field isn\'t valid.',
    10028: 'The provided "from" field isn\'t valid.',
    10029: "The provided interaction list isn't valid.",
    10030: "Specify either a flow or a queue to Route API.",
    10032: "Specified Queue ID is invalid.",
    10037: "The AppType provided is not supported.",
    10038: "The Participant Role provided is not supported.",
    10039: "Add participants to your conversation.",
    10042: "Include one end user participant in the conversation.",
    10043: "Invalid participant role. Specify a Chatbot or EndUser role for all participants.",
    10044: "Include only one end user participant in the conversation.",
    10045: "Provide a valid message entry format.",
    10046: "Invalid clientTimestamp. Send messages within the allowed response time frame.",
    10047: "Specified Message Type is invalid.",
    10048: "Specified Format Type is invalid.",
    10052: 'The "channelAddressIdentifier" field set in post conversation request isn\'t valid.',
    10053: 'The "participants" field set in post conversation request is either invalid or empty.',
    10054: "Invalid subject of participant in conversation request.",
    10059: "Interaction ID or Message ID is empty.",
    10060: "Interaction ID and Message ID are mismatched.",
    10065: "Invalid end-user participant details. Conversations with end-users remain open and don't have a leftTime.",
    10066: "Invalid chatbot participant details. leftTime is required for conversations with chatbots when the "
    "conversation is ended.",
    10067: "Invalid joinedTime. Specify a joinedTime that is earlier than the leftTime.",
    10068: "Invalid participant. The message isn't from an approved participant.",
    10070: "Provide a channel address identifier that's configured with the specified authorization context.",
    10071: "Session is not found.",
    10073: "Invalid message ID. Provide a unique ID for each message entry.",
    10074: "Invalid message timestamp. The message Timestamp must occur while the sender is in the conversation.",
    10075: "Your Salesforce org isn't ready to use the Routing API with conferencing. Upgrade to the latest "
    "version or set the routingType to Initial or Transfer.",
    10078: "An error occurred due to an invalid payload parameter. Check the parameters and try again. For help, "
    "see Send Historical Conversation Entries.",
    10089: "Invalid parameters passed to API.",
    10093: "Invalid authorization context type.",
    10100: "A request body is required and can't be empty. Provide a valid payload and ensure data is included "
    "and correctly formatted.",
    10101: "We found duplicate participants. Make sure each participant is unique and try again.",
    20003: "Empty interaction list in request.",
    500: "An internal server error occurred. Please contact Salesforce Support.",
}


class InteractionError(Exception):
    """An Interaction Service error answer.

    Parameters
    ----------
    code : int
        A code from ERRORCODES.md (must be a key of :data:`MESSAGES`).
    status : int, optional
        HTTP status; 400 by default, 401 for code 10004.
    """

    def __init__(self, code: int, status: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status if status is not None else (401 if code == 10004 else 400)

    def body(self) -> dict[str, object]:
        """Return the JSON body ``{"code", "message"}``."""
        return {"code": self.code, "message": MESSAGES[self.code]}

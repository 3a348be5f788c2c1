"""Contact data through Amazon Connect ``GetContactAttributes`` and ``DescribeContact``.

``GetContactAttributes(InstanceId, InitialContactId) -> {"Attributes": {name: value}}``; needs
``connect:GetContactAttributes`` on ``<instance ARN>/contact/*``. ``DescribeContact(InstanceId, ContactId) ->
{"Contact": {..., "CustomerEndpoint": {"Type", "Address"}, "SegmentAttributes": {...}}}`` gives the channel
subtype and the customer's address, which GetContactAttributes does not; needs ``connect:DescribeContact`` on
the same resource. moto implements neither (moto 5.x's ``connect`` backend has instance, analytics-association
and tag operations only; docs.getmoto.org/en/latest/docs/services/connect.html):
tests stub the client, local runs use the Connect stand-in through ``AWS_ENDPOINT_URL_CONNECT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connect_omni.aws import AwsCallError, UnreadableAnswerError, call
from connect_omni.budget import Budget
from connect_omni.models.connect import segment_subtype

OPERATION = "connect:GetContactAttributes"
DESCRIBE_OPERATION = "connect:DescribeContact"


class ContactNotFoundError(AwsCallError):
    """Connect does not know the contact (``ResourceNotFoundException``): permanent for this event."""


def instance_id_of(instance_arn: str) -> str:
    """``arn:aws:connect:<region>:<account>:instance/<id>`` -> ``<id>``."""
    return instance_arn.rsplit("/", 1)[-1]


def get_contact_attributes(
    client: Any, instance_id: str, initial_contact_id: str, budget: Budget | None = None
) -> dict[str, str]:
    """The contact attributes of the chat (attributes live on the initial contact and carry over transfers).

    Runs through :func:`connect_omni.aws.call` (bounded by ``budget``, transient failures retried).

    Raises
    ------
    ContactNotFoundError
        ``ResourceNotFoundException`` (attributes expire with the contact, 24 h after a chat ends).
    AwsCallError
        Any other failure, or an answer that is not an object of attributes.
    """

    def get() -> dict[str, Any]:
        answer = client.get_contact_attributes(InstanceId=instance_id, InitialContactId=initial_contact_id)
        attributes = answer.get("Attributes") if isinstance(answer, dict) else None
        if not isinstance(attributes, dict):  # an empty or foreign 200: not an answer to trust, retried
            raise UnreadableAnswerError("the answer has no Attributes object")
        return attributes

    attributes = _connect_call(OPERATION, get, budget)
    return {str(k): str(v) for k, v in attributes.items() if v is not None}


def _connect_call(operation: str, fn: Any, budget: Budget | None) -> Any:
    try:
        return call(operation, fn, budget)
    except AwsCallError as exc:
        if exc.code == "ResourceNotFoundException":
            raise ContactNotFoundError(operation, exc.code, exc.detail) from None
        raise


@dataclass(frozen=True)
class CustomerChannel:
    """What DescribeContact says of the customer's side of a contact.

    Attributes
    ----------
    subtype : str or None
        ``SegmentAttributes["connect:Subtype"].ValueString`` (``connect:Chat``, ``connect:SMS``,
        ``connect:WhatsApp``, ...).
    customer_endpoint : dict or None
        ``CustomerEndpoint`` (``{"Type": "TELEPHONE_NUMBER", "Address": "+1..."}``), as Connect returns it.
    """

    subtype: str | None
    customer_endpoint: dict[str, Any] | None


def describe_customer_channel(
    client: Any, instance_id: str, contact_id: str, budget: Budget | None = None
) -> CustomerChannel:
    """The channel subtype and customer endpoint of a contact (``DescribeContact``).

    Raises
    ------
    ContactNotFoundError
        ``ResourceNotFoundException`` (contact data is kept 24 months).
    AwsCallError
        Any other failure.
    """
    answer = _connect_call(
        DESCRIBE_OPERATION, lambda: client.describe_contact(InstanceId=instance_id, ContactId=contact_id), budget
    )
    contact = answer.get("Contact") or {}
    endpoint = contact.get("CustomerEndpoint")
    return CustomerChannel(
        segment_subtype(contact.get("SegmentAttributes")), endpoint if isinstance(endpoint, dict) else None
    )

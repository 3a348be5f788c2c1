"""Contact attributes through Amazon Connect ``GetContactAttributes``.

``GetContactAttributes(InstanceId, InitialContactId) -> {"Attributes": {name: value}}``; needs
``connect:GetContactAttributes`` on ``<instance ARN>/contact/*``. moto does not implement it
(moto 5.x's ``connect`` backend has instance, analytics-association and tag operations only;
docs.getmoto.org/en/latest/docs/services/connect.html):
tests stub the client, local runs use the Connect stand-in through ``AWS_ENDPOINT_URL_CONNECT``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_omni.aws import AwsCallError, error_code

OPERATION = "connect:GetContactAttributes"


class ContactNotFoundError(AwsCallError):
    """Connect does not know the contact (``ResourceNotFoundException``): permanent for this event."""


def instance_id_of(instance_arn: str) -> str:
    """``arn:aws:connect:<region>:<account>:instance/<id>`` -> ``<id>``."""
    return instance_arn.rsplit("/", 1)[-1]


def get_contact_attributes(client: Any, instance_id: str, initial_contact_id: str) -> dict[str, str]:
    """The contact attributes of the chat (attributes live on the initial contact and carry over transfers).

    Raises
    ------
    ContactNotFoundError
        ``ResourceNotFoundException`` (attributes expire with the contact, 24 h after a chat ends).
    AwsCallError
        Any other failure.
    """
    try:
        answer = client.get_contact_attributes(InstanceId=instance_id, InitialContactId=initial_contact_id)
    except ClientError as exc:
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message") or "")
        if code == "ResourceNotFoundException":
            raise ContactNotFoundError(OPERATION, code, message) from None
        raise AwsCallError(OPERATION, code, message) from None
    except BotoCoreError as exc:
        raise AwsCallError(OPERATION, error_code(exc), str(exc)) from None
    attributes = answer.get("Attributes") or {}
    return {str(k): str(v) for k, v in attributes.items() if v is not None}

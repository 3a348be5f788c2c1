"""Adapters of the AWS services the functions read: Connect contact attributes, S3 chat transcripts.

Clients come from :func:`connect_omni.container.aws_client` (endpoints from ``AWS_ENDPOINT_URL[_<SERVICE>]``).
botocore's own retries (standard mode) handle throttling first; what still fails becomes
:class:`AwsCallError`.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from connect_omni.errors import ConnectOmniError


class AwsCallError(ConnectOmniError):
    """An AWS API call failed (throttling after botocore's retries, 5xx, network, access denied, ...).

    Treated as transient by the transcript ingestion: the invocation fails and Lambda's asynchronous retry
    (then the on-failure destination) takes over.

    Parameters
    ----------
    operation:
        e.g. ``connect:GetContactAttributes``.
    code:
        The AWS error code (``ThrottlingException``, ``AccessDenied``) or the botocore exception name.
    """

    def __init__(self, operation: str, code: str, detail: str = "") -> None:
        self.operation = operation
        self.code = code
        self.detail = detail
        super().__init__(f"{operation} failed: {code}" + (f": {detail[:300]}" if detail else ""))


def error_code(exc: ClientError | BotoCoreError) -> str:
    """``Error.Code`` of a ``ClientError``, else the exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


__all__ = ["AwsCallError", "error_code"]

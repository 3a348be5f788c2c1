"""AWS errors as check outcomes: missing credentials or region skip a check, anything else fails it with advice."""

from __future__ import annotations

from connect_omni_ops.doctor.context import Fail, Skip

_NOT_FOUND = (
    "ResourceNotFoundException",
    "NotFoundException",
    "NoSuchEntity",
    "AWS.SimpleQueueService.NonExistentQueue",
)
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException")
_EXPIRED = ("ExpiredToken", "ExpiredTokenException", "RequestExpired")


def aws_failure(
    exc: BaseException, action: str, permissions: str, *, not_found: tuple[str, str] | None = None
) -> Fail | Skip:
    """The outcome for an AWS call that raised ``exc``.

    Parameters
    ----------
    exc : BaseException
        What boto3 raised.
    action : str
        What was attempted, completing "could not ...", e.g. ``read the secret 'SCCAC-Secret'``.
    permissions : str
        The IAM actions the call needs, for an access-denied hint.
    not_found : tuple of str, optional
        ``(detail, hint)`` when the resource does not exist.

    Returns
    -------
    Fail or Skip
        :class:`Skip` without credentials or region (the check cannot run), else :class:`Fail`.
    """
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    if isinstance(exc, NoCredentialsError):
        return Skip(f"no AWS credentials to {action} with", "Configure AWS credentials (AWS_PROFILE, aws sso login).")
    if isinstance(exc, NoRegionError):
        return Skip(f"no AWS region to {action} in", "Pass --region or set AWS_REGION.")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "")) or f"HTTP {exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')}"
        message = str(error.get("Message", ""))[:300]
        if not_found and code in _NOT_FOUND:
            return Fail(*not_found)
        if code in _DENIED:
            hint = f"The doctor runs with your AWS identity: it needs {permissions}."
            return Fail(f"not allowed to {action}: {code}", hint)
        if code in _EXPIRED:
            return Fail(f"could not {action}: {code}", "Your AWS credentials expired: renew them (aws sso login).")
        return Fail(f"could not {action}: {code}: {message}".rstrip(": "), "")
    if isinstance(exc, BotoCoreError):
        return Fail(
            f"could not {action}: {exc}",
            "Check the network path to AWS, the region, and any AWS_ENDPOINT_URL variable.",
        )
    return Fail(f"could not {action}: {type(exc).__name__}: {exc}", "")

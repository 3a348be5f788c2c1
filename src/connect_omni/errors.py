"""The project's exception types.

Every adapter turns transport errors into one of these, so that handlers and use cases deal in the
project's own vocabulary. Messages name identifiers, fields and Salesforce error codes; they never carry
secrets, tokens or message text.
"""

from __future__ import annotations


class ConnectOmniError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(ConnectOmniError):
    """An environment variable or the Salesforce secret is missing or malformed.

    Raised at first use in a container; the message names the variable or secret key.
    """


class InputError(ConnectOmniError, ValueError):
    """The event from Amazon Connect or EventBridge is missing a field or holds a bad value.

    Raised before anything is sent to Salesforce. Connect takes the flow block's Error branch.

    Parameters
    ----------
    field:
        The contact attribute, Lambda parameter or event field at fault (e.g. ``routingType``).
    expected:
        What would have been accepted, in words.
    """

    def __init__(self, field: str, expected: str) -> None:
        self.field = field
        self.expected = expected
        super().__init__(f"{field}: expected {expected}")


class UnexpectedError(ConnectOmniError):
    """An exception the code did not expect (a bug), re-raised as the project's own by the handler wrappers.

    Logged once with its traceback and counted like any failure, so a bug still ends in the flow's Error branch
    (or Lambda's retry and the DLQ) with a log line an operator can find; the original is its ``__cause__``.
    """


class BudgetExhaustedError(ConnectOmniError):
    """The invocation's time budget ran out before a Salesforce call could be made or finished.

    Raised instead of letting Amazon Connect time out, so the flow takes its Error branch in time.
    """


class SalesforceError(ConnectOmniError):
    """Salesforce answered with an error, or could not be reached.

    Parameters
    ----------
    operation:
        What was attempted, e.g. ``POST /api/v1/route`` or ``token grant``.
    status:
        The HTTP status code, or ``None`` when no response arrived (connection error, timeout).
    code:
        Salesforce's own error code when the body had one (Interaction Service codes such as ``10016``,
        REST ``errorCode`` such as ``INVALID_SESSION_ID``, OAuth ``error`` such as ``invalid_grant``).
    detail:
        Salesforce's error message or the transport error, never a token or message text.
    request_id:
        The ``RequestId`` header sent with the call, to search Salesforce-side logs.
    outcome_unknown:
        True when the request may have been carried out although no usable answer arrived (a timeout after it
        was sent, a connection dropped after it was written, a 5xx or an unreadable 2xx answer). Only a
        non-idempotent call (``/route``, ``/interactions``) needs to care: see :mod:`connect_omni.routing` and
        :mod:`connect_omni.messaging`.
    """

    def __init__(
        self,
        operation: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str = "",
        request_id: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.detail = detail
        self.request_id = request_id
        self.outcome_unknown = outcome_unknown
        parts = [operation, "failed"]
        if status is not None:
            parts.append(f"with HTTP {status}")
        if code:
            parts.append(f"code {code}")
        text = " ".join(parts)
        if detail:
            text += f": {detail}"
        if request_id:
            text += f" (RequestId {request_id})"
        super().__init__(text)


class SalesforceAuthError(SalesforceError):
    """The JWT bearer grant was refused, or a fresh token was still refused (401/403)."""


class SalesforceUnavailableError(SalesforceError):
    """Transient failure that outlasted the retries the budget allowed: 429, 5xx, a dropped connection, no
    complete answer before the deadline, or a 2xx answer that cannot be read.

    Safe to retry later (Connect's loop, Lambda's asynchronous retry) for idempotent calls; for the others
    ``outcome_unknown`` says whether the request may have been carried out.
    """


class RoutingRejectedError(SalesforceError):
    """``/route`` answered ``success: false``; ``detail`` carries ``reasonForNotRouting``."""

"""In-memory state of the emulated org, and the fault injector.

Everything here is guarded by one re-entrant lock per object; the HTTP handler threads and the test thread
share these objects.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from werkzeug.datastructures import Headers

RoutingKind = Literal["queue", "user", "external", "not_routed"]


@dataclass(frozen=True)
class RoutingOutcome:
    """Where a ``/route`` call lands.

    Attributes
    ----------
    kind : {"queue", "user", "external", "not_routed"}
        ``queue``: an Omni-Channel queue (``contextParamMap {"queueId": value}``); ``user``: a user
        (``{"userId": value}``); ``external``: an external (Connect) queue ARN returned directly
        (``{external_key: value}``); ``not_routed``: ``success: false`` with ``reasonForNotRouting = value``.
    value : str
        Queue id (``00G...``), user id (``005...``), queue ARN, or the not-routed reason.
    external_key : str
        The contextParamMap key for ``external`` (Salesforce does not document it publicly).
    """

    kind: RoutingKind
    value: str
    external_key: str = "externalQueueId"


@dataclass
class Channel:
    """A messaging channel of type CUSTOM (BYOC for CCaaS) and its ConversationChannelDefinition.

    Attributes
    ----------
    channel_address_identifier : str
        ``MessagingChannel.ChannelAddressIdentifier`` (a UUID).
    authorization_context : str
        The ConversationChannelDefinition developer name, required in the ``AuthorizationContext`` header.
    routing : RoutingOutcome
        Current outcome of a ``/route`` call without routingInfo.
    default_routing : RoutingOutcome
        The outcome given at creation; :meth:`OrgState.reset` restores it.
    """

    channel_address_identifier: str
    authorization_context: str
    routing: RoutingOutcome
    default_routing: RoutingOutcome


@dataclass
class MessagingSession:
    """A MessagingSession record.

    Attributes
    ----------
    id : str
        18-character id, key prefix ``0Mw``.
    conversation_identifier : str
        Owning conversation.
    status : {"Active", "Ended"}
        ``Active`` until ended through :meth:`SalesforceEmulator.end_session` (an agent's End Chat) or created
        closed by ``/conversationHistory`` EstablishMessagingSession with an endTime. An ended session never
        becomes active again: the next inbound interaction of the end user opens a new session in the same
        conversation.
    created_at : float
        Epoch seconds.
    ended_at : float or None
        Epoch seconds, when ended.
    ended_by : str or None
        The ``ParticipantRole`` that ended it (``Agent`` for End Chat, ``EndUser``, ``System``), when ended.
    """

    id: str
    conversation_identifier: str
    status: str = "Active"
    created_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    ended_by: str | None = None


@dataclass
class Conversation:
    """A Conversation with one end user on one channel.

    Attributes
    ----------
    conversation_identifier : str
        A UUID (``Conversation.ConversationIdentifier``).
    channel_address_identifier : str
        The channel.
    end_user_subject : str
        The end user's client id (participant ``subject``).
    session_ids : list of str
        Its MessagingSession ids, oldest first.
    """

    conversation_identifier: str
    channel_address_identifier: str
    end_user_subject: str
    session_ids: list[str] = field(default_factory=list)


@dataclass
class PendingServiceRouting:
    """A PendingServiceRouting record made by ``/route``.

    Attributes
    ----------
    id : str
        18-character id, key prefix ``0JR``.
    conversation_identifier, work_item_id, routing_type, routing_correlation_id : str
        As sent and answered.
    outcome : RoutingOutcome
        Where it landed.
    routing_info : dict or None
        The request's ``routingInfo``.
    status : {"Pending", "Deleted", "Accepted"}
        ``Pending`` while waiting for an agent; ``Deleted`` after ``DELETE /route`` cancelled it; ``Accepted``
        once an agent accepted the work (Omni-Channel then deletes the PSR: "Expected Behavior for External
        Routing for Omni-Channel", Omni-Channel Developer Guide), so a later ``DELETE /route`` finds nothing.
    """

    id: str
    conversation_identifier: str
    work_item_id: str
    routing_type: str
    routing_correlation_id: str
    outcome: RoutingOutcome
    routing_info: dict[str, Any] | None
    status: str = "Pending"


@dataclass
class RecordedRequest:
    """One request the emulator received (admin endpoints excluded).

    Attributes
    ----------
    method, path : str
        HTTP method and path (no query string).
    query : dict of str to str
        Query parameters.
    headers : werkzeug.datastructures.Headers
        Request headers (case-insensitive lookup); ``Authorization`` is replaced by ``Bearer <redacted>``.
    body : Any
        Parsed JSON body; for ``/interactions`` the parsed ``json`` part; for the token endpoint the form with
        ``assertion`` redacted; None when absent or unparsable.
    status : int or None
        Status answered; None while in flight or when the connection was dropped.
    fault : str or None
        ``"fail"``, ``"drop"``, ``"delay"``, ``"trickle"`` or ``"late-commit"`` when an injected fault acted on the
        request.
    time : float
        Epoch seconds at arrival.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: Any
    status: int | None = None
    fault: str | None = None
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (headers as a plain dict)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers.items()),
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
            "time": self.time,
        }


FaultKind = Literal["fail", "delay", "drop", "trickle", "commit"]


@dataclass
class Fault:
    """An injected fault.

    Attributes
    ----------
    kind : {"fail", "delay", "drop", "trickle", "commit"}
        ``fail``: answer ``status``/``body``/``headers`` instead of handling the request (nothing is done).
        ``delay``: sleep ``seconds``, then handle and answer normally. ``drop``: close the socket without an
        answer (nothing is done). ``trickle``: handle the request, then send the answer (or ``body`` with
        ``status`` when a body is given) at ``bytes_per_s``. ``commit``: a *late commit*: handle the request (the
        records are made), then, as ``then`` says, close the socket (``drop``), hold it ``seconds`` and close it
        (``hang``), or answer ``status``/``body`` as a gateway would (``fail``).
    path_prefix : str
        Applies to requests whose path starts with it.
    remaining : int or None
        Requests left to affect; None = all.
    status : int
        For ``fail`` (and ``commit`` with ``then="fail"``, and ``trickle`` with a ``body``).
    body : Any
        dict/list → JSON, str/bytes → sent as is; None → a default JSON body (``fail``) or the real answer.
    headers : dict of str to str
        Extra response headers (e.g. ``Retry-After``).
    seconds : float
        For ``delay`` and ``commit`` with ``then="hang"``.
    method : str or None
        Only requests with this HTTP method (e.g. ``POST``); None = any.
    content_type : str
        Media type of a str/bytes ``body`` (e.g. ``text/html`` for a gateway's error page).
    bytes_per_s : float
        For ``trickle``.
    then : {"drop", "hang", "fail"}
        For ``commit``.
    """

    kind: FaultKind
    path_prefix: str
    remaining: int | None
    status: int = 503
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    method: str | None = None
    content_type: str = "text/plain"
    bytes_per_s: float = 8.0
    then: Literal["drop", "hang", "fail"] = "drop"

    def applies_to(self, method: str, path: str) -> bool:
        """Tell whether the fault matches a request."""
        return path.startswith(self.path_prefix) and (self.method is None or self.method.upper() == method.upper())


class FaultInjector:
    """Thread-safe list of faults, consumed by matching requests in insertion order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Append a fault.

        Parameters
        ----------
        fault : Fault
            The fault; ``remaining`` must be positive or None.

        Raises
        ------
        ValueError
            If ``remaining`` is not positive.
        """
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be >= 1 (or None for every request)")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, path: str, method: str = "POST") -> tuple[float, Fault | None]:
        """Consume the faults that apply to a request.

        Parameters
        ----------
        path : str
            Request path.
        method : str
            Request method.

        Returns
        -------
        (float, Fault or None)
            Total delay in seconds from every matching ``delay`` fault, and the first matching fault of another
            kind. Each consumed fault's ``remaining`` drops by one; exhausted faults are removed.
        """
        delay = 0.0
        terminal: Fault | None = None
        with self._lock:
            for fault in list(self._faults):
                if not fault.applies_to(method, path):
                    continue
                if fault.kind == "delay":
                    delay += fault.seconds
                elif terminal is None:
                    terminal = fault
                else:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
        return delay, terminal

    def snapshot(self) -> list[Fault]:
        """Return copies of the pending faults."""
        with self._lock:
            return [Fault(**vars(fault)) for fault in self._faults]


class FaultControls:
    """The fault-injecting control methods that the Salesforce emulator and the AWS-side fault proxy share
    (``localdev.fault_proxy``); the class using it keeps its faults in ``self._faults`` (a
    :class:`FaultInjector`)."""

    _faults: FaultInjector

    def fail_next(
        self,
        path: str,
        status: int,
        times: int | None = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        method: str | None = None,
        content_type: str = "text/plain",
    ) -> None:
        """Answer the next ``times`` requests under ``path`` with ``status`` instead of handling (the proxy:
        forwarding) them.

        Parameters
        ----------
        path : str
            Path prefix, e.g. ``/api/v1/route`` or ``/services/oauth2/token``.
        status : int
            HTTP status, e.g. 503, 500, 429.
        times : int or None, optional
            Number of requests (default 1); None for every request until :meth:`clear_faults`.
        body : dict, list, str or bytes, optional
            Response body; JSON-encoded when a dict or list. Default
            ``{"code": 500, "message": "An internal server error occurred. ..."}``-style
            (``code`` = ``status``).
        headers : dict, optional
            Extra response headers, e.g. ``{"Retry-After": "1"}``.
        method : str, optional
            Only requests with this method (``POST``, ``DELETE``...); any by default.
        content_type : str, optional
            Media type of a str/bytes ``body``, e.g. ``text/html`` for a gateway's error page.
        """
        self._faults.add(
            Fault(
                "fail",
                path,
                times,
                status=status,
                body=body,
                headers=dict(headers or {}),
                method=method,
                content_type=content_type,
            )
        )

    def delay(self, path: str, seconds: float, times: int | None = None) -> None:
        """Delay responses under ``path`` by ``seconds`` (then answer normally; the proxy forwards).

        Parameters
        ----------
        path : str
            Path prefix.
        seconds : float
            Delay in seconds; a large value (e.g. 3600) emulates a hung server. :meth:`stop` wakes delayed
            requests, which are then dropped.
        times : int or None, optional
            Number of requests; None (default) = every request until :meth:`clear_faults`.
        """
        self._faults.add(Fault("delay", path, times, seconds=seconds))

    def drop_next(self, path: str, times: int | None = 1, *, method: str | None = None) -> None:
        """Close the connection without any response for the next ``times`` requests under ``path`` (the request
        is not handled, nor forwarded by the proxy: nothing is recorded in the org or the upstream)."""
        self._faults.add(Fault("drop", path, times, method=method))

    def clear_faults(self) -> None:
        """Remove all injected faults."""
        self._faults.clear()

"""The Salesforce org emulator: an HTTPS server on 127.0.0.1 plus its Python control API.

What it serves (one org; all shapes from Salesforce's Interaction Service API description,
``inbound-interaction-api.yaml`` in github.com/salesforce-misc/interaction-service-apis, and its reference,
developer.salesforce.com/docs/service/interaction-service-api):

* ``POST /services/oauth2/token`` — OAuth 2.0 JWT bearer grant (RS256 assertion, ``iss`` consumer key,
  ``sub`` user name, ``aud`` = :attr:`SalesforceEmulator.base_url`, ``exp`` at most 5 minutes ahead).
* ``POST /api/v1/conversation`` (PostConversationRequest), ``/api/v1/interactions`` (multipart, ``json`` part,
  InteractionRequestJson), ``/api/v1/route`` (PostRouteRequest), ``/api/v1/conversationHistory``
  (AddConversationHistoryRequest), ``DELETE /api/v1/route`` (DeleteRouteRequest: cancels the conversation's
  pending PSR) — all answer 202 on success and ``{"code", "message"}`` errors.
* ``GET /api/v1/conversationEntry`` (GetConversationEntriesRequest) — read-only, 200.
* ``GET /services/data/v<NN.N>/query[/]?q=<SOQL>`` over ``CallCenterRoutingMap`` and the declared sObjects
  (see :mod:`.soql`).
* ``PATCH /services/data/v<NN.N>/composite/sobjects/<type>/<externalIdField>`` — the sObject Collections upsert
  of the declared sObjects, ``awsac__SCC_ContactTraceRecord__c`` (see :mod:`.sobjects`).
* ``/__admin/...`` — control endpoints for another process (see :class:`EmulatorAdminClient`).

Session lifecycle (one Conversation per channel and end user; its MessagingSessions one after the other):

* ``/conversation`` and ``/interactions`` open a MessagingSession when the conversation has no active one, and
  otherwise answer the active one (Salesforce "Establish a Conversation": "if the API request doesn't find a
  corresponding messaging session, a new messagingSessionId is returned ... it returns the existing
  messagingSessionId if one exists"; SCC-AC re-sends an EntryInteraction to get a new session for a re-queued
  chat, scc-ac/messaging/customize-disconnect-flow).
* :meth:`SalesforceEmulator.end_session` ends the active session, as an agent's End Chat does in Salesforce.
  An ended session never becomes active again.
* After that, what ``/conversation`` answers is not documented beyond the sentence above;
  :meth:`SalesforceEmulator.set_ended_session_answer` picks a reading: ``new`` (default: a new session),
  ``omit`` (the conversation identifier without a ``messagingSessionId``) or ``ended`` (the ended session's
  id), so that callers can be tested against each. ``/interactions`` always lands in an active session (a new
  one after an end), and ``/route`` of a conversation without an active session is not routed (202,
  ``success: false``, :data:`NO_ACTIVE_SESSION_REASON`): there is no work item to route.

Connections are HTTP/1.1 and kept alive between requests, as Salesforce's are (every answer has a
``Content-Length``; see :class:`localdev._serving.KeepAliveRequestHandler`), so a client's warm path pays no
handshake here either. TLS uses a throwaway CA made with ``trustme`` at start; its PEM is written to
:attr:`SalesforceEmulator.ca_file` so clients can trust it through ``REQUESTS_CA_BUNDLE``.

The emulator never logs tokens, assertions or message text; its logger (``localdev.salesforce_emulator``)
writes method, path and status at DEBUG level only.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import trustme
from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from localdev._serving import KeepAliveRequestHandler, connections_accepted, serve_in_thread, stop_serving

from . import soql
from .errors import InteractionError
from .ids import is_id, new_id, to_15, to_18
from .interaction import check_conversation, check_headers, check_history, check_interactions, check_route
from .sobjects import RecordFault, RestError, SObjectStore
from .state import (
    Channel,
    Conversation,
    Fault,
    FaultControls,
    FaultInjector,
    MessagingSession,
    PendingServiceRouting,
    RecordedRequest,
    RoutingOutcome,
)

logger = logging.getLogger("localdev.salesforce_emulator")

DEFAULT_ORG_ID_15 = "00D5g000004AbCd"
TOKEN_PATH = "/services/oauth2/token"
INTERACTION_PREFIX = "/api/v1/"
_QUERY_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d)/query/?$")
_COLLECTIONS_PATH = re.compile(
    r"^/services/data/v(?P<version>\d+\.\d)/composite/sobjects/(?P<sobject>\w+)/(?P<field>\w+)/?$"
)
MAX_ASSERTION_LIFETIME_S = 300  # Salesforce: exp "within three minutes" recommended; we allow 5 minutes.
CLOCK_SKEW_S = 30
#: What ``/conversation`` answers for a conversation whose sessions have all ended (see the module docstring).
ENDED_SESSION_ANSWERS = ("new", "omit", "ended")
#: ``reasonForNotRouting`` of ``/route`` for a conversation without an active session (the emulator's wording).
NO_ACTIVE_SESSION_REASON = "The conversation has no active messaging session to route"
ADMIN_METHODS = frozenset(
    {
        "register_client",
        "add_channel",
        "map_queue",
        "map_user",
        "unmap",
        "set_routing",
        "set_flow_routing",
        "end_session",
        "set_ended_session_answer",
        "fail_next",
        "fail_records",
        "delay",
        "drop_next",
        "trickle",
        "late_commit",
        "accept_work",
        "psr_counts",
        "revoke_tokens",
        "clear_faults",
        "reset",
        "issue_token",
        "set_token_audience",
    }
)


@dataclass(frozen=True)
class RegisteredClient:
    """A connected app with a JWT-bearer certificate, pre-authorised for one user.

    Attributes
    ----------
    consumer_key : str
        The connected app's consumer key (JWT ``iss``).
    user_name : str
        The API user (JWT ``sub``).
    user_id : str
        The user's 18-character id (``005...``).
    public_key_pem : str
        PEM of the RSA public key (or certificate) that verifies the assertion.
    """

    consumer_key: str
    user_name: str
    user_id: str
    public_key_pem: str


@dataclass(frozen=True)
class _Token:
    user_name: str
    consumer_key: str
    issued_at_ms: int


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def _public_key(pem: str) -> Any:
    """Load an RSA public key from a public-key PEM or a certificate PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = pem.encode()
    if b"CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return serialization.load_pem_public_key(data)


class _QuietHandler(KeepAliveRequestHandler):
    """HTTP/1.1 keep-alive request handler that logs request lines at DEBUG only (never bodies or headers)."""

    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), message % args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", "").split("?", 1)[0]
        logger.debug("%s %s %s", getattr(self, "command", "-"), path, code)


class SalesforceEmulator(FaultControls):
    """One emulated Salesforce org served over HTTPS on 127.0.0.1.

    Use :meth:`start` (or the context manager) to run it in a background thread::

        emu = SalesforceEmulator.start()
        emu.register_client("ck", "api@example.com", public_pem)
        emu.add_channel("0b1c...uuid", "SCC_AC_Chat_Channel", routing=RoutingOutcome("queue", "00G..."))
        ...
        emu.stop()

    Parameters
    ----------
    host : str, optional
        Interface to bind; ``127.0.0.1`` by default.
    port : int, optional
        TCP port; 0 (default) picks a free one.
    state_dir : str or pathlib.Path, optional
        Where to write ``ca.pem``; a temporary directory (removed on :meth:`stop`) when omitted.
    org_id : str, optional
        The org id (15 or 18 characters, ``00D...``); a fixed default otherwise.
    max_history_entries : int, optional
        Maximum ``conversationEntries`` per ``/conversationHistory`` call; 25 (the OpenAPI maxItems) by
        default. Salesforce's guide recommends 5.

    Attributes
    ----------
    base_url : str
        ``https://127.0.0.1:<port>``: both the token audience / ``SALESFORCE_AUTH_URL`` and the instance and
        Interaction Service URL.
    ca_file : str
        Path of the CA certificate PEM that signs the server certificate.
    org_id : str
        The 18-character org id (``org_id_15`` is the form the ``OrgId`` header needs).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_dir: str | Path | None = None,
        org_id: str | None = None,
        max_history_entries: int = 25,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if state_dir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="sf-emulator-")
            state_dir = self._tempdir.name
        self.state_dir = Path(state_dir)
        self.org_id = to_18(org_id or DEFAULT_ORG_ID_15)
        self.org_id_15 = to_15(self.org_id)
        self.max_history_entries = max_history_entries
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._faults = FaultInjector()
        self._signing_key = secrets.token_bytes(32)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.ca_file = ""
        # configuration (kept by reset())
        self._clients: dict[str, RegisteredClient] = {}
        self._channels: dict[str, Channel] = {}
        self._flow_routing: dict[str, RoutingOutcome] = {}
        self._routing_map: list[dict[str, str | None]] = []
        self._audience: str | None = None
        self._ended_session_answer = "new"
        # runtime state (cleared by reset())
        self._tokens: dict[str, _Token] = {}
        self._conversations: dict[tuple[str, str], Conversation] = {}
        self._conversations_by_id: dict[str, Conversation] = {}
        self._sessions: dict[str, MessagingSession] = {}
        self._psrs: dict[str, PendingServiceRouting] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._interactions: dict[str, list[dict[str, Any]]] = {}
        self._log: list[RecordedRequest] = []
        self._sobjects = SObjectStore()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def start(cls, **kwargs: Any) -> SalesforceEmulator:
        """Create an emulator and start serving.

        Parameters
        ----------
        **kwargs
            Passed to :class:`SalesforceEmulator`.

        Returns
        -------
        SalesforceEmulator
            A running emulator.
        """
        emulator = cls(**kwargs)
        emulator.serve_in_background()
        return emulator

    def serve_in_background(self) -> None:
        """Make the CA and server certificate, bind the socket and serve in a daemon thread.

        Raises
        ------
        RuntimeError
            If already started.
        OSError
            If the port cannot be bound.
        """
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        server_cert = ca.issue_cert("127.0.0.1", "localhost")
        ca_path = self.state_dir / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        self.ca_file = str(ca_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(context)
        self._stopping.clear()
        self._server = make_server(
            self.host,
            self._requested_port,
            self._wsgi,
            threaded=True,
            request_handler=_QuietHandler,
        )
        # TLS by hand rather than make_server(ssl_context=...): werkzeug wraps the listening socket so that every
        # handshake runs in accept(), one at a time on the serving thread; here each runs in its connection's
        # thread, so concurrent clients connect concurrently, as with a production server.
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
        self._server.ssl_context = context
        port = self._server.socket.getsockname()[1]
        self.base_url = f"https://{self.host}:{port}"
        self._thread = serve_in_thread(self._server, "sf-emulator")

    @property
    def port(self) -> int:
        """The bound TCP port (0 before start)."""
        return self._server.socket.getsockname()[1] if self._server else 0

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted since start (keep-alive: one per client connection, not per request)."""
        return connections_accepted(self._server)

    def stop(self) -> None:
        """Stop serving, wake delayed requests, close the socket and join the thread. Idempotent."""
        self._stopping.set()
        stop_serving(self._server, self._thread)
        self._server = self._thread = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> SalesforceEmulator:
        if self._server is None:
            self.serve_in_background()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ configuration

    def register_client(self, consumer_key: str, user_name: str, public_key_pem: str) -> str:
        """Register a connected app allowed to use the JWT bearer flow for one user.

        Parameters
        ----------
        consumer_key : str
            Expected JWT ``iss``.
        user_name : str
            Expected JWT ``sub``.
        public_key_pem : str
            RSA public key PEM (``BEGIN PUBLIC KEY``) or the certificate PEM uploaded to the connected app.

        Returns
        -------
        str
            The user's 18-character id (``005...``).

        Raises
        ------
        ValueError
            If the PEM cannot be loaded.
        """
        try:
            _public_key(public_key_pem)
        except Exception as exc:
            raise ValueError("public_key_pem is not an RSA public key or certificate PEM") from exc
        with self._lock:
            existing = self._clients.get(consumer_key)
            user_id = existing.user_id if existing and existing.user_name == user_name else new_id("005")
            self._clients[consumer_key] = RegisteredClient(consumer_key, user_name, user_id, public_key_pem)
        return user_id

    def add_channel(
        self,
        channel_address_identifier: str,
        authorization_context: str,
        routing: RoutingOutcome | None = None,
    ) -> Channel:
        """Add (or replace) a CUSTOM messaging channel and its ConversationChannelDefinition.

        Parameters
        ----------
        channel_address_identifier : str
            ``MessagingChannel.ChannelAddressIdentifier`` (a UUID).
        authorization_context : str
            ConversationChannelDefinition developer name expected in ``AuthorizationContext``.
        routing : RoutingOutcome, optional
            Outcome of ``/route`` without routingInfo; not routed ("No routing configured") when omitted.

        Returns
        -------
        Channel
            The channel record (live object; use :meth:`set_routing` to change its routing).
        """
        outcome = routing or RoutingOutcome("not_routed", "No routing configured for this channel")
        channel = Channel(channel_address_identifier, authorization_context, outcome, outcome)
        with self._lock:
            self._channels[channel_address_identifier] = channel
        return channel

    def _add_map(
        self,
        call_center_id: str,
        reference_record_id: str,
        external_id: str,
        quick_connect: str | None,
        developer_name: str | None,
    ) -> str:
        record_id = new_id("0hn")
        with self._lock:
            self._routing_map.append(
                {
                    "Id": record_id,
                    "CallCenterId": to_18(call_center_id),
                    "ReferenceRecordId": to_18(reference_record_id),
                    "ExternalId": external_id,
                    "QuickConnect": quick_connect,
                    "DeveloperName": developer_name or f"Map_{record_id[3:15]}",
                }
            )
        return record_id

    def map_queue(
        self,
        call_center_id: str,
        salesforce_queue_id: str,
        connect_queue_arn: str,
        *,
        quick_connect: str | None = None,
        developer_name: str | None = None,
    ) -> str:
        """Add a ``CallCenterRoutingMap`` record from an Omni-Channel queue to a Connect queue.

        Parameters
        ----------
        call_center_id : str
            ``CallCenterId`` (``04v...``, 15 or 18 characters; stored as 18).
        salesforce_queue_id : str
            ``ReferenceRecordId`` (a Group id, ``00G...``; stored as 18).
        connect_queue_arn : str
            ``ExternalId``.
        quick_connect : str, optional
            ``QuickConnect`` (quick connect ARN).
        developer_name : str, optional
            ``DeveloperName``; generated when omitted.

        Returns
        -------
        str
            The record's 18-character ``Id`` (key prefix ``0hn`` — an arbitrary choice of the emulator).
        """
        return self._add_map(call_center_id, salesforce_queue_id, connect_queue_arn, quick_connect, developer_name)

    def map_user(
        self,
        call_center_id: str,
        user_id: str,
        connect_agent_arn: str,
        *,
        quick_connect: str | None = None,
        developer_name: str | None = None,
    ) -> str:
        """Add a ``CallCenterRoutingMap`` record from a Salesforce user (``005...``) to a Connect agent ARN.

        Parameters and return value as :meth:`map_queue`.
        """
        return self._add_map(call_center_id, user_id, connect_agent_arn, quick_connect, developer_name)

    def unmap(self, record_id: str) -> bool:
        """Delete the ``CallCenterRoutingMap`` record ``record_id`` (as returned by :meth:`map_queue`).

        Returns
        -------
        bool
            False when there was no such record.
        """
        with self._lock:
            kept = [r for r in self._routing_map if r["Id"] != record_id]
            found = len(kept) != len(self._routing_map)
            self._routing_map[:] = kept
        return found

    @staticmethod
    def outcome(
        *,
        queue_id: str | None = None,
        user_id: str | None = None,
        external_queue_arn: str | None = None,
        external_key: str = "externalQueueId",
        not_routed_reason: str | None = None,
    ) -> RoutingOutcome:
        """Build a :class:`RoutingOutcome` from exactly one keyword.

        Raises
        ------
        ValueError
            Unless exactly one of ``queue_id``, ``user_id``, ``external_queue_arn``, ``not_routed_reason`` is given.
        """
        given = [
            (kind, value)
            for kind, value in (
                ("queue", queue_id),
                ("user", user_id),
                ("external", external_queue_arn),
                ("not_routed", not_routed_reason),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of queue_id, user_id, external_queue_arn, not_routed_reason")
        kind, value = given[0]
        if kind in ("queue", "user"):
            value = to_18(value)
        return RoutingOutcome(kind, value, external_key)  # type: ignore[arg-type]

    def set_routing(self, channel_address_identifier: str, **outcome: Any) -> RoutingOutcome:
        """Set where ``/route`` without routingInfo lands for a channel.

        Parameters
        ----------
        channel_address_identifier : str
            A channel added with :meth:`add_channel`.
        **outcome
            Exactly one of ``queue_id``, ``user_id``, ``external_queue_arn`` (with optional ``external_key``,
            default ``externalQueueId``) or ``not_routed_reason``.

        Returns
        -------
        RoutingOutcome

        Raises
        ------
        KeyError
            Unknown channel.
        ValueError
            See :meth:`outcome`.
        """
        result = self.outcome(**outcome)
        with self._lock:
            self._channels[channel_address_identifier].routing = result
        return result

    def set_flow_routing(self, flow_id: str, **outcome: Any) -> RoutingOutcome:
        """Set where ``/route`` with ``routingInfo.flow.flowId == flow_id`` lands.

        Without this, a flow override lands in the flow's fallback queue. Keywords as :meth:`set_routing`.
        """
        result = self.outcome(**outcome)
        with self._lock:
            self._flow_routing[flow_id] = result
        return result

    def end_session(self, conversation_identifier: str, ended_by: str = "Agent") -> str | None:
        """End the active MessagingSession of a conversation, as an agent's End Chat does in Salesforce.

        The ended session stays ended; the end user's next interaction opens a new session in the same
        conversation (see the module docstring for what ``/conversation`` answers meanwhile).

        Parameters
        ----------
        conversation_identifier : str
            The conversation.
        ended_by : str, optional
            The ``ParticipantRole`` that ended it (``Agent`` by default).

        Returns
        -------
        str or None
            The ended session id, or None when there was no active one.

        Raises
        ------
        KeyError
            Unknown conversation.
        ValueError
            ``ended_by`` is not a ParticipantRole.
        """
        if ended_by not in ("EndUser", "Chatbot", "Agent", "Supervisor", "System"):
            raise ValueError(f"ended_by must be a ParticipantRole, got {ended_by!r}")
        with self._lock:
            conversation = self._conversations_by_id[conversation_identifier]
            session = self._open_session(conversation)
            if session is None:
                return None
            session.status = "Ended"
            session.ended_at = time.time()
            session.ended_by = ended_by
            return session.id

    def set_ended_session_answer(self, answer: str) -> str:
        """Choose what ``/conversation`` answers for a conversation whose sessions have all ended.

        Parameters
        ----------
        answer : {"new", "omit", "ended"}
            ``new`` (the default): a new MessagingSession; ``omit``: the conversation identifier and no
            ``messagingSessionId``; ``ended``: the id of the latest, ended session. :meth:`reset` goes back to
            ``new``.

        Returns
        -------
        str
            The answer now in force.

        Raises
        ------
        ValueError
            Any other value.
        """
        if answer not in ENDED_SESSION_ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ENDED_SESSION_ANSWERS)}, got {answer!r}")
        with self._lock:
            self._ended_session_answer = answer
        return answer

    def set_token_audience(self, audience: str | None) -> None:
        """Expect ``audience`` as the JWT ``aud`` instead of :attr:`base_url`; None goes back to ``base_url``.

        Emulates an org whose login server is another URL than the one the functions use, e.g. a sandbox
        (``https://test.salesforce.com``) when ``SALESFORCE_AUTH_URL`` is the production login URL: the grant
        is then refused with ``invalid_grant`` / ``audience is invalid``. Kept by :meth:`reset`.
        """
        with self._lock:
            self._audience = audience

    # ------------------------------------------------------------------ faults and tokens

    def fail_records(
        self,
        sobject: str,
        status_code: str,
        *,
        external_ids: list[str] | None = None,
        times: int | None = 1,
        message: str | None = None,
        fields: list[str] | None = None,
    ) -> None:
        """Make the next ``times`` records of ``sobject`` in sObject Collections upserts fail with a per-record
        error (the request itself still answers 200; see :mod:`.sobjects`).

        Parameters
        ----------
        sobject : str
            E.g. ``awsac__SCC_ContactTraceRecord__c``.
        status_code : str
            The error's ``statusCode``, e.g. ``UNABLE_TO_LOCK_ROW`` (transient) or
            ``FIELD_CUSTOM_VALIDATION_EXCEPTION`` (permanent).
        external_ids : list of str, optional
            Only records with one of these external id values (default: any record).
        times : int or None, optional
            Number of records (default 1); None for every matching record until :meth:`reset`.
        message, fields : optional
            The error's ``message`` (default: a generic one) and ``fields``.
        """
        self._sobjects.add_fault(
            RecordFault(
                sobject,
                status_code,
                message or f"Injected record error {status_code}",
                list(fields or []),
                set(external_ids) if external_ids is not None else None,
                times,
            )
        )

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """Copies of the stored records of a declared sObject (``Id``, system dates and every field set)."""
        return self._sobjects.all(sobject)

    def trickle(
        self,
        path: str,
        bytes_per_s: float = 8.0,
        times: int | None = 1,
        *,
        status: int = 200,
        body: Any = None,
        content_type: str = "application/json",
        method: str | None = None,
    ) -> None:
        """Send the answers of the next ``times`` requests under ``path`` slowly, ``bytes_per_s`` at a time.

        The request is handled (its records are made) and the real answer trickles out, with its
        ``Content-Length``; with ``body`` that body is sent (with ``status``) instead. A client whose read timeout
        only bounds the gap between bytes waits for the whole answer.
        """
        self._faults.add(
            Fault(
                "trickle",
                path,
                times,
                status=status,
                body=body,
                bytes_per_s=bytes_per_s,
                content_type=content_type,
                method=method,
            )
        )

    def late_commit(
        self,
        path: str,
        then: str = "drop",
        times: int | None = 1,
        *,
        seconds: float = 3600.0,
        status: int = 504,
        body: Any = None,
        content_type: str = "text/html",
        method: str | None = "POST",
    ) -> None:
        """Do the work of the next ``times`` requests under ``path``, then never give the client its answer.

        Parameters
        ----------
        then : {"drop", "hang", "fail"}
            ``drop``: close the connection after the records are made; ``hang``: hold the connection ``seconds``
            (stop() ends it), then close it; ``fail``: answer ``status`` with ``body`` (default an HTML gateway
            page) as a proxy that timed out in front of a server that finished.
        method : str, optional
            ``POST`` by default (so that a client's ``DELETE /route`` is not affected); None for any.
        """
        if then not in ("drop", "hang", "fail"):
            raise ValueError("then must be drop, hang or fail")
        self._faults.add(
            Fault(
                "commit",
                path,
                times,
                then=then,  # type: ignore[arg-type]
                seconds=seconds,
                status=status,
                body=body if body is not None or then != "fail" else _GATEWAY_PAGE,
                content_type=content_type,
                method=method,
            )
        )

    def accept_work(self, conversation_identifier: str) -> list[str]:
        """An agent accepts the conversation's pending work: Omni-Channel deletes its PSRs ("Omni-Channel deletes
        the PendingServiceRouting after Agent accepts the work", Omni-Channel Developer Guide, Expected Behavior
        for External Routing). A later ``DELETE /route`` then finds nothing to cancel.

        Returns
        -------
        list of str
            The ids of the PSRs accepted.
        """
        with self._lock:
            accepted = []
            for psr in self._psrs.values():
                if psr.conversation_identifier == conversation_identifier and psr.status == "Pending":
                    psr.status = "Accepted"
                    accepted.append(psr.id)
            return accepted

    def psr_counts(self) -> dict[str, dict[str, int]]:
        """PSRs made and not cancelled (pending or accepted), per conversation identifier and routing type.

        More than one for a (conversation, routing type) is a duplicate routing: two offers of one chat.
        """
        counts: dict[str, dict[str, int]] = {}
        with self._lock:
            for psr in self._psrs.values():
                if psr.status != "Deleted":
                    by_type = counts.setdefault(psr.conversation_identifier, {})
                    by_type[psr.routing_type] = by_type.get(psr.routing_type, 0) + 1
        return counts

    @property
    def faults(self) -> list[Fault]:
        """Copies of the pending faults."""
        return self._faults.snapshot()

    def revoke_tokens(self) -> int:
        """Revoke every issued access token (they then get 401).

        Returns
        -------
        int
            How many tokens were revoked.
        """
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
        return count

    def issue_token(self, consumer_key: str | None = None) -> str:
        """Issue an access token directly (no JWT), for tests that only need an authorised session.

        Parameters
        ----------
        consumer_key : str, optional
            A registered client; the first registered one by default.

        Returns
        -------
        str
            An access token.

        Raises
        ------
        LookupError
            When no client is registered.
        """
        with self._lock:
            if not self._clients:
                raise LookupError("register a client first")
            client = self._clients[consumer_key] if consumer_key else next(iter(self._clients.values()))
            return self._new_token(client)

    def _new_token(self, client: RegisteredClient) -> str:
        token = f"{self.org_id_15}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._tokens[token] = _Token(client.user_name, client.consumer_key, int(time.time() * 1000))
        return token

    # ------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """The request log, oldest first (a copy; admin requests are not recorded)."""
        with self._lock:
            return list(self._log)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Recorded requests whose path starts with ``path``."""
        return [r for r in self.requests if r.path.startswith(path)]

    @property
    def state(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot of the org's runtime state.

        Returns
        -------
        dict
            ``conversations``: list of ``{conversationIdentifier, channelAddressIdentifier, endUserSubject,
            messagingSessionIds}``; ``sessions``: list of ``{id, conversationIdentifier, status, createdAt, endedAt,
            endedBy}`` (epoch seconds; ``endedAt``/``endedBy`` None while active); ``psrs``:
            list of ``{id, conversationIdentifier, workItemId, routingType, routingCorrelationId, outcome:
            {kind, value}, routingInfo, status}`` (``Pending`` | ``Deleted`` | ``Accepted``); ``history``:
            conversationIdentifier → list of ConversationEntryHistory as received; ``interactions``:
            conversationIdentifier → list of interactions as received;
            ``routingMap``: list of CallCenterRoutingMap records; ``sobjects``: sObject name → list of stored
            records; ``tokens``: number of valid tokens.
        """
        with self._lock:
            return {
                "conversations": [
                    {
                        "conversationIdentifier": c.conversation_identifier,
                        "channelAddressIdentifier": c.channel_address_identifier,
                        "endUserSubject": c.end_user_subject,
                        "messagingSessionIds": list(c.session_ids),
                    }
                    for c in self._conversations.values()
                ],
                "sessions": [
                    {
                        "id": s.id,
                        "conversationIdentifier": s.conversation_identifier,
                        "status": s.status,
                        "createdAt": s.created_at,
                        "endedAt": s.ended_at,
                        "endedBy": s.ended_by,
                    }
                    for s in self._sessions.values()
                ],
                "psrs": [
                    {
                        "id": p.id,
                        "conversationIdentifier": p.conversation_identifier,
                        "workItemId": p.work_item_id,
                        "routingType": p.routing_type,
                        "routingCorrelationId": p.routing_correlation_id,
                        "outcome": {"kind": p.outcome.kind, "value": p.outcome.value},
                        "routingInfo": p.routing_info,
                        "status": p.status,
                    }
                    for p in self._psrs.values()
                ],
                "history": {k: list(v) for k, v in self._history.items()},
                "interactions": {k: list(v) for k, v in self._interactions.items()},
                "routingMap": [dict(r) for r in self._routing_map],
                "sobjects": {t.name: self._sobjects.all(t.name) for t in self._sobjects.types},
                "tokens": len(self._tokens),
            }

    def reset(self) -> None:
        """Clear runtime state: conversations, sessions, PSRs, history, sObject records, tokens, request log,
        faults (record faults too), and the answer to ended sessions (back to ``new``).

        Keeps registered clients, channels (their routing goes back to the one given to :meth:`add_channel`),
        flow routing and the routing map.
        """
        self._faults.clear()
        self._sobjects.clear()
        with self._lock:
            self._ended_session_answer = "new"
            self._flow_routing.clear()
            for channel in self._channels.values():
                channel.routing = channel.default_routing
            self._tokens.clear()
            self._conversations.clear()
            self._conversations_by_id.clear()
            self._sessions.clear()
            self._psrs.clear()
            self._history.clear()
            self._interactions.clear()
            self._log.clear()

    # ------------------------------------------------------------------ WSGI plumbing

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith("/__admin/"):
            return self._admin(request)(environ, start_response)
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.args.items()),
            headers=_redacted_headers(request),
            body=_body_for_log(request),
        )
        with self._lock:
            self._log.append(record)
        delay, fault = self._faults.take(request.path, request.method)
        if delay:
            record.fault = "delay"
            if self._stopping.wait(delay):
                fault = Fault("drop", "", None)
        if fault is not None and fault.kind == "drop":
            record.fault = "drop"
            _drop_connection(environ)
        if fault is not None and fault.kind == "fail":
            record.fault = "fail"
            response = _fault_response(fault)
        else:
            response = self._handle(request)
        if fault is not None and fault.kind == "commit":
            record.fault = "late-commit"
            record.status = response.status_code  # what the org did; the client never learns it
            if fault.then == "fail":
                response = _fault_response(fault)
            else:
                if fault.then == "hang":
                    self._stopping.wait(fault.seconds)
                _drop_connection(environ)
        if fault is not None and fault.kind == "trickle":
            record.fault = "trickle"
            if fault.body is not None:
                response = _fault_response(fault)
            response = self._trickling(response, fault.bytes_per_s)
        record.status = response.status_code
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        try:
            return self._dispatch(request)
        except Exception:
            logger.exception("emulator error on %s %s", request.method, request.path)
            return _json(InteractionError(500, 500).body(), 500)

    def _trickling(self, response: Response, bytes_per_s: float) -> Response:
        return trickled(response, bytes_per_s, self._stopping)

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path == TOKEN_PATH:
            return self._token(request) if request.method == "POST" else _json({"error": "method"}, 405)
        match = _QUERY_PATH.match(path)
        if match:
            return self._query(request, match["version"])
        match = _COLLECTIONS_PATH.match(path)
        if match:
            return self._collections_upsert(request, match["sobject"], match["field"])
        handlers = {
            ("POST", "/api/v1/conversation"): self._conversation,
            ("POST", "/api/v1/interactions"): self._post_interactions,
            ("POST", "/api/v1/route"): self._route,
            ("POST", "/api/v1/conversationHistory"): self._conversation_history,
            ("GET", "/api/v1/conversationEntry"): self._conversation_entries,
            ("DELETE", "/api/v1/route"): self._delete_route,
        }
        handler = handlers.get((request.method, path))
        if handler is None:
            if any(known == path for _, known in handlers):
                return _json({"code": 405, "message": "Method Not Allowed"}, 405)
            return _json([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], 404)
        try:
            self._check_bearer(request)
            context = check_headers(
                request.headers,
                org_id_15=self.org_id_15,
                history=path.endswith(("/conversationHistory", "/conversationEntry")),
            )
            return handler(request, context)
        except InteractionError as error:
            return _json(error.body(), error.status)

    # ------------------------------------------------------------------ OAuth

    def _token(self, request: Request) -> Response:
        """JWT bearer grant (Salesforce "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration")."""

        def fail(description: str, error: str = "invalid_grant") -> Response:
            return _json({"error": error, "error_description": description}, 400)

        if request.form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return fail("grant type not supported", "unsupported_grant_type")
        assertion = request.form.get("assertion", "")
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return fail("invalid assertion")
        if header.get("alg") != "RS256":
            return fail("invalid assertion")
        with self._lock:
            client = self._clients.get(str(unverified.get("iss")))
        if client is None:
            return fail("client identifier invalid", "invalid_client_id")
        try:
            claims = jwt.decode(
                assertion,
                _public_key(client.public_key_pem),
                algorithms=["RS256"],
                audience=self._audience or self.base_url,
                issuer=client.consumer_key,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.InvalidSignatureError:
            return fail("invalid assertion")
        except jwt.ExpiredSignatureError:
            return fail("expired authorization code")
        except jwt.InvalidAudienceError:
            return fail("audience is invalid")
        except jwt.PyJWTError:
            return fail("invalid assertion")
        if claims["exp"] > time.time() + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S:
            return fail("invalid assertion: exp is too far in the future")
        if claims["sub"] != client.user_name:
            return fail("user hasn't approved this consumer")
        token = self._new_token(client)
        issued_at = str(int(time.time() * 1000))
        identity = f"{self.base_url}/id/{self.org_id}/{client.user_id}"
        signature = base64.b64encode(
            hmac.new(self._signing_key, (identity + issued_at).encode(), hashlib.sha256).digest()
        ).decode()
        return _json(
            {
                "access_token": token,
                "scope": "interaction_api api",
                "instance_url": self.base_url,
                "id": identity,
                "token_type": "Bearer",
                "issued_at": issued_at,
                "signature": signature,
            }
        )

    def _token_valid(self, request: Request) -> bool:
        authorization = request.headers.get("Authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not token:
            return False
        with self._lock:
            return token.strip() in self._tokens

    def _check_bearer(self, request: Request) -> None:
        if not self._token_valid(request):
            raise InteractionError(10004)

    # ------------------------------------------------------------------ REST query

    def _query(self, request: Request, version: str) -> Response:
        """``GET /services/data/vNN.N/query?q=`` over CallCenterRoutingMap (REST API query resource)."""
        if not self._token_valid(request):
            return _json([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401)
        if request.method != "GET":
            return _json([{"message": "Method not allowed", "errorCode": "METHOD_NOT_ALLOWED"}], 405)
        q = request.args.get("q")
        if not q:
            return _json([{"message": "A query string is required (q)", "errorCode": "MALFORMED_QUERY"}], 400)
        schemas = (soql.CALL_CENTER_ROUTING_MAP, *(t.schema for t in self._sobjects.types))
        try:
            parsed = soql.parse(q, schemas)
        except soql.SoqlError as error:
            return _json([{"message": error.message, "errorCode": error.error_code}], 400)
        if parsed.object_name == soql.OBJECT_NAME:
            with self._lock:
                records = [dict(r) for r in self._routing_map]
        else:
            records = self._sobjects.all(parsed.object_name)
        with_id = dataclasses.replace(parsed, fields=tuple(dict.fromkeys(("Id", *parsed.fields))))
        out = []
        for record in soql.execute(with_id, records):
            url = f"/services/data/v{version}/sobjects/{parsed.object_name}/{record['Id']}"
            out.append({"attributes": {"type": parsed.object_name, "url": url}} | {f: record[f] for f in parsed.fields})
        return _json({"totalSize": len(out), "done": True, "records": out})

    def _collections_upsert(self, request: Request, sobject: str, external_id_field: str) -> Response:
        """``PATCH .../composite/sobjects/<type>/<externalIdField>``: sObject Collections upsert (:mod:`.sobjects`)."""
        if not self._token_valid(request):
            return _json([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401)
        if request.method != "PATCH":
            message = f"HTTP Method '{request.method}' not allowed. Allowed are PATCH"
            return _json([{"message": message, "errorCode": "METHOD_NOT_ALLOWED"}], 405)
        try:
            return _json(self._sobjects.upsert(sobject, external_id_field, request.environ["emulator.body"]))
        except RestError as error:
            return _json(error.body(), error.status)

    # ------------------------------------------------------------------ Interaction Service

    def _channel_for(self, identifier: str, context: str, *, mismatch_code: int = 10001) -> Channel:
        """Look up a channel and check the AuthorizationContext against it.

        Raises
        ------
        InteractionError
            10017 unknown channel; 10005 context unknown to the org; ``mismatch_code`` (10001, or 10070 for
            /conversationHistory) when the context belongs to another channel.
        """
        with self._lock:
            channel = self._channels.get(identifier)
            known_contexts = {c.authorization_context for c in self._channels.values()}
        if channel is None:
            raise InteractionError(10017)
        if context not in known_contexts:
            raise InteractionError(10005)
        if channel.authorization_context != context:
            raise InteractionError(mismatch_code)
        return channel

    def _conversation_for(self, channel: str, subject: str) -> Conversation:
        with self._lock:
            conversation = self._conversations.get((channel, subject))
            if conversation is None:
                conversation = Conversation(str(uuid.uuid4()), channel, subject)
                self._conversations[(channel, subject)] = conversation
                self._conversations_by_id[conversation.conversation_identifier] = conversation
            return conversation

    def _open_session(self, conversation: Conversation) -> MessagingSession | None:
        """The conversation's active session, or None."""
        with self._lock:
            for session_id in reversed(conversation.session_ids):
                session = self._sessions[session_id]
                if session.status == "Active":
                    return session
            return None

    def _active_session(self, conversation: Conversation) -> MessagingSession:
        """The active session, or a new one (an inbound interaction of the end user)."""
        with self._lock:
            return self._open_session(conversation) or self._new_session(conversation)

    def _new_session(self, conversation: Conversation, status: str = "Active") -> MessagingSession:
        with self._lock:
            session = MessagingSession(new_id("0Mw"), conversation.conversation_identifier, status)
            self._sessions[session.id] = session
            conversation.session_ids.append(session.id)
            return session

    def _conversation(self, request: Request, context: str) -> Response:
        """``POST /api/v1/conversation`` → 202 PostConversationResponse."""
        channel_id, subject = check_conversation(request.environ["emulator.body"])
        self._channel_for(channel_id, context)
        with self._lock:
            conversation = self._conversation_for(channel_id, subject)
            session = self._open_session(conversation)
            if session is None:
                answer = self._ended_session_answer if conversation.session_ids else "new"
                if answer == "new":
                    session = self._new_session(conversation)
                elif answer == "ended":
                    session = self._sessions[conversation.session_ids[-1]]
        body: dict[str, Any] = {"conversationIdentifier": conversation.conversation_identifier, "success": True}
        if session is not None:
            body["messagingSessionId"] = session.id
        return _json(body, 202)

    def _post_interactions(self, request: Request, context: str) -> Response:
        """``POST /api/v1/interactions`` (multipart ``json`` part) → 202 PostInteractionResponse."""
        to, sender, interaction = check_interactions(request.environ["emulator.body"])
        self._channel_for(to, context)
        with self._lock:
            conversation = self._conversation_for(to, sender)
            session = self._active_session(conversation)
            self._interactions.setdefault(conversation.conversation_identifier, []).append(interaction)
        return _json(
            {
                "conversationIdentifier": conversation.conversation_identifier,
                "workItemIds": [session.id],
                "success": True,
            },
            202,
        )

    def _route(self, request: Request, context: str) -> Response:
        """``POST /api/v1/route`` → 202 PostRouteResponse."""
        route = check_route(request.environ["emulator.body"])
        with self._lock:
            conversation = self._conversations_by_id.get(route.conversation_identifier)
        if conversation is None:
            raise InteractionError(10018)
        channel = self._channel_for(conversation.channel_address_identifier, context)
        with self._lock:
            outcome = channel.routing
            if outcome.kind != "not_routed":
                if route.queue_id:
                    outcome = RoutingOutcome("queue", to_18(route.queue_id))
                elif route.flow_id:
                    outcome = self._flow_routing.get(
                        route.flow_id, RoutingOutcome("queue", to_18(str(route.flow_fallback_queue_id)))
                    )
            session = self._open_session(conversation)
            if session is None:
                return _json(
                    {"success": False, "reasonForNotRouting": NO_ACTIVE_SESSION_REASON, "contextParamMap": {}}, 202
                )
            if outcome.kind == "not_routed":
                return _json(
                    {
                        "success": False,
                        "workItemId": session.id,
                        "reasonForNotRouting": outcome.value,
                        "contextParamMap": {},
                    },
                    202,
                )
            psr = PendingServiceRouting(
                id=new_id("0JR"),
                conversation_identifier=conversation.conversation_identifier,
                work_item_id=session.id,
                routing_type=route.routing_type,
                routing_correlation_id=str(uuid.uuid4()),
                outcome=outcome,
                routing_info=route.routing_info,
            )
            self._psrs[psr.id] = psr
        key = {"queue": "queueId", "user": "userId"}.get(outcome.kind, outcome.external_key)
        return _json(
            {
                "success": True,
                "psrId": psr.id,
                "workItemId": psr.work_item_id,
                "routingCorrelationId": psr.routing_correlation_id,
                "contextParamMap": {key: outcome.value},
            },
            202,
        )

    def _delete_route(self, request: Request, context: str) -> Response:
        """``DELETE /api/v1/route`` (DeleteRouteRequest) → 202 DeleteRouteResponse ``{"success"}``: cancels the
        conversation's pending PSRs; ``success: false`` when there was none (never made, already cancelled, or
        the work was accepted and Omni-Channel deleted the PSR)."""
        data = request.environ["emulator.body"]
        if not isinstance(data, dict) or not data:
            raise InteractionError(10100)
        identifier = data.get("conversationIdentifier")
        if not isinstance(identifier, str) or not identifier.strip():
            raise InteractionError(10018)
        reason = data.get("cancelReason")
        if reason is not None and reason not in CANCEL_REASONS:
            raise InteractionError(10089)
        with self._lock:
            conversation = self._conversations_by_id.get(identifier)
        if conversation is None:
            raise InteractionError(10018)
        self._channel_for(conversation.channel_address_identifier, context)
        with self._lock:
            cancelled = 0
            for psr in self._psrs.values():
                if psr.conversation_identifier == identifier and psr.status == "Pending":
                    psr.status = "Deleted"
                    cancelled += 1
        return _json({"success": cancelled > 0}, 202)

    def _conversation_history(self, request: Request, context: str) -> Response:
        """``POST /api/v1/conversationHistory`` → 202 AddConversationHistoryResponse."""
        history = check_history(
            request.environ["emulator.body"],
            now_ms=int(time.time() * 1000),
            max_entries=self.max_history_entries,
        )
        self._channel_for(history.channel_address_identifier, context, mismatch_code=10070)
        key = (history.channel_address_identifier, history.end_user_subject)
        with self._lock:
            # Validate against stored state before creating anything: a rejected call changes nothing.
            existing = self._conversations.get(key)
            stored = self._history.get(existing.conversation_identifier, []) if existing else []
            known_ids = {entry["entryPayload"]["id"] for entry in stored}
            if any(entry["entryPayload"]["id"] in known_ids for entry in history.entries):
                raise InteractionError(10073)
            request = history.messaging_session
            if request is not None and request["messagingSessionRequestType"] == "AttachMessagingSession":
                attached = self._sessions.get(str(request["payload"]["sessionId"]))
                if (
                    attached is None
                    or existing is None
                    or (attached.conversation_identifier != existing.conversation_identifier)
                ):
                    raise InteractionError(10071)
            conversation = self._conversation_for(*key)
            session = self._history_session(conversation, request)
            self._history.setdefault(conversation.conversation_identifier, []).extend(history.entries)
        return _json(
            {
                "success": True,
                "conversationIdentifier": conversation.conversation_identifier,
                "messagingSessionId": session.id,
            },
            202,
        )

    def _conversation_entries(self, request: Request, context: str) -> Response:
        """``GET /api/v1/conversationEntry`` (GetConversationEntriesRequest body) → 200 GetConversationEntriesResponse.

        Read-only. After the token and headers: 10005 for an ``AuthorizationContext`` no channel of the org has,
        10089 without ``conversationIdentifier`` (string) and ``startTime`` (integer ms), 10018 for an unknown
        conversation; else its history entries (at most ``limit``, 20 by default: the schema's maxItems).
        """
        with self._lock:
            known_contexts = {c.authorization_context for c in self._channels.values()}
        if context not in known_contexts:
            raise InteractionError(10005)
        body = request.environ["emulator.body"]
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("conversationIdentifier"), str)
            or not isinstance(body.get("startTime"), int)
        ):
            raise InteractionError(10089)
        limit = body.get("limit") if isinstance(body.get("limit"), int) and 0 < body["limit"] <= 20 else 20
        with self._lock:
            conversation = self._conversations_by_id.get(body["conversationIdentifier"])
            if conversation is None:
                raise InteractionError(10018)
            entries = list(self._history.get(conversation.conversation_identifier, []))
        return _json({"success": True, "conversationEntries": entries[:limit]}, 200)

    def _history_session(self, conversation: Conversation, request: dict[str, Any] | None) -> MessagingSession:
        if request is None:
            return self._active_session(conversation)
        payload = request.get("payload") or {}
        if request["messagingSessionRequestType"] == "AttachMessagingSession":
            session = self._sessions.get(str(payload.get("sessionId")))
            if session is None or session.conversation_identifier != conversation.conversation_identifier:
                raise InteractionError(10071)
            return session
        return self._new_session(conversation, "Ended" if payload.get("endTime") else "Active")

    # ------------------------------------------------------------------ admin endpoints

    def _admin(self, request: Request) -> Response:
        """``/__admin/requests`` (GET), ``/__admin/state`` (GET), ``/__admin/faults`` (GET),
        ``/__admin/call/<method>`` (POST, JSON object of keyword arguments; methods in :data:`ADMIN_METHODS`).
        """
        path = request.path
        if path == "/__admin/requests" and request.method == "GET":
            return _json([r.to_json() for r in self.requests])
        if path == "/__admin/state" and request.method == "GET":
            return _json(self.state)
        if path == "/__admin/faults" and request.method == "GET":
            return _json([vars(f) for f in self.faults])
        if path == "/__admin/info" and request.method == "GET":
            return _json({"base_url": self.base_url, "org_id": self.org_id, "ca_file": self.ca_file})
        if path.startswith("/__admin/call/") and request.method == "POST":
            name = path.removeprefix("/__admin/call/")
            if name not in ADMIN_METHODS:
                return _json({"error": f"unknown admin method {name!r}"}, 404)
            kwargs = request.get_json(silent=True) or {}
            if not isinstance(kwargs, dict):
                return _json({"error": "body must be a JSON object of keyword arguments"}, 400)
            if name in ("add_channel",) and isinstance(kwargs.get("routing"), dict):
                kwargs["routing"] = self.outcome(**kwargs["routing"])
            try:
                result = getattr(self, name)(**kwargs)
            except (TypeError, ValueError, KeyError, LookupError) as exc:
                return _json({"error": f"{type(exc).__name__}: {exc}"}, 400)
            if isinstance(result, Channel | RoutingOutcome):
                result = {k: v if not isinstance(v, RoutingOutcome) else vars(v) for k, v in vars(result).items()}
            return _json({"result": result})
        return _json({"error": "unknown admin endpoint"}, 404)


# ---------------------------------------------------------------------- helpers


def _redacted_headers(request: Request) -> Headers:
    headers = Headers(list(request.headers.items()))
    if "Authorization" in headers:
        scheme = headers["Authorization"].partition(" ")[0]
        headers["Authorization"] = f"{scheme} <redacted>"
    return headers


def _body_for_log(request: Request) -> Any:
    """Parse the body once (stored in ``environ["emulator.body"]`` for the handlers) and return the logged form."""
    body: Any = None
    if request.path == TOKEN_PATH:
        body = dict(request.form.items())
        if "assertion" in body:
            body["assertion"] = "<redacted>"
        request.environ["emulator.body"] = None
        return body
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("json")
        if raw is None and "json" in request.files:
            raw = request.files["json"].read().decode("utf-8", "replace")
        if raw is not None:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
    elif request.content_length or request.headers.get("Transfer-Encoding"):
        body = request.get_json(force=True, silent=True)
    request.environ["emulator.body"] = body
    return body


def trickled(response: Response, bytes_per_s: float, stopping: threading.Event) -> Response:
    """The same answer, its body sent a few bytes at a time (``Content-Length`` kept, so the client waits);
    ``stopping`` ends it early."""
    data = response.get_data()
    step = max(1, int(bytes_per_s / 4))
    pause = step / bytes_per_s

    def chunks():
        for start in range(0, len(data), step):
            if start and stopping.wait(pause):
                return
            yield data[start : start + step]

    headers = Headers(response.headers)
    headers["Content-Length"] = str(len(data))
    return Response(chunks(), status=response.status_code, headers=headers, direct_passthrough=True)


def fault_response(fault: Fault) -> Response:
    """The answer a ``fail`` fault (or a ``commit`` fault's ``then="fail"``) gives."""
    return _fault_response(fault)


def drop_connection(environ: dict[str, Any]) -> None:
    """Close the client socket of ``environ`` without an answer (raises ``ConnectionAbortedError``)."""
    _drop_connection(environ)


def _fault_response(fault: Fault) -> Response:
    body = fault.body
    if body is None:
        body = {"code": fault.status, "message": f"Injected fault: HTTP {fault.status}"}
    if isinstance(body, dict | list):
        return _json(body, fault.status, fault.headers)
    data = body.encode() if isinstance(body, str) else bytes(body)
    return Response(data, status=fault.status, headers=fault.headers, content_type=fault.content_type)


#: What a gateway in front of a server answers when it gave up waiting (for ``late_commit(then="fail")``).
_GATEWAY_PAGE = (
    "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1>"
    "</center></body></html>"
)
#: DeleteRouteRequest.cancelReason (CancelReason enum, inbound-interaction-api.yaml).
CANCEL_REASONS = ("Unknown", "Unavailable", "Decline", "Cancel")


def _drop_connection(environ: dict[str, Any]) -> None:
    """Close the client socket without an answer and tell werkzeug the connection is gone.

    Raises
    ------
    ConnectionAbortedError
        Always; werkzeug's handler treats it as a dropped connection and sends nothing.
    """
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("connection dropped by fault injection")


__all__ = ["ADMIN_METHODS", "RegisteredClient", "SalesforceEmulator", "is_id"]

"""Local AWS stand-ins: a moto server (Secrets Manager, S3, DynamoDB, SQS, ...) and an Amazon Connect API stand-in.

moto implements almost none of the Connect API (its ``connect`` backend: instances, analytics associations,
tags; docs.getmoto.org/en/latest/docs/services/connect.html), so :class:`ConnectStandin` serves the few
operations the project calls, in the rest-json shapes of botocore's ``connect`` service model (2017-08-08):

==============================  ===============================================================
operation                       HTTP
==============================  ===============================================================
GetContactAttributes            ``GET /contact/attributes/{InstanceId}/{InitialContactId}``
UpdateContactAttributes         ``POST /contact/attributes``
DescribeContact                 ``GET /contacts/{InstanceId}/{ContactId}``
ListInstanceStorageConfigs      ``GET /instance/{InstanceId}/storage-configs?resourceType=...``
ListLambdaFunctions             ``GET /instance/{InstanceId}/lambda-functions``
ListContactFlows                ``GET /contact-flows-summary/{InstanceId}?contactFlowTypes=...``
DescribeContactFlow             ``GET /contact-flows/{InstanceId}/{ContactFlowId}``
DescribeQueue                   ``GET /queues/{InstanceId}/{QueueId}``
DescribeUser                    ``GET /users/{InstanceId}/{UserId}``
==============================  ===============================================================

The last five read the instance's configuration (Lambda associations, contact flows, queues, users), which
tests and ``connect-omni doctor`` set with the control methods of :class:`_InstanceConfiguration`.

boto3 reaches it through ``AWS_ENDPOINT_URL_CONNECT`` (botocore's service-specific endpoint variable); it
accepts any SigV4 signature. Unknown instances or contacts answer 404 ``ResourceNotFoundException`` (header
``x-amzn-ErrorType`` and body ``{"Message": ...}``, which botocore's rest-json parser reads).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import boto3
import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from localdev._serving import serve_in_thread, stop_serving

logger = logging.getLogger("localdev.aws_standins")

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "111122223333"
DUMMY_ACCESS_KEY_ID = "AKIALOCALSTANDIN0000"
DUMMY_SECRET_ACCESS_KEY = "local-standin-secret-key-not-a-real-one"


class _QuietHandler(WSGIRequestHandler):
    """Logs request lines at DEBUG only."""

    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), message % args)


def _serve(app: Any, name: str) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    return server, serve_in_thread(server, name)


class _AtomicDynamoDB:
    """WSGI middleware: one DynamoDB request at a time.

    DynamoDB carries out each item write, its condition included, atomically
    (docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate);
    moto checks the condition and writes in two steps, so two concurrent conditional writes to one item can both
    succeed. Serialising DynamoDB requests gives the stand-in DynamoDB's semantics (the state table's ledger and
    the shared token's single flight rely on them). Other services are not serialised.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:
            return list(self.app(environ, start_response))


class MotoStandin:
    """moto's server on 127.0.0.1 (any free port) in a background thread, for every service moto knows.

    Parameters
    ----------
    region : str, optional
        Region for :meth:`client` (default ``us-east-1``).

    Attributes
    ----------
    endpoint_url : str
        ``http://127.0.0.1:<port>``; use it as ``AWS_ENDPOINT_URL``.

    Notes
    -----
    moto keeps its backends in process-global state, so a ``moto.mock_aws`` context entered or left in the same
    process resets this server's data too.
    """

    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.region = region
        self.endpoint_url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> MotoStandin:
        """Start serving (idempotent).

        Returns
        -------
        MotoStandin
            ``self``.
        """
        if self._server is None:
            from moto.moto_server.threaded_moto_server import MotoRequestHandler
            from moto.server import DomainDispatcherApplication, create_backend_app

            class _QuietMotoHandler(MotoRequestHandler):
                def log(self, type: str, message: str, *args: Any) -> None:
                    logger.debug("moto %s", message % args)

            app = _AtomicDynamoDB(DomainDispatcherApplication(create_backend_app))
            self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietMotoHandler)
            self._thread = serve_in_thread(self._server, "moto")
            self.endpoint_url = f"http://127.0.0.1:{self._server.socket.getsockname()[1]}"
        return self

    def client(self, service: str) -> Any:
        """Make a boto3 client for ``service`` pointed at this server with dummy credentials."""
        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=DUMMY_ACCESS_KEY_ID,
            aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        )

    def reset(self) -> None:
        """Reset every moto backend (``POST /moto-api/reset``)."""
        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=5).raise_for_status()

    def stop(self) -> None:
        """Stop serving, close the socket and join the thread (idempotent)."""
        stop_serving(self._server, self._thread)
        self._server = self._thread = None


@dataclass
class ContactRecord:
    """A contact known to the Connect stand-in.

    Attributes
    ----------
    contact_id, initial_contact_id : str
        ``InitialContactId`` defaults to ``contact_id``.
    previous_contact_id : str or None
    channel : str
        VOICE | CHAT | TASK | EMAIL.
    initiation_method : str
        ``API`` for a web chat, ``TRANSFER``, ``QUEUE_TRANSFER``, ...
    attributes : dict of str to str
        Contact attributes.
    queue_id, agent_id : str or None
        Queue / agent ids (not ARNs) for ``QueueInfo`` / ``AgentInfo``.
    initiation_timestamp, disconnect_timestamp : float or None
        Epoch seconds.
    subtype : str
        The channel subtype, ``SegmentAttributes["connect:Subtype"]`` (``connect:Chat``, ``connect:SMS``,
        ``connect:WhatsApp``, ...).
    customer_endpoint : dict or None
        ``CustomerEndpoint`` (``{"Type": "TELEPHONE_NUMBER", "Address": "+1..."}``); None for web chat.
    """

    contact_id: str
    initial_contact_id: str
    previous_contact_id: str | None
    channel: str
    initiation_method: str
    attributes: dict[str, str]
    queue_id: str | None = None
    agent_id: str | None = None
    initiation_timestamp: float = field(default_factory=time.time)
    disconnect_timestamp: float | None = None
    subtype: str = "connect:Chat"
    customer_endpoint: dict[str, str] | None = None


@dataclass
class FlowRecord:
    """A contact flow published in the Connect stand-in (``DescribeContactFlow``'s ``ContactFlow``).

    Attributes
    ----------
    flow_id, arn, name : str
        ``arn`` is ``<instance ARN>/contact-flow/<flow_id>``.
    flow_type : str
        ``CONTACT_FLOW``, ``AGENT_TRANSFER``, ``QUEUE_TRANSFER``, ...
    content : str
        The flow language JSON text.
    status, state : str
        ``PUBLISHED`` | ``SAVED``; ``ACTIVE`` | ``ARCHIVED``.
    description : str
    """

    flow_id: str
    arn: str
    name: str
    flow_type: str
    content: str
    status: str = "PUBLISHED"
    state: str = "ACTIVE"
    description: str = ""


class _InstanceConfiguration:
    """The instance's configuration and its read APIs: what ``connect-omni doctor`` inspects.

    Control methods add Lambda associations, queues, users and contact flows; the HTTP side answers, in the
    shapes of botocore's ``connect`` model: ``ListLambdaFunctions`` (``GET /instance/{id}/lambda-functions``),
    ``ListContactFlows`` (``GET /contact-flows-summary/{id}``), ``DescribeContactFlow``
    (``GET /contact-flows/{id}/{flowId}``), ``DescribeQueue`` (``GET /queues/{id}/{queueId}``) and
    ``DescribeUser`` (``GET /users/{id}/{userId}``). Lists page with ``maxResults`` / ``nextToken``.
    """

    instance_arn: str
    _lock: threading.RLock
    _storage: dict[str, list[dict[str, Any]]]

    def _init_configuration(self) -> None:
        self._lambda_functions: list[str] = []
        self._queues: dict[str, str] = {}
        self._users: dict[str, str] = {}
        self._flows: dict[str, FlowRecord] = {}

    # control --------------------------------------------------------------------

    def associate_lambda_function(self, function_arn: str) -> None:
        """Add a Lambda function to the instance (``AssociateLambdaFunction``; idempotent)."""
        with self._lock:
            if function_arn not in self._lambda_functions:
                self._lambda_functions.append(function_arn)

    def disassociate_lambda_function(self, function_arn: str) -> None:
        """Remove a Lambda function from the instance (no error when it was not associated)."""
        with self._lock:
            if function_arn in self._lambda_functions:
                self._lambda_functions.remove(function_arn)

    def _own_id(self, kind: str, id_or_arn: str) -> str:
        prefix = f"{self.instance_arn}/{kind}/"
        if id_or_arn.startswith("arn:"):
            if not id_or_arn.startswith(prefix):
                raise ValueError(f"{id_or_arn} is not a {kind} ARN of {self.instance_arn}")
            return id_or_arn.removeprefix(prefix)
        return id_or_arn

    def put_queue(self, queue: str, name: str) -> str:
        """Add (or rename) a standard queue, given its id or its ARN in this instance.

        Returns
        -------
        str
            The queue ARN.

        Raises
        ------
        ValueError
            An ARN of another instance.
        """
        queue_id = self._own_id("queue", queue)
        with self._lock:
            self._queues[queue_id] = name
        return f"{self.instance_arn}/queue/{queue_id}"

    def remove_queue(self, queue: str) -> None:
        """Delete a queue (id or ARN; no error when unknown)."""
        with self._lock:
            self._queues.pop(self._own_id("queue", queue), None)

    def put_user(self, user: str, username: str) -> str:
        """Add (or rename) a user (agent), given its id or its ``.../agent/<id>`` ARN. Returns the ARN."""
        user_id = self._own_id("agent", user)
        with self._lock:
            self._users[user_id] = username
        return f"{self.instance_arn}/agent/{user_id}"

    def put_contact_flow(
        self,
        name: str,
        content: str | dict[str, Any],
        flow_type: str = "CONTACT_FLOW",
        *,
        status: str = "PUBLISHED",
        state: str = "ACTIVE",
        description: str = "",
        flow_id: str | None = None,
    ) -> FlowRecord:
        """Create (or, with ``flow_id``, replace) a contact flow.

        Parameters
        ----------
        name : str
            Flow name.
        content : str or dict
            Flow language JSON (a dict is serialised).
        flow_type : str, optional
            ``ContactFlowType``; ``CONTACT_FLOW`` by default.
        status, state : str, optional
            ``PUBLISHED`` (default) or ``SAVED``; ``ACTIVE`` (default) or ``ARCHIVED``.
        description : str, optional
        flow_id : str, optional
            Keep this id (replace the flow); a new UUID by default.

        Returns
        -------
        FlowRecord
            A copy of the stored flow.
        """
        text = content if isinstance(content, str) else json.dumps(content)
        flow_id = flow_id or str(uuid.uuid4())
        record = FlowRecord(
            flow_id, f"{self.instance_arn}/contact-flow/{flow_id}", name, flow_type, text, status, state, description
        )
        with self._lock:
            self._flows[flow_id] = record
        return copy.deepcopy(record)

    def remove_contact_flow(self, flow_id: str) -> None:
        """Delete a contact flow (no error when unknown)."""
        with self._lock:
            self._flows.pop(flow_id, None)

    def contact_flows(self) -> list[FlowRecord]:
        """Copies of every contact flow, in creation order."""
        with self._lock:
            return copy.deepcopy(list(self._flows.values()))

    # HTTP -----------------------------------------------------------------------

    def remove_storage_config(self, resource_type: str) -> None:
        """Forget the storage config of ``resource_type`` (e.g. chat transcripts turned off)."""
        with self._lock:
            self._storage.pop(resource_type, None)

    def _route_configuration(self, method: str, parts: list[str], args: Any) -> tuple[str, Response] | None:
        """``(operation, response)`` for the read APIs above, or None when the request is not one of them."""
        if method != "GET" or len(parts) < 2:
            return None
        shape = (parts[0], len(parts), parts[2] if len(parts) == 3 else None)
        operations = {
            ("instance", 3, "lambda-functions"): "ListLambdaFunctions",
            ("contact-flows-summary", 2, None): "ListContactFlows",
        }
        describe = {"contact-flows": "DescribeContactFlow", "queues": "DescribeQueue", "users": "DescribeUser"}
        operation = operations.get(shape) or (describe.get(parts[0]) if len(parts) == 3 else None)
        if operation is None:
            return None
        if unquote(parts[1]) not in (self.instance_arn, self.instance_arn.rpartition("/")[2]):
            return operation, _error(404, "ResourceNotFoundException", "Instance not found")
        with self._lock:
            if operation == "ListLambdaFunctions":
                page, more = _page(list(self._lambda_functions), args, 25)
                return operation, _ok({"LambdaFunctions": page, **more})
            if operation == "ListContactFlows":
                types = set(args.getlist("contactFlowTypes"))
                flows = [f for f in self._flows.values() if not types or f.flow_type in types]
                page, more = _page(flows, args, 100)
                summaries = [
                    {
                        "Id": f.flow_id,
                        "Arn": f.arn,
                        "Name": f.name,
                        "ContactFlowType": f.flow_type,
                        "ContactFlowState": f.state,
                        "ContactFlowStatus": f.status,
                    }
                    for f in page
                ]
                return operation, _ok({"ContactFlowSummaryList": summaries, **more})
            found = self._describe_configuration(operation, parts[2])
        if found is None:
            what = operation.removeprefix("Describe")
            return operation, _error(404, "ResourceNotFoundException", f"{what} not found")
        return operation, _ok(found)

    def _describe_configuration(self, operation: str, key: str) -> dict[str, Any] | None:
        if operation == "DescribeContactFlow" and key in self._flows:
            flow = self._flows[key]
            return {
                "ContactFlow": {
                    "Arn": flow.arn,
                    "Id": flow.flow_id,
                    "Name": flow.name,
                    "Type": flow.flow_type,
                    "State": flow.state,
                    "Status": flow.status,
                    "Description": flow.description,
                    "Content": flow.content,
                    "Tags": {},
                }
            }
        if operation == "DescribeQueue" and key in self._queues:
            arn = f"{self.instance_arn}/queue/{key}"
            return {"Queue": {"Name": self._queues[key], "QueueArn": arn, "QueueId": key, "Status": "ENABLED"}}
        if operation == "DescribeUser" and key in self._users:
            return {"User": {"Id": key, "Arn": f"{self.instance_arn}/agent/{key}", "Username": self._users[key]}}
        return None


def _page(items: list[Any], args: Any, default_max: int) -> tuple[list[Any], dict[str, str]]:
    """One page of ``items``: ``(page, {"NextToken": ...} or {})``; the token is the next offset."""
    start = int(args.get("nextToken") or 0)
    size = int(args.get("maxResults") or default_max)
    rest = items[start + size :]
    return items[start : start + size], ({"NextToken": str(start + size)} if rest else {})


class ConnectStandin(_InstanceConfiguration):
    """A minimal Amazon Connect API endpoint for one instance (plain HTTP on 127.0.0.1).

    Parameters
    ----------
    instance_id : str, optional
        The instance id (a UUID); random when omitted.
    region, account : str, optional
        For :attr:`instance_arn`.

    Attributes
    ----------
    endpoint_url : str
        ``http://127.0.0.1:<port>``; use it as ``AWS_ENDPOINT_URL_CONNECT``.
    instance_id, instance_arn : str
        ``arn:aws:connect:<region>:<account>:instance/<instance_id>``.
    requests : list of dict
        Log of ``{"operation", "method", "path", "query", "body"}``, oldest first.
    """

    def __init__(
        self, instance_id: str | None = None, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT
    ) -> None:
        self.instance_id = instance_id or str(uuid.uuid4())
        self.instance_arn = f"arn:aws:connect:{region}:{account}:instance/{self.instance_id}"
        self.endpoint_url = ""
        self._lock = threading.RLock()
        self._contacts: dict[str, ContactRecord] = {}
        self._storage: dict[str, list[dict[str, Any]]] = {}
        self._log: list[dict[str, Any]] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._init_configuration()

    # lifecycle ------------------------------------------------------------------

    def start(self) -> ConnectStandin:
        """Start serving in a daemon thread (idempotent). Returns ``self``."""
        if self._server is None:
            self._server, self._thread = _serve(self._wsgi, "connect-standin")
            self.endpoint_url = f"http://127.0.0.1:{self._server.socket.getsockname()[1]}"
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and join the thread (idempotent)."""
        stop_serving(self._server, self._thread)
        self._server = self._thread = None

    def __enter__(self) -> ConnectStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # control --------------------------------------------------------------------

    def put_contact(
        self,
        contact_id: str,
        attributes: dict[str, str] | None = None,
        initial_contact_id: str | None = None,
        channel: str = "CHAT",
        *,
        previous_contact_id: str | None = None,
        initiation_method: str = "API",
        queue_id: str | None = None,
        agent_id: str | None = None,
        disconnected: bool = False,
        subtype: str = "connect:Chat",
        customer_endpoint: dict[str, str] | None = None,
    ) -> ContactRecord:
        """Add or replace a contact.

        Parameters
        ----------
        contact_id : str
            The contact id.
        attributes : dict of str to str, optional
            Contact attributes (copied).
        initial_contact_id : str, optional
            Defaults to ``contact_id``.
        channel : str, optional
            ``CHAT`` by default.
        previous_contact_id, initiation_method, queue_id, agent_id : optional
            See :class:`ContactRecord`.
        disconnected : bool, optional
            Set ``DisconnectTimestamp`` to now.
        subtype, customer_endpoint : optional
            The channel subtype (web chat by default) and ``CustomerEndpoint`` (copied) DescribeContact
            answers.

        Returns
        -------
        ContactRecord
            The stored record.

        Raises
        ------
        ValueError
            If an attribute value is not a string (Connect attributes are a string map).
        """
        now = time.time()
        attrs = dict(attributes or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()):
            raise ValueError("contact attributes are a map of strings")
        record = ContactRecord(
            contact_id=contact_id,
            initial_contact_id=initial_contact_id or contact_id,
            previous_contact_id=previous_contact_id,
            channel=channel,
            initiation_method=initiation_method,
            attributes=attrs,
            queue_id=queue_id,
            agent_id=agent_id,
            initiation_timestamp=now,
            disconnect_timestamp=now if disconnected else None,
            subtype=subtype,
            customer_endpoint=dict(customer_endpoint) if customer_endpoint else None,
        )
        with self._lock:
            self._contacts[contact_id] = record
        return record

    def contact(self, contact_id: str) -> ContactRecord:
        """Return a copy of a stored contact.

        Raises
        ------
        KeyError
            Unknown contact.
        """
        with self._lock:
            return copy.deepcopy(self._contacts[contact_id])

    def set_storage_config(self, resource_type: str, bucket_name: str, bucket_prefix: str) -> None:
        """Set the S3 storage config ``ListInstanceStorageConfigs`` returns for ``resource_type``.

        Parameters
        ----------
        resource_type : str
            E.g. ``CHAT_TRANSCRIPTS``.
        bucket_name, bucket_prefix : str
            ``S3Config.BucketName`` / ``BucketPrefix``.
        """
        with self._lock:
            self._storage[resource_type] = [
                {
                    "AssociationId": uuid.uuid4().hex,
                    "StorageType": "S3",
                    "S3Config": {"BucketName": bucket_name, "BucketPrefix": bucket_prefix},
                }
            ]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the request log."""
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        """Forget contacts and the request log (storage configs are kept)."""
        with self._lock:
            self._contacts.clear()
            self._log.clear()

    # HTTP -----------------------------------------------------------------------

    def _instance_ok(self, raw: str) -> bool:
        value = unquote(raw)
        return value in (self.instance_id, self.instance_arn)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        # Split the raw path before decoding: an instance ARN arrives as one %2F-encoded segment.
        raw_path = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.path).split("?", 1)[0]
        parts = [unquote(p) for p in raw_path.strip("/").split("/")]
        body = request.get_json(silent=True, force=True) if request.method == "POST" else None
        operation, response = self._route(request.method, parts, request.args, body)
        with self._lock:
            self._log.append(
                {
                    "operation": operation,
                    "method": request.method,
                    "path": request.path,
                    "query": dict(request.args.items()),
                    "body": body,
                    "status": response.status_code,
                }
            )
        return response(environ, start_response)

    def _route(self, method: str, parts: list[str], args: Any, body: Any) -> tuple[str, Response]:
        if method == "GET" and len(parts) == 4 and parts[:2] == ["contact", "attributes"]:
            return "GetContactAttributes", self._get_attributes(parts[2], parts[3])
        if method == "POST" and parts == ["contact", "attributes"]:
            return "UpdateContactAttributes", self._update_attributes(body)
        if method == "GET" and len(parts) == 3 and parts[0] == "contacts":
            return "DescribeContact", self._describe(parts[1], parts[2])
        if method == "GET" and len(parts) == 3 and parts[0] == "instance" and parts[2] == "storage-configs":
            return "ListInstanceStorageConfigs", self._storage_configs(parts[1], args.get("resourceType"))
        found = self._route_configuration(method, parts, args)
        if found is not None:
            return found
        return "Unknown", _error(404, "UnknownOperationException", "operation not supported by the stand-in")

    def _find(self, instance: str, contact_id: str) -> ContactRecord | Response:
        if not self._instance_ok(instance):
            return _error(404, "ResourceNotFoundException", "Instance not found")
        with self._lock:
            record = self._contacts.get(contact_id)
        if record is None:
            return _error(404, "ResourceNotFoundException", "Contact not found")
        return record

    def _get_attributes(self, instance: str, contact_id: str) -> Response:
        found = self._find(instance, contact_id)
        if isinstance(found, Response):
            return found
        with self._lock:
            return _ok({"Attributes": dict(found.attributes)})

    def _update_attributes(self, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("Attributes"), dict):
            return _error(400, "InvalidParameterException", "Attributes is required")
        found = self._find(str(body.get("InstanceId", "")), str(body.get("InitialContactId", "")))
        if isinstance(found, Response):
            return found
        with self._lock:
            found.attributes.update({str(k): str(v) for k, v in body["Attributes"].items()})
        return _ok({})

    def _describe(self, instance: str, contact_id: str) -> Response:
        found = self._find(instance, contact_id)
        if isinstance(found, Response):
            return found
        contact: dict[str, Any] = {
            "Arn": f"{self.instance_arn}/contact/{found.contact_id}",
            "Id": found.contact_id,
            "InitialContactId": found.initial_contact_id,
            "Channel": found.channel,
            "InitiationMethod": found.initiation_method,
            "InitiationTimestamp": found.initiation_timestamp,
            "LastUpdateTimestamp": found.disconnect_timestamp or found.initiation_timestamp,
            "SegmentAttributes": {"connect:Subtype": {"ValueString": found.subtype}},
        }
        if found.customer_endpoint:
            contact["CustomerEndpoint"] = dict(found.customer_endpoint)
        if found.previous_contact_id:
            contact["PreviousContactId"] = found.previous_contact_id
        if found.disconnect_timestamp:
            contact["DisconnectTimestamp"] = found.disconnect_timestamp
        if found.queue_id:
            contact["QueueInfo"] = {"Id": found.queue_id, "EnqueueTimestamp": found.initiation_timestamp}
        if found.agent_id:
            contact["AgentInfo"] = {"Id": found.agent_id}
        return _ok({"Contact": contact})

    def _storage_configs(self, instance: str, resource_type: str | None) -> Response:
        if not self._instance_ok(instance):
            return _error(404, "ResourceNotFoundException", "Instance not found")
        if not resource_type:
            return _error(400, "InvalidParameterException", "resourceType is required")
        with self._lock:
            configs = copy.deepcopy(self._storage.get(resource_type, []))
        return _ok({"StorageConfigs": configs})


def _ok(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=200, mimetype="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        json.dumps({"Message": message, "message": message}),
        status=status,
        mimetype="application/json",
        headers={"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazonaws.connect/"},
    )


__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_REGION",
    "DUMMY_ACCESS_KEY_ID",
    "DUMMY_SECRET_ACCESS_KEY",
    "ConnectStandin",
    "ContactRecord",
    "FlowRecord",
    "MotoStandin",
]

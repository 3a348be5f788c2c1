"""A fault-injecting HTTP proxy in front of a local AWS stand-in (moto, the Connect stand-in).

The Salesforce emulator has its own fault injection; this gives the AWS side the same vocabulary (the
emulator's :class:`~localdev.salesforce_emulator.Fault` and :class:`~localdev.salesforce_emulator.state.FaultInjector`)
so one fault matrix can drive every dependency. Point a client at :attr:`FaultProxy.endpoint_url` (e.g. with
``AWS_ENDPOINT_URL_SECRETS_MANAGER``); requests are forwarded to the upstream unchanged (signatures included:
the stand-ins do not check them), unless a fault says otherwise::

    with FaultProxy.start(moto_url) as proxy:
        proxy.fail_next("/", 500, body={"__type": "InternalServiceError", "message": "boom"},
                        content_type="application/x-amz-json-1.1")
        proxy.late_commit("/")          # forward (the work is done), then close without an answer

Plain HTTP on 127.0.0.1, an ephemeral port by default. Never logs bodies.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from localdev._serving import serve_in_thread, stop_serving
from localdev.salesforce_emulator.emulator import drop_connection, fault_response, trickled
from localdev.salesforce_emulator.state import Fault, FaultControls, FaultInjector

logger = logging.getLogger(__name__)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class _QuietHandler(WSGIRequestHandler):
    """Logs request lines at DEBUG only (werkzeug's writes each to stderr)."""

    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), message % args)


@dataclass
class ProxiedRequest:
    """One request the proxy saw: ``method``, ``path``, the ``status`` the client got (None: no answer) and the
    ``fault`` that acted on it."""

    method: str
    path: str
    status: int | None = None
    fault: str | None = None
    time: float = 0.0


class FaultProxy(FaultControls):
    """Forwards to ``upstream`` (``http://127.0.0.1:<port>``) and injects faults (see the module docstring).

    The control methods take the same arguments as the Salesforce emulator's: :meth:`fail_next`,
    :meth:`drop_next`, :meth:`delay` and :meth:`clear_faults` are the emulator's own (:class:`FaultControls`),
    :meth:`trickle` and :meth:`late_commit` forward first.
    """

    def __init__(self, upstream: str, *, port: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self._port = port
        self._faults = FaultInjector()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        self._session.trust_env = False
        self._lock = threading.Lock()
        self._log: list[ProxiedRequest] = []
        self.endpoint_url = ""

    @classmethod
    def start(cls, upstream: str, **kwargs: Any) -> FaultProxy:
        """Create a proxy for ``upstream`` and serve it in a daemon thread."""
        proxy = cls(upstream, **kwargs)
        proxy._server = make_server(
            "127.0.0.1", proxy._port, proxy._wsgi, threaded=True, request_handler=_QuietHandler
        )
        proxy.endpoint_url = f"http://127.0.0.1:{proxy._server.socket.getsockname()[1]}"
        proxy._thread = serve_in_thread(proxy._server, "fault-proxy")
        return proxy

    def stop(self) -> None:
        """Stop serving (wakes held connections). Idempotent."""
        self._stopping.set()
        stop_serving(self._server, self._thread)
        self._server = self._thread = None
        self._session.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ faults (the emulator's vocabulary)

    def trickle(self, path: str, bytes_per_s: float = 8.0, times: int | None = 1, **kwargs: Any) -> None:
        """Forward, then send the upstream's answer ``bytes_per_s`` at a time."""
        self._faults.add(Fault("trickle", path, times, bytes_per_s=bytes_per_s, **kwargs))

    def late_commit(self, path: str, then: str = "drop", times: int | None = 1, **kwargs: Any) -> None:
        """Forward (the upstream does the work), then drop / hold / fail the answer (as the emulator's)."""
        kwargs.setdefault("method", None)
        self._faults.add(Fault("commit", path, times, then=then, **kwargs))  # type: ignore[arg-type]

    @property
    def requests(self) -> list[ProxiedRequest]:
        """What the proxy saw, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        """Forget faults and the request log."""
        self._faults.clear()
        with self._lock:
            self._log.clear()

    # ------------------------------------------------------------------ WSGI

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        record = ProxiedRequest(request.method, request.path, time=time.time())
        with self._lock:
            self._log.append(record)
        body = request.get_data()
        delay, fault = self._faults.take(request.path, request.method)
        if delay:
            record.fault = "delay"
            if self._stopping.wait(delay):
                drop_connection(environ)
        if fault is not None and fault.kind == "drop":
            record.fault = "drop"
            drop_connection(environ)
        if fault is not None and fault.kind == "fail":
            record.fault = "fail"
            response = fault_response(fault)
        else:
            response = self._forward(request, body)
        if fault is not None and fault.kind == "commit":
            record.fault = "late-commit"
            if fault.then == "fail":
                response = fault_response(fault)
            else:
                if fault.then == "hang":
                    self._stopping.wait(fault.seconds)
                drop_connection(environ)
        if fault is not None and fault.kind == "trickle":
            record.fault = "trickle"
            response = trickled(response, fault.bytes_per_s, self._stopping)
        record.status = response.status_code
        return response(environ, start_response)

    def _forward(self, request: Request, body: bytes) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        url = f"{self.upstream}{request.full_path if request.query_string else request.path}"
        upstream = self._session.request(request.method, url, headers=headers, data=body, timeout=30)
        answer = Response(upstream.content, status=upstream.status_code)
        for name, value in upstream.headers.items():
            if name.lower() not in _HOP_BY_HOP:
                answer.headers[name] = value
        return answer


__all__ = ["FaultProxy", "ProxiedRequest"]

"""Background-thread serving shared by the local stand-ins (werkzeug servers on 127.0.0.1).

:class:`KeepAliveRequestHandler` gives a threaded werkzeug server HTTP/1.1 persistent connections, as real
Salesforce has: werkzeug's own handler answers ``Connection: close`` to every request (its ``run_wsgi`` cannot
drain a request body without reading into the next request), so a client there pays a TCP and TLS handshake
per request that production never imposes.
"""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, DechunkedInput, WSGIRequestHandler

_CONNECTIONS_LOCK = threading.Lock()
#: Errors that mean the client (or a fault injector) closed the connection.
_DROPPED = (ConnectionError, TimeoutError, OSError)


class KeepAliveRequestHandler(WSGIRequestHandler):
    """A WSGI request handler that keeps HTTP/1.1 connections open between requests.

    Per request: the whole request body is read first (``Content-Length`` or chunked), so whatever the
    application reads, the next request line is where the stream is; the answer carries the application's
    ``Content-Length`` (werkzeug ``Response`` objects with a body set it), else it is sent chunked; it is
    streamed chunk by chunk as the application yields it (a slow, trickling answer stays slow). The connection
    is closed when the client asks (``Connection: close``, HTTP/1.0), when the application sends
    ``Connection: close``, when it fails after the headers went out, or after :attr:`timeout` seconds idle.

    Use with a threaded server (``make_server(..., threaded=True, request_handler=...)``): each open connection
    holds one thread. :func:`stop_serving` closes the open connections.
    """

    protocol_version = "HTTP/1.1"
    #: Seconds a connection may wait for its next request (or a read may stall) before it is closed.
    timeout = 60.0

    def setup(self) -> None:
        super().setup()
        self._handshake_failed = False
        if isinstance(self.connection, ssl.SSLSocket):  # accepted without a handshake: do it in this thread
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, *_DROPPED):
                self._handshake_failed = True
        # Answers go out at once (as from a production server): without this, Nagle's algorithm holds a small
        # write until the client's delayed ACK of the previous one, ~40 ms per request on loopback.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with _CONNECTIONS_LOCK:
            _open_connections(self.server).add(self.connection)
            self.server.connections_accepted = connections_accepted(self.server) + 1  # type: ignore[attr-defined]

    def handle(self) -> None:
        if not self._handshake_failed:
            super().handle()

    def finish(self) -> None:
        with _CONNECTIONS_LOCK:
            _open_connections(self.server).discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return DechunkedInput(self.rfile).read()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def run_wsgi(self) -> None:
        """Serve one request on the persistent connection (see the class docstring)."""
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            body = self._read_body()
        except (ValueError, *_DROPPED):
            self.close_connection = True
            return
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)

        started: list[Any] = []  # [status, headers] once start_response was called
        sent = {"headers": False, "chunked": False}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info and sent["headers"]:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return write

        def send_headers() -> None:
            status, headers = started
            code_text, _, reason = status.partition(" ")
            code = int(code_text)
            self.send_response(code, reason)
            names = set()
            for name, value in headers:
                if name.lower() in ("transfer-encoding", "keep-alive"):
                    continue
                self.send_header(name, value)
                names.add(name.lower())
            bodiless = self.command == "HEAD" or code < 200 or code in (204, 304)
            if "content-length" not in names and not bodiless:
                sent["chunked"] = True
                self.send_header("Transfer-Encoding", "chunked")
            if self.close_connection and "connection" not in names:
                self.send_header("Connection", "close")
            self._headers_buffer.append(b"\r\n")  # sent with the first piece of the body, in one write
            sent["headers"] = True

        def write(data: bytes) -> None:
            head = b""
            if not sent["headers"]:
                send_headers()
                head, self._headers_buffer = b"".join(self._headers_buffer), []
            if data and sent["chunked"]:
                data = b"%x\r\n%s\r\n" % (len(data), data)
            if head or data:
                self.wfile.write(head + data)
            self.wfile.flush()

        try:
            chunks = self.server.app(environ, start_response)
            try:
                for chunk in chunks:
                    write(chunk)
                if not sent["headers"]:
                    write(b"")
                if sent["chunked"]:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
        except _DROPPED:
            self.close_connection = True
        except Exception as exc:  # the application failed: answer 500 if still possible, and close
            self.close_connection = True
            self.log_error("application error on %s %s: %r", self.command, self.path, exc)
            if not sent["headers"]:
                with contextlib.suppress(*_DROPPED):
                    started[:] = ["500 Internal Server Error", [("Content-Length", "0")]]
                    write(b"")


def _open_connections(server: BaseWSGIServer) -> set[socket.socket]:
    connections = getattr(server, "_keepalive_connections", None)
    if connections is None:
        connections = server._keepalive_connections = set()  # type: ignore[attr-defined]
    return connections


def connections_accepted(server: BaseWSGIServer | None) -> int:
    """How many connections a server using :class:`KeepAliveRequestHandler` has accepted so far."""
    return getattr(server, "connections_accepted", 0)


def serve_in_thread(server: BaseWSGIServer, name: str) -> threading.Thread:
    """Run ``server.serve_forever`` in a started daemon thread named ``name`` (polls every 50 ms)."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    return thread


def stop_serving(server: BaseWSGIServer | None, thread: threading.Thread | None) -> None:
    """Stop ``server`` (if any), close its socket and its open keep-alive connections, and join ``thread``
    (at most 5 s)."""
    if server is not None:
        server.shutdown()
        server.server_close()
        with _CONNECTIONS_LOCK:
            connections = list(_open_connections(server))
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
    if thread is not None:
        thread.join(timeout=5)

"""Background-thread serving shared by the local stand-ins (werkzeug servers on 127.0.0.1)."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer


def serve_in_thread(server: BaseWSGIServer, name: str) -> threading.Thread:
    """Run ``server.serve_forever`` in a started daemon thread named ``name`` (polls every 50 ms)."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    return thread


def stop_serving(server: BaseWSGIServer | None, thread: threading.Thread | None) -> None:
    """Stop ``server`` (if any), close its socket and join ``thread`` (at most 5 s)."""
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(timeout=5)

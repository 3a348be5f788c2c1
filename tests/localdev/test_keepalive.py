"""The emulator keeps HTTP/1.1 connections alive, as Salesforce does (one TLS handshake per client connection)."""

from __future__ import annotations

import http.client
import json
import ssl

import pytest
import requests

from localdev.standins import Standins

pytestmark = pytest.mark.standins


def _connection(standins: Standins) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=standins.salesforce.ca_file)
    return http.client.HTTPSConnection("127.0.0.1", standins.salesforce.port, context=context, timeout=5)


def _answer(conn: http.client.HTTPSConnection) -> tuple[int, dict[str, str], bytes]:
    response = conn.getresponse()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_requests_share_one_connection_and_every_answer_has_a_length(standins: Standins) -> None:
    conn = _connection(standins)
    try:
        answers = []
        calls = [("POST", "/services/oauth2/token", b"grant_type=x"), ("GET", "/no/such/path", None)]
        calls.append(("GET", "/services/data/v62.0/query?q=x", None))
        for method, path, body in calls:
            conn.request(method, path, body=body)
            sock = conn.sock
            answers.append(_answer(conn))
            assert conn.sock is sock, f"the server closed the connection after {path}"
    finally:
        conn.close()
    assert [status for status, _, _ in answers] == [400, 404, 401]
    for _, headers, body in answers:
        assert headers["content-length"] == str(len(body))
        assert "close" not in headers.get("connection", "")


def test_an_unread_body_does_not_leak_into_the_next_request(standins: Standins) -> None:
    conn = _connection(standins)
    try:
        conn.request("POST", "/no/such/path", body=b"x" * 50_000, headers={"Content-Type": "text/plain"})
        assert _answer(conn)[0] == 404
        # chunked request body, then another request on the same connection
        conn.putrequest("POST", "/services/oauth2/token")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.endheaders()
        conn.send(b"5\r\ngrant\r\n6\r\n_type=\r\n1\r\nx\r\n0\r\n\r\n")
        status, _, body = _answer(conn)
        assert status == 400
        assert json.loads(body)["error"]
        sock = conn.sock
        conn.request("GET", "/no/such/path")
        assert _answer(conn)[0] == 404
        assert conn.sock is sock
    finally:
        conn.close()


def test_connection_close_from_the_client_is_honoured(standins: Standins) -> None:
    conn = _connection(standins)
    try:
        conn.request("GET", "/no/such/path", headers={"Connection": "close"})
        status, headers, _ = _answer(conn)
    finally:
        conn.close()
    assert status == 404
    assert headers["connection"] == "close"


def test_a_requests_session_opens_one_connection_for_many_calls(standins: Standins, http: requests.Session) -> None:
    before = standins.salesforce.connections_accepted
    for _ in range(5):
        assert http.get(f"{standins.salesforce.base_url}/no/such/path", timeout=5).status_code == 404
    assert standins.salesforce.connections_accepted - before == 1


def test_a_dropped_connection_is_closed_and_the_next_call_reconnects(
    standins: Standins, http: requests.Session
) -> None:
    before = standins.salesforce.connections_accepted
    url = f"{standins.salesforce.base_url}/no/such/path"
    assert http.get(url, timeout=5).status_code == 404
    standins.salesforce.drop_next("/no/such/path")
    with pytest.raises(requests.ConnectionError):
        http.get(url, timeout=5)
    assert http.get(url, timeout=5).status_code == 404
    assert standins.salesforce.connections_accepted - before == 2


def test_answers_are_not_held_back_by_nagle(standins: Standins) -> None:
    """The status line and headers, then the body, are two writes; without TCP_NODELAY the second waits for the
    client's delayed ACK (about 40 ms on Linux) on every kept-alive request."""
    import socket

    from localdev._serving import _open_connections

    conn = _connection(standins)
    try:
        conn.request("GET", "/no/such/path")
        _answer(conn)
        sockets = list(_open_connections(standins.salesforce._server))
        assert sockets
        assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets)
    finally:
        conn.close()

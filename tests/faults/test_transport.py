"""Transport: retries by idempotency, Retry-After, the timeouts handed to each attempt, the whole-answer deadline.

Salesforce is `responses` except where a real socket is the point (a trickling answer); there the server's whole
answer would take 20 times the budget, so the deadline's error is the proof, never a measured duration.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import responses
import urllib3

from connect_omni.budget import MIN_ATTEMPT_S, Budget
from connect_omni.errors import BudgetExhaustedError, SalesforceUnavailableError
from connect_omni.salesforce.transport import Attempt, Transport, new_session

URL = "https://example.my.salesforce-scrt.com/api/v1/route"


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.attempts: list[Attempt] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def transport(rec: Recorder) -> Transport:
    return Transport(
        new_session(), connect_timeout_s=2.0, max_attempts=3, sleep=rec.sleep, on_attempt=rec.attempts.append
    )


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def send(transport: Transport, *, idempotent: bool, seconds: float = 5.0, **kwargs) -> requests.Response:
    return transport.send(
        "POST /api/v1/route", "POST", URL, Budget.of_seconds(seconds), idempotent=idempotent, expect_json=True, **kwargs
    )


def refused() -> requests.exceptions.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, URL, reason))


def dropped() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    )


@pytest.mark.parametrize(
    ("first", "resent_when_idempotent", "resent_otherwise"),
    [
        ({"status": 503, "json": {"code": 500}}, True, False),
        ({"status": 500, "body": "<html><title>Oops</title></html>", "content_type": "text/html"}, True, False),
        ({"body": dropped()}, True, False),
        ({"status": 202, "body": "<html>captive portal</html>", "content_type": "text/html"}, True, False),
        ({"status": 202, "body": ""}, True, False),
        ({"body": refused()}, True, True),  # nothing was sent
        ({"status": 429, "json": {"code": 429}}, True, True),  # refused before it was handled
    ],
    ids=["503", "500-html", "dropped", "2xx-html", "2xx-empty", "refused", "429"],
)
@pytest.mark.parametrize("idempotent", [True, False])
def test_resent_only_when_safe(rsps, transport, rec, first, resent_when_idempotent, resent_otherwise, idempotent):
    rsps.add(responses.POST, URL, **first)
    rsps.add(responses.POST, URL, status=202, json={"success": True})
    resent = resent_when_idempotent if idempotent else resent_otherwise
    if resent:
        assert send(transport, idempotent=idempotent).json() == {"success": True}
        assert len(rsps.calls) == 2
        assert len(rec.sleeps) == 1
    else:
        with pytest.raises(SalesforceUnavailableError) as caught:
            send(transport, idempotent=idempotent)
        assert caught.value.outcome_unknown is True
        assert "not sent again: the request may have been carried out" in str(caught.value)
        assert len(rsps.calls) == 1
        assert rec.sleeps == []


def test_html_error_page_is_named_by_its_title(rsps, transport):
    page = "<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>"
    rsps.add(responses.POST, URL, status=503, body=page, content_type="text/html")
    with pytest.raises(SalesforceUnavailableError) as caught:
        send(transport, idempotent=False)
    assert caught.value.status == 503
    assert "HTML page: 503 Service Temporarily Unavailable" in str(caught.value)
    assert "nginx" not in str(caught.value)


def test_retry_after_is_the_wait_when_it_fits(rsps, transport, rec):
    rsps.add(responses.POST, URL, status=429, headers={"Retry-After": "2"}, json={"code": 429})
    rsps.add(responses.POST, URL, status=202, json={"success": True})
    assert send(transport, idempotent=False, seconds=5).status_code == 202
    assert rec.sleeps == [2.0]


def test_retry_after_http_date(rsps, transport, rec):
    from email.utils import formatdate

    rsps.add(responses.POST, URL, status=503, headers={"Retry-After": formatdate(time.time() + 2, usegmt=True)})
    rsps.add(responses.POST, URL, status=202, json={"success": True})
    assert send(transport, idempotent=True, seconds=6).status_code == 202
    assert len(rec.sleeps) == 1 and 0.5 < rec.sleeps[0] <= 2.0


def test_retry_after_beyond_the_budget_fails_at_once(rsps, transport, rec):
    rsps.add(responses.POST, URL, status=429, headers={"Retry-After": "30"}, json={"code": 429, "message": "slow"})
    with pytest.raises(SalesforceUnavailableError) as caught:
        send(transport, idempotent=True, seconds=5)
    assert rec.sleeps == []
    assert len(rsps.calls) == 1
    message = str(caught.value)
    assert "Salesforce asked to retry after 30 s" in message and "ms left of the invocation's budget" in message
    assert caught.value.status == 429 and caught.value.outcome_unknown is False


def test_each_attempt_gets_the_rest_of_the_budget(rsps, transport, rec):
    rsps.add(responses.POST, URL, status=503)
    rsps.add(responses.POST, URL, status=503)
    rsps.add(responses.POST, URL, status=503)
    budget = Budget.of_seconds(4.0)
    with pytest.raises(SalesforceUnavailableError):
        transport.send("op", "POST", URL, budget, idempotent=True)
    assert len(rec.attempts) == 3 == len(rsps.calls)
    assert [a.connect_s for a in rec.attempts] == [2.0, 2.0, 2.0]
    assert all(0 < a.total_s <= 4.0 for a in rec.attempts)
    assert [a.total_s for a in rec.attempts] == sorted((a.total_s for a in rec.attempts), reverse=True)
    assert len(rec.sleeps) == 2 and all(0 <= s <= 1.0 for s in rec.sleeps)


def test_connect_timeout_is_capped_by_what_is_left(rsps, transport, rec):
    rsps.add(responses.POST, URL, status=202, json={})
    transport.send("op", "POST", URL, Budget.of_seconds(0.9), idempotent=True)
    (attempt,) = rec.attempts
    assert attempt.connect_s == pytest.approx(attempt.total_s) and attempt.total_s <= 0.9


def test_no_attempt_without_budget(rsps, transport):
    with pytest.raises(BudgetExhaustedError, match="op not attempted"):
        transport.send("op", "POST", URL, Budget.of_seconds(0.05), idempotent=True)
    assert len(rsps.calls) == 0


def test_read_timeout_is_an_unknown_outcome_not_retried(rsps, transport):
    rsps.add(responses.POST, URL, body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(SalesforceUnavailableError, match="no response within") as caught:
        send(transport, idempotent=False)
    assert caught.value.outcome_unknown is True
    assert len(rsps.calls) == 1


# ------------------------------------------------------------------- real sockets: trickling answers


class TrickleServer:
    """Plain HTTP on 127.0.0.1 (ephemeral port): answers every request with headers at once, then the body one
    byte every ``gap`` s, with ``Content-Length`` or chunked (the chunk-size lines trickle too)."""

    def __init__(self, chunked: bool, gap: float = 0.125) -> None:
        self.chunked = chunked
        self.gap = gap
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    BODY = b'{"success": true, "psrId": "0JR000000000001AAA"}' * 4

    def _answer(self, conn: socket.socket) -> None:
        body = self.BODY
        with conn:
            conn.recv(65536)
            framing = b"Transfer-Encoding: chunked" if self.chunked else b"Content-Length: %d" % len(body)
            conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n" + framing + b"\r\n\r\n")
            wire = b"".join(b"1\r\n" + body[i : i + 1] + b"\r\n" for i in range(len(body))) if self.chunked else body
            for i in range(len(wire)):
                if self.stop.wait(self.gap):
                    return
                try:
                    conn.sendall(wire[i : i + 1])
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_trickling_answer_ends_at_the_deadline(transport, rec, chunked):
    server = TrickleServer(chunked)
    assert len(server.BODY) * server.gap >= 20 * 1.0  # the whole answer needs 20 budgets: only a deadline ends it
    try:
        budget = Budget.of_seconds(1.0)
        with pytest.raises(SalesforceUnavailableError, match="answer not complete within") as caught:
            transport.send("POST /api/v1/route", "POST", f"http://127.0.0.1:{server.port}/", budget, idempotent=False)
        assert caught.value.outcome_unknown is True
        (attempt,) = rec.attempts  # not sent again, and given at most the budget
        assert MIN_ATTEMPT_S <= attempt.total_s <= 1.0
        assert f"within {attempt.total_s:.2f} s" in str(caught.value)
    finally:
        server.close()

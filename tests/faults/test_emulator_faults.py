"""The emulator's fault machinery: late commits, trickling answers, HTML pages, DELETE /route, PSR counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from localdev.standins import Standins

END_USER = {"subject": "customer-1", "role": "EndUser", "appType": "custom"}


def _url(standins: Standins, path: str) -> str:
    return f"{standins.salesforce.base_url}/api/v1{path}"


def _conversation(standins: Standins, http: requests.Session, headers: Callable[[], dict[str, str]]) -> str:
    response = http.post(
        _url(standins, "/conversation"),
        json={"channelAddressIdentifier": standins.channel_address_identifier, "participants": [END_USER]},
        headers=headers(),
        timeout=5,
    )
    assert response.status_code == 202, response.text
    return response.json()["conversationIdentifier"]


def _route(http: requests.Session, standins: Standins, headers, cid: str, method: str = "POST") -> requests.Response:
    body = {"conversationIdentifier": cid} | ({"routingType": "Initial"} if method == "POST" else {})
    return http.request(method, _url(standins, "/route"), json=body, headers=headers(), timeout=5)


def test_late_commit_then_drop_makes_the_psr_but_never_answers(standins, http, sf_headers) -> None:
    cid = _conversation(standins, http, sf_headers)
    standins.salesforce.late_commit("/api/v1/route", then="drop")
    with pytest.raises(requests.ConnectionError):
        _route(http, standins, sf_headers, cid)
    assert standins.salesforce.psr_counts() == {cid: {"Initial": 1}}
    (record,) = standins.salesforce.requests_to("/api/v1/route")
    assert (record.status, record.fault) == (202, "late-commit")


def test_late_commit_then_gateway_page(standins, http, sf_headers) -> None:
    cid = _conversation(standins, http, sf_headers)
    standins.salesforce.late_commit("/api/v1/route", then="fail", status=504)
    response = _route(http, standins, sf_headers, cid)
    assert response.status_code == 504
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text
    assert standins.salesforce.psr_counts() == {cid: {"Initial": 1}}


def test_late_commit_then_hang_is_a_timeout_for_the_client(standins, http, sf_headers) -> None:
    cid = _conversation(standins, http, sf_headers)
    standins.salesforce.late_commit("/api/v1/route", then="hang", seconds=30)
    with pytest.raises(requests.Timeout):
        http.post(
            _url(standins, "/route"),
            json={"conversationIdentifier": cid, "routingType": "Initial"},
            headers=sf_headers(),
            timeout=0.5,
        )
    assert standins.salesforce.psr_counts() == {cid: {"Initial": 1}}


def test_trickle_sends_the_real_answer_in_many_pieces(standins, http, sf_headers) -> None:
    standins.salesforce.trickle("/api/v1/conversation", bytes_per_s=160)
    response = http.post(
        _url(standins, "/conversation"),
        json={"channelAddressIdentifier": standins.channel_address_identifier, "participants": [END_USER]},
        headers=sf_headers(),
        timeout=5,
        stream=True,
    )
    pieces = []
    while chunk := response.raw.read1(4096):
        pieces.append(chunk)
    body = b"".join(pieces)
    assert int(response.headers["Content-Length"]) == len(body)
    assert len(pieces) >= 3
    assert b"conversationIdentifier" in body
    assert standins.salesforce.requests_to("/api/v1/conversation")[0].fault == "trickle"


def test_fail_with_an_html_page_and_method_filter(standins, http, sf_headers) -> None:
    cid = _conversation(standins, http, sf_headers)
    standins.salesforce.fail_next(
        "/api/v1/route",
        503,
        body="<html><body>Service Unavailable</body></html>",
        content_type="text/html",
        method="DELETE",
        headers={"Retry-After": "2"},
    )
    assert _route(http, standins, sf_headers, cid).status_code == 202  # POST is not affected
    response = _route(http, standins, sf_headers, cid, method="DELETE")
    assert (response.status_code, response.headers["Retry-After"]) == (503, "2")
    assert response.headers["Content-Type"].startswith("text/html")


def test_delete_route_cancels_the_pending_psr_once(standins, http, sf_headers) -> None:
    cid = _conversation(standins, http, sf_headers)
    assert _route(http, standins, sf_headers, cid).status_code == 202
    assert _route(http, standins, sf_headers, cid).status_code == 202
    assert standins.salesforce.psr_counts() == {cid: {"Initial": 2}}  # a blind retry duplicates
    first = _route(http, standins, sf_headers, cid, method="DELETE")
    assert (first.status_code, first.json()) == (202, {"success": True})
    assert standins.salesforce.psr_counts() == {}
    again = _route(http, standins, sf_headers, cid, method="DELETE")
    assert (again.status_code, again.json()) == (202, {"success": False})


def test_delete_route_leaves_accepted_work_alone(standins, http, sf_headers) -> None:
    cid = _conversation(standins, http, sf_headers)
    psr = _route(http, standins, sf_headers, cid).json()["psrId"]
    assert standins.salesforce.accept_work(cid) == [psr]
    response = _route(http, standins, sf_headers, cid, method="DELETE")
    assert response.json() == {"success": False}
    assert standins.salesforce.psr_counts() == {cid: {"Initial": 1}}
    assert standins.salesforce.state["psrs"][0]["status"] == "Accepted"


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, 10100), ({"conversationIdentifier": " "}, 10018), ({"conversationIdentifier": "nope"}, 10018)],
)
def test_delete_route_validation(standins, http, sf_headers, body, code) -> None:
    response = http.delete(_url(standins, "/route"), json=body or None, headers=sf_headers(), timeout=5)
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_delete_route_bad_cancel_reason(standins, http, sf_headers) -> None:
    cid = _conversation(standins, http, sf_headers)
    body = {"conversationIdentifier": cid, "cancelReason": "Bored"}
    response = http.delete(_url(standins, "/route"), json=body, headers=sf_headers(), timeout=5)
    assert (response.status_code, response.json()["code"]) == (400, 10089)

"""The Salesforce emulator: token grant, Interaction Service endpoints, SOQL, fault injection, admin API."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from localdev.salesforce_emulator import EmulatorAdminClient, is_id, to_15
from localdev.standins import Standins

from .conftest import JWT_GRANT, make_assertion

pytestmark = pytest.mark.standins

Headers = Callable[..., dict[str, str]]


def _grant(standins: Standins, http: requests.Session, assertion: str) -> requests.Response:
    return http.post(
        f"{standins.salesforce.base_url}/services/oauth2/token",
        data={"grant_type": JWT_GRANT, "assertion": assertion},
        timeout=5,
    )


def _conversation(standins: Standins, http: requests.Session, headers: Headers, subject: str = "client-1") -> Any:
    return http.post(
        f"{standins.salesforce.base_url}/api/v1/conversation",
        json={
            "channelAddressIdentifier": standins.channel_address_identifier,
            "participants": [{"subject": subject, "role": "EndUser", "appType": "custom"}],
        },
        headers=headers(),
        timeout=5,
    )


def _route(standins: Standins, http: requests.Session, headers: Headers, body: dict[str, Any]) -> Any:
    return http.post(f"{standins.salesforce.base_url}/api/v1/route", json=body, headers=headers(), timeout=5)


def _entry(entry_id: str, sender: dict[str, str], timestamp: int, text: str = "hello") -> dict[str, Any]:
    return {
        "clientTimestamp": timestamp,
        "sender": sender,
        "entryPayload": {
            "entryType": "Message",
            "id": entry_id,
            "abstractMessage": {
                "messageType": "StaticContentMessage",
                "id": entry_id,
                "staticContent": {"formatType": "Text", "text": text},
            },
        },
    }


def _history_body(standins: Standins, entries: list[dict[str, Any]], now_ms: int) -> dict[str, Any]:
    return {
        "channelAddressIdentifier": standins.channel_address_identifier,
        "conversationParticipants": [
            {
                "participant": {"subject": "client-1", "role": "EndUser", "appType": "custom"},
                "joinedTime": now_ms - 60_000,
            },
            {
                "participant": {"subject": "lex-bot", "role": "Chatbot", "appType": "chatbot"},
                "joinedTime": now_ms - 60_000,
                "leftTime": now_ms,
            },
        ],
        "conversationEntries": entries,
    }


END_USER = {"subject": "client-1", "role": "EndUser", "appType": "custom"}
BOT = {"subject": "lex-bot", "role": "Chatbot", "appType": "chatbot"}


# ---------------------------------------------------------------- token grant


def test_token_grant_returns_salesforce_shape(standins: Standins, http: requests.Session) -> None:
    response = _grant(standins, http, make_assertion(standins))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "scope", "issued_at", "signature"}
    assert body["instance_url"] == standins.salesforce.base_url
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "interaction_api api"
    assert body["id"].startswith(f"{standins.salesforce.base_url}/id/{standins.salesforce.org_id}/005")
    assert standins.salesforce.state["tokens"] == 1
    logged = standins.salesforce.requests_to("/services/oauth2/token")[0]
    assert logged.body["assertion"] == "<redacted>" and logged.status == 200


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"aud": "https://login.salesforce.com"}, "invalid_grant", "audience is invalid"),
        ({"exp": int(time.time()) - 3600}, "invalid_grant", "expired authorization code"),
        ({"exp": int(time.time()) + 3600}, "invalid_grant", "invalid assertion: exp is too far in the future"),
        ({"sub": "someone.else@example.com"}, "invalid_grant", "user hasn't approved this consumer"),
        ({"iss": "unknown-consumer-key"}, "invalid_client_id", "client identifier invalid"),
        ({"exp": None}, "invalid_grant", "invalid assertion"),
    ],
)
def test_token_grant_rejects_bad_claims(
    standins: Standins, http: requests.Session, overrides: dict[str, Any], error: str, description: str
) -> None:
    response = _grant(standins, http, make_assertion(standins, **overrides))
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}
    assert standins.salesforce.state["tokens"] == 0


def test_token_audience_of_another_login_server(standins: Standins, http: requests.Session) -> None:
    standins.salesforce.set_token_audience("https://test.salesforce.com")
    try:
        refused = _grant(standins, http, make_assertion(standins))
        accepted = _grant(standins, http, make_assertion(standins, aud="https://test.salesforce.com"))
    finally:
        standins.salesforce.set_token_audience(None)
    assert refused.json() == {"error": "invalid_grant", "error_description": "audience is invalid"}
    assert accepted.status_code == 200
    assert _grant(standins, http, make_assertion(standins)).status_code == 200


def test_token_grant_rejects_bad_signature(standins: Standins, http: requests.Session) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    import jwt

    assertion = jwt.encode(
        {
            "iss": standins.consumer_key,
            "sub": standins.user_name,
            "aud": standins.salesforce.base_url,
            "exp": int(time.time()) + 60,
        },
        pem,
        algorithm="RS256",
    )
    response = _grant(standins, http, assertion)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


def test_token_grant_rejects_other_grant_types(standins: Standins, http: requests.Session) -> None:
    response = http.post(
        f"{standins.salesforce.base_url}/services/oauth2/token",
        data={"grant_type": "password", "username": "u", "password": "p"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# ---------------------------------------------------------------- /conversation and /interactions


def test_conversation_creates_then_reuses(standins: Standins, http: requests.Session, headers: Headers) -> None:
    first = _conversation(standins, http, headers)
    second = _conversation(standins, http, headers)
    other = _conversation(standins, http, headers, subject="client-2")
    assert first.status_code == second.status_code == 202
    body = first.json()
    assert body["success"] is True
    assert uuid.UUID(body["conversationIdentifier"])
    assert is_id(body["messagingSessionId"], "0Mw") and len(body["messagingSessionId"]) == 18
    assert second.json() == body
    assert other.json()["conversationIdentifier"] != body["conversationIdentifier"]
    state = standins.salesforce.state
    assert len(state["conversations"]) == 2 and len(state["sessions"]) == 2
    logged = standins.salesforce.requests_to("/api/v1/conversation")[0]
    assert logged.headers["Authorization"] == "Bearer <redacted>"
    assert logged.headers["OrgId"] == standins.salesforce.org_id_15
    assert logged.body["participants"][0]["subject"] == "client-1"


def test_ended_session_is_replaced(standins: Standins, http: requests.Session, headers: Headers) -> None:
    body = _conversation(standins, http, headers).json()
    assert standins.salesforce.end_session(body["conversationIdentifier"]) == body["messagingSessionId"]
    again = _conversation(standins, http, headers).json()
    assert again["conversationIdentifier"] == body["conversationIdentifier"]
    assert again["messagingSessionId"] != body["messagingSessionId"]


def test_end_session_records_who_and_when_and_never_reopens(
    standins: Standins, http: requests.Session, headers: Headers
) -> None:
    sf = standins.salesforce
    body = _conversation(standins, http, headers).json()
    before = time.time()
    assert sf.end_session(body["conversationIdentifier"]) == body["messagingSessionId"]
    assert sf.end_session(body["conversationIdentifier"]) is None  # nothing active any more
    (session,) = sf.state["sessions"]
    assert (session["status"], session["endedBy"]) == ("Ended", "Agent")
    assert session["endedAt"] >= before
    with pytest.raises(ValueError, match="ParticipantRole"):
        sf.end_session(body["conversationIdentifier"], ended_by="Nobody")


@pytest.mark.parametrize(
    ("answer", "session"),
    [("new", "new"), ("omit", None), ("ended", "ended")],
)
def test_conversation_answer_after_the_session_ended(
    standins: Standins, http: requests.Session, headers: Headers, answer: str, session: str | None
) -> None:
    # Given a conversation whose only session an agent ended
    sf = standins.salesforce
    first = _conversation(standins, http, headers).json()
    sf.end_session(first["conversationIdentifier"])
    sf.set_ended_session_answer(answer)
    # When the end user's conversation is established again
    again = _conversation(standins, http, headers)
    # Then the same conversation, and the session of the chosen reading
    assert again.status_code == 202
    body = again.json()
    assert body["conversationIdentifier"] == first["conversationIdentifier"]
    sessions = {s["id"]: s["status"] for s in sf.state["sessions"]}
    if session is None:
        assert "messagingSessionId" not in body and len(sessions) == 1
    elif session == "ended":
        assert body["messagingSessionId"] == first["messagingSessionId"]
        assert sessions == {first["messagingSessionId"]: "Ended"}
    else:
        assert body["messagingSessionId"] != first["messagingSessionId"]
        assert sessions[body["messagingSessionId"]] == "Active"
    # a brand-new conversation always gets its first session, whatever the reading
    assert "messagingSessionId" in _conversation(standins, http, headers, subject="someone-new").json()


def test_set_ended_session_answer_checks_and_resets(standins: Standins) -> None:
    sf = standins.salesforce
    with pytest.raises(ValueError, match="new, omit, ended"):
        sf.set_ended_session_answer("maybe")
    assert sf.set_ended_session_answer("omit") == "omit"
    sf.reset()
    assert sf._ended_session_answer == "new"


def test_interactions_after_the_session_ended_open_a_new_one(
    standins: Standins, http: requests.Session, headers: Headers
) -> None:
    sf = standins.salesforce
    sf.set_ended_session_answer("ended")  # even when /conversation would answer the ended session
    first = _conversation(standins, http, headers).json()
    sf.end_session(first["conversationIdentifier"])
    response = http.post(
        f"{sf.base_url}/api/v1/interactions",
        files={"json": (None, json.dumps(_interaction_json(standins)), "application/json")},
        headers=headers(),
        timeout=5,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["conversationIdentifier"] == first["conversationIdentifier"]
    (new_session,) = body["workItemIds"]
    assert new_session != first["messagingSessionId"]
    statuses = {s["id"]: s["status"] for s in sf.state["sessions"]}
    assert statuses == {first["messagingSessionId"]: "Ended", new_session: "Active"}
    (conversation,) = sf.state["conversations"]
    assert conversation["messagingSessionIds"] == [first["messagingSessionId"], new_session]


def test_route_without_an_active_session_is_not_routed(
    standins: Standins, http: requests.Session, headers: Headers
) -> None:
    sf = standins.salesforce
    first = _conversation(standins, http, headers).json()
    sf.end_session(first["conversationIdentifier"])
    response = _route(
        standins, http, headers, {"conversationIdentifier": first["conversationIdentifier"], "routingType": "Initial"}
    )
    assert response.status_code == 202
    body = response.json()
    assert body["success"] is False and "no active messaging session" in body["reasonForNotRouting"]
    assert sf.state["psrs"] == [] and len(sf.state["sessions"]) == 1  # routing opens no session


@pytest.mark.parametrize(
    ("override", "code", "status"),
    [
        ({"OrgId": "18-char"}, 10016, 400),
        ({"OrgId": None}, 10016, 400),
        ({"RequestId": None}, 10016, 400),
        ({"RequestId": "not-a-uuid"}, 10016, 400),
        ({"AuthorizationContext": "Some_Other_Definition"}, 10005, 400),
        ({"Authorization": "Bearer nope"}, 10004, 401),
        ({"Authorization": None}, 10004, 401),
    ],
)
def test_conversation_header_errors(
    standins: Standins,
    http: requests.Session,
    headers: Headers,
    override: dict[str, str | None],
    code: int,
    status: int,
) -> None:
    if override.get("OrgId") == "18-char":
        override = {"OrgId": standins.salesforce.org_id}
    response = http.post(
        f"{standins.salesforce.base_url}/api/v1/conversation",
        json={
            "channelAddressIdentifier": standins.channel_address_identifier,
            "participants": [END_USER],
        },
        headers=headers(**override),
        timeout=5,
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert standins.salesforce.state["conversations"] == []


def test_authorization_context_of_another_channel_is_10001(
    standins: Standins, http: requests.Session, headers: Headers
) -> None:
    standins.salesforce.add_channel(str(uuid.uuid4()), "Other_Channel_Definition")
    response = http.post(
        f"{standins.salesforce.base_url}/api/v1/conversation",
        json={"channelAddressIdentifier": standins.channel_address_identifier, "participants": [END_USER]},
        headers=headers(AuthorizationContext="Other_Channel_Definition"),
        timeout=5,
    )
    assert (response.status_code, response.json()["code"]) == (400, 10001)


@pytest.mark.parametrize(
    ("body_update", "code"),
    [
        ({"channelAddressIdentifier": str(uuid.uuid4())}, 10017),
        ({"channelAddressIdentifier": ""}, 10052),
        ({"participants": []}, 10053),
        ({"participants": [END_USER, {**END_USER, "subject": "x"}]}, 10053),
        ({"participants": [{**END_USER, "role": "Chatbot"}]}, 10038),
        ({"participants": [{**END_USER, "appType": "iamessage"}]}, 10037),
        ({"participants": [{**END_USER, "subject": ""}]}, 10054),
    ],
)
def test_conversation_body_errors(
    standins: Standins, http: requests.Session, headers: Headers, body_update: dict[str, Any], code: int
) -> None:
    body = {"channelAddressIdentifier": standins.channel_address_identifier, "participants": [END_USER]}
    body.update(body_update)
    response = http.post(f"{standins.salesforce.base_url}/api/v1/conversation", json=body, headers=headers(), timeout=5)
    assert (response.status_code, response.json()["code"]) == (400, code)


def _interaction_json(standins: Standins, sender: str = "client-1") -> dict[str, Any]:
    entry_id = str(uuid.uuid4())
    return {
        "to": standins.channel_address_identifier,
        "from": sender,
        "interactions": [
            {
                "timestamp": int(time.time() * 1000),
                "interactionType": "EntryInteraction",
                "payload": {
                    "id": entry_id,
                    "entryType": "Message",
                    "abstractMessage": {
                        "messageType": "StaticContentMessage",
                        "id": entry_id,
                        "staticContent": {"formatType": "Text", "text": ""},
                    },
                },
            }
        ],
    }


def test_interactions_multipart_creates_session_shared_with_conversation(
    standins: Standins, http: requests.Session, headers: Headers
) -> None:
    data = _interaction_json(standins)
    response = http.post(
        f"{standins.salesforce.base_url}/api/v1/interactions",
        files={"json": (None, json.dumps(data), "application/json")},
        headers=headers(),
        timeout=5,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["success"] is True
    assert len(body["workItemIds"]) == 1 and is_id(body["workItemIds"][0], "0Mw")
    conversation = _conversation(standins, http, headers).json()
    assert conversation["conversationIdentifier"] == body["conversationIdentifier"]
    assert conversation["messagingSessionId"] == body["workItemIds"][0]
    logged = standins.salesforce.requests_to("/api/v1/interactions")[0]
    assert logged.body["from"] == "client-1"
    assert standins.salesforce.state["interactions"][body["conversationIdentifier"]][0]["interactionType"] == (
        "EntryInteraction"
    )


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: d.update(interactions=[]), 20003),
        (lambda d: d.update(interactions=[*d["interactions"], *d["interactions"]]), 10029),
        (lambda d: d.pop("from"), 10028),
        (lambda d: d.update(to=str(uuid.uuid4())), 10017),
        (lambda d: d["interactions"][0]["payload"]["abstractMessage"].update(messageType="Bogus"), 10047),
        (lambda d: d["interactions"][0]["payload"]["abstractMessage"].update(id=str(uuid.uuid4())), 10060),
        (lambda d: d["interactions"][0]["payload"].update(id=""), 10059),
        (lambda d: d["interactions"][0]["payload"]["abstractMessage"].pop("id"), 10059),
    ],
)
def test_interactions_errors(
    standins: Standins, http: requests.Session, headers: Headers, mutate: Callable[[dict], Any], code: int
) -> None:
    data = _interaction_json(standins)
    mutate(data)
    response = http.post(
        f"{standins.salesforce.base_url}/api/v1/interactions",
        files={"json": (None, json.dumps(data), "application/json")},
        headers=headers(),
        timeout=5,
    )
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert standins.salesforce.state["sessions"] == []  # a refused interaction opens nothing


# ---------------------------------------------------------------- /route


def test_route_default_lands_in_first_queue(standins: Standins, http: requests.Session, headers: Headers) -> None:
    conversation = _conversation(standins, http, headers).json()
    response = _route(
        standins,
        http,
        headers,
        {"conversationIdentifier": conversation["conversationIdentifier"], "routingType": "Initial"},
    )
    assert response.status_code == 202
    body = response.json()
    assert body["success"] is True
    assert is_id(body["psrId"], "0JR")
    assert body["workItemId"] == conversation["messagingSessionId"]
    assert uuid.UUID(body["routingCorrelationId"])
    assert body["contextParamMap"] == {"queueId": standins.queues[0].salesforce_queue_id}
    psr = standins.salesforce.state["psrs"][0]
    assert psr["id"] == body["psrId"] and psr["routingType"] == "Initial"


def test_route_outcomes(standins: Standins, http: requests.Session, headers: Headers) -> None:
    sf = standins.salesforce
    cid = _conversation(standins, http, headers).json()["conversationIdentifier"]
    body = {"conversationIdentifier": cid, "routingType": "Transfer"}

    sf.set_routing(standins.channel_address_identifier, user_id=standins.users[0].salesforce_user_id)
    assert _route(standins, http, headers, body).json()["contextParamMap"] == {
        "userId": standins.users[0].salesforce_user_id
    }
    sf.set_routing(standins.channel_address_identifier, external_queue_arn=standins.queues[1].connect_queue_arn)
    assert _route(standins, http, headers, body).json()["contextParamMap"] == {
        "externalQueueId": standins.queues[1].connect_queue_arn
    }
    sf.set_routing(standins.channel_address_identifier, not_routed_reason="No agents available")
    not_routed = _route(standins, http, headers, body)
    assert not_routed.status_code == 202
    assert not_routed.json()["success"] is False
    assert not_routed.json()["reasonForNotRouting"] == "No agents available"
    assert "psrId" not in not_routed.json()
    assert len(sf.state["psrs"]) == 2


def test_route_overrides(standins: Standins, http: requests.Session, headers: Headers) -> None:
    cid = _conversation(standins, http, headers).json()["conversationIdentifier"]
    second_15 = to_15(standins.queues[1].salesforce_queue_id)
    by_queue = _route(
        standins,
        http,
        headers,
        {"conversationIdentifier": cid, "routingType": "Initial", "routingInfo": {"queueId": second_15}},
    ).json()
    assert by_queue["contextParamMap"] == {"queueId": standins.queues[1].salesforce_queue_id}
    flow_body = {
        "conversationIdentifier": cid,
        "routingType": "Initial",
        "routingInfo": {
            "flow": {"flowId": "300000000000001", "queueId": standins.queues[1].salesforce_queue_id},
            "routingAttributes": {"language": "en"},
        },
    }
    assert _route(standins, http, headers, flow_body).json()["contextParamMap"] == {
        "queueId": standins.queues[1].salesforce_queue_id
    }
    standins.salesforce.set_flow_routing("300000000000001", user_id=standins.users[0].salesforce_user_id)
    assert _route(standins, http, headers, flow_body).json()["contextParamMap"] == {
        "userId": standins.users[0].salesforce_user_id
    }


@pytest.mark.parametrize(
    ("routing_info", "routing_type", "code"),
    [
        ({"flow": {"flowId": "300000000000001"}}, "Initial", 10024),
        ({"queueId": "QUEUE", "flow": {"flowId": "300000000000001", "queueId": "QUEUE"}}, "Initial", 10030),
        ({"queueId": "not-a-queue"}, "Initial", 10032),
        (None, "Sideways", 10089),
    ],
)
def test_route_errors(
    standins: Standins,
    http: requests.Session,
    headers: Headers,
    routing_info: dict[str, Any] | None,
    routing_type: str,
    code: int,
) -> None:
    cid = _conversation(standins, http, headers).json()["conversationIdentifier"]
    text = json.dumps(routing_info).replace("QUEUE", standins.queues[0].salesforce_queue_id)
    body: dict[str, Any] = {"conversationIdentifier": cid, "routingType": routing_type}
    if routing_info is not None:
        body["routingInfo"] = json.loads(text)
    response = _route(standins, http, headers, body)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert standins.salesforce.state["psrs"] == []


def test_route_unknown_conversation(standins: Standins, http: requests.Session, headers: Headers) -> None:
    response = _route(standins, http, headers, {"conversationIdentifier": str(uuid.uuid4()), "routingType": "Initial"})
    assert (response.status_code, response.json()["code"]) == (400, 10018)


# ---------------------------------------------------------------- /conversationHistory


def _post_history(standins: Standins, http: requests.Session, headers: Headers, body: Any, **header_overrides: Any):
    return http.post(
        f"{standins.salesforce.base_url}/api/v1/conversationHistory",
        json=body,
        headers=headers(**{"AuthorizationContextType": "ConversationChannelDefinition", **header_overrides}),
        timeout=5,
    )


def test_history_happy_path_and_duplicate_ids(standins: Standins, http: requests.Session, headers: Headers) -> None:
    now = int(time.time() * 1000)
    entries = [_entry("e1", END_USER, now - 30_000), _entry("e2", BOT, now - 20_000, "bot reply")]
    response = _post_history(standins, http, headers, _history_body(standins, entries, now))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["success"] is True and is_id(body["messagingSessionId"], "0Mw")
    stored = standins.salesforce.state["history"][body["conversationIdentifier"]]
    assert [e["entryPayload"]["id"] for e in stored] == ["e1", "e2"]
    # Same id in a later call → 10073, nothing added.
    again = _post_history(standins, http, headers, _history_body(standins, [_entry("e2", BOT, now - 10_000)], now))
    assert (again.status_code, again.json()["code"]) == (400, 10073)
    # Same id twice in one call → 10073.
    twice = _post_history(
        standins,
        http,
        headers,
        _history_body(standins, [_entry("e3", BOT, now - 10_000), _entry("e3", BOT, now - 9_000)], now),
    )
    assert twice.json()["code"] == 10073
    assert len(standins.salesforce.state["history"][body["conversationIdentifier"]]) == 2


def test_history_uses_the_conversation_of_the_end_user(
    standins: Standins, http: requests.Session, headers: Headers
) -> None:
    conversation = _conversation(standins, http, headers).json()
    now = int(time.time() * 1000)
    body = _post_history(standins, http, headers, _history_body(standins, [_entry("x1", BOT, now - 1000)], now)).json()
    assert body["conversationIdentifier"] == conversation["conversationIdentifier"]
    assert body["messagingSessionId"] == conversation["messagingSessionId"]


def _first_entry(body: dict[str, Any]) -> dict[str, Any]:
    return body["conversationEntries"][0]


def _static(body: dict[str, Any]) -> dict[str, Any]:
    return _first_entry(body)["entryPayload"]["abstractMessage"]["staticContent"]


def _mutations() -> list[tuple[str, Callable[[dict[str, Any], int], Any], int]]:
    def participants(body: dict[str, Any]) -> list[dict[str, Any]]:
        return body["conversationParticipants"]

    return [
        ("no participants", lambda b, n: b.update(conversationParticipants=[]), 10039),
        ("four participants", lambda b, n: participants(b).extend([participants(b)[1]] * 2), 10078),
        ("no end user", lambda b, n: participants(b).pop(0), 10042),
        (
            "two end users",
            lambda b, n: participants(b).append(
                {"participant": {**END_USER, "subject": "client-2"}, "joinedTime": n - 1000}
            ),
            10044,
        ),
        ("bot without leftTime", lambda b, n: participants(b)[1].pop("leftTime"), 10066),
        ("end user with leftTime", lambda b, n: participants(b)[0].update(leftTime=n), 10065),
        ("agent role", lambda b, n: participants(b)[1]["participant"].update(role="Agent"), 10043),
        (
            "entry older than 24 h",
            lambda b, n: b["conversationEntries"][0].update(clientTimestamp=n - 25 * 3600_000),
            10046,
        ),
        ("unknown sender", lambda b, n: _first_entry(b).update(sender={**BOT, "subject": "x"}), 10068),
        ("no entries", lambda b, n: b.update(conversationEntries=[]), 10078),
        (
            "26 entries",
            lambda b, n: b.update(conversationEntries=[_entry(f"m{i}", BOT, n - 100) for i in range(26)]),
            10078,
        ),
        ("entry without id", lambda b, n: b["conversationEntries"][0]["entryPayload"].pop("id"), 10045),
        (
            "bad format",
            lambda b, n: b["conversationEntries"][0]["entryPayload"]["abstractMessage"]["staticContent"].update(
                formatType="Nope"
            ),
            10048,
        ),
        ("unknown channel", lambda b, n: b.update(channelAddressIdentifier=str(uuid.uuid4())), 10017),
        (
            "attach unknown session",
            lambda b, n: b.update(
                messagingSession={
                    "messagingSessionRequestType": "AttachMessagingSession",
                    "payload": {"sessionId": "0Mw000000000001AAA"},
                }
            ),
            10071,
        ),
    ]


@pytest.mark.parametrize(("name", "mutate", "code"), _mutations(), ids=[m[0] for m in _mutations()])
def test_history_validation(
    standins: Standins,
    http: requests.Session,
    headers: Headers,
    name: str,
    mutate: Callable[[dict[str, Any], int], Any],
    code: int,
) -> None:
    now = int(time.time() * 1000)
    body = _history_body(standins, [_entry(str(uuid.uuid4()), BOT, now - 5000)], now)
    mutate(body, now)
    response = _post_history(standins, http, headers, body)
    assert (response.status_code, response.json()["code"]) == (400, code), name
    assert standins.salesforce.state["history"] == {}


def test_history_requires_context_type(standins: Standins, http: requests.Session, headers: Headers) -> None:
    now = int(time.time() * 1000)
    body = _history_body(standins, [_entry("h1", BOT, now - 5000)], now)
    missing = _post_history(standins, http, headers, body, AuthorizationContextType=None)
    wrong = _post_history(standins, http, headers, body, AuthorizationContextType="EmbeddedMessagingChannel")
    assert (missing.status_code, missing.json()["code"]) == (400, 10016)
    assert (wrong.status_code, wrong.json()["code"]) == (400, 10093)


def test_history_entry_limit_is_configurable(standins: Standins, http: requests.Session, headers: Headers) -> None:
    now = int(time.time() * 1000)
    standins.salesforce.max_history_entries = 5
    try:
        body = _history_body(standins, [_entry(f"l{i}", BOT, now - 100) for i in range(6)], now)
        assert _post_history(standins, http, headers, body).json()["code"] == 10078
        body = _history_body(standins, [_entry(f"l{i}", BOT, now - 100) for i in range(5)], now)
        assert _post_history(standins, http, headers, body).status_code == 202
    finally:
        standins.salesforce.max_history_entries = 25


# ---------------------------------------------------------------- SOQL


def _query(standins: Standins, http: requests.Session, token: str, soql: str) -> requests.Response:
    return http.get(
        f"{standins.salesforce.base_url}/services/data/v62.0/query",
        params={"q": soql},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_soql_where_in_and_limit(standins: Standins, http: requests.Session, token: str) -> None:
    cc15 = to_15(standins.call_center_id)
    q0, q1 = standins.queues
    response = _query(
        standins,
        http,
        token,
        f"select ReferenceRecordId, ExternalId from CallCenterRoutingMap where CallCenterId = '{cc15}' "
        f"AND ReferenceRecordId IN ('{q0.salesforce_queue_id}', '{to_15(q1.salesforce_queue_id)}')",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["totalSize"] == 2 and body["done"] is True
    assert [(r["ReferenceRecordId"], r["ExternalId"]) for r in body["records"]] == [
        (q0.salesforce_queue_id, q0.connect_queue_arn),
        (q1.salesforce_queue_id, q1.connect_queue_arn),
    ]
    assert body["records"][0]["attributes"]["type"] == "CallCenterRoutingMap"
    assert body["records"][0]["attributes"]["url"].startswith("/services/data/v62.0/sobjects/CallCenterRoutingMap/")
    limited = _query(standins, http, token, "SELECT Id FROM CallCenterRoutingMap LIMIT 1").json()
    assert limited["totalSize"] == 1 and list(limited["records"][0]) == ["attributes", "Id"]
    none = _query(standins, http, token, "SELECT Id FROM CallCenterRoutingMap WHERE CallCenterId = '04v000000000000'")
    assert none.json() == {"totalSize": 0, "done": True, "records": []}


@pytest.mark.parametrize(
    ("soql", "error_code"),
    [
        ("SELECT Id FROM Account", "INVALID_TYPE"),
        ("SELECT Nope FROM CallCenterRoutingMap", "INVALID_FIELD"),
        ("SELECT Id FROM CallCenterRoutingMap WHERE CallCenterId LIKE 'x%'", "MALFORMED_QUERY"),
        ("SELECT COUNT() FROM CallCenterRoutingMap", "MALFORMED_QUERY"),
        ("DELETE FROM CallCenterRoutingMap", "MALFORMED_QUERY"),
    ],
)
def test_soql_errors(standins: Standins, http: requests.Session, token: str, soql: str, error_code: str) -> None:
    response = _query(standins, http, token, soql)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == error_code


def test_soql_bad_token(standins: Standins, http: requests.Session) -> None:
    response = _query(standins, http, "bogus", "SELECT Id FROM CallCenterRoutingMap")
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_simple_salesforce_query_all(standins: Standins, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from simple_salesforce import Salesforce, SalesforceExpiredSession

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", standins.salesforce.ca_file)
    sf = Salesforce(instance_url=standins.salesforce.base_url, session_id=token)
    result = sf.query_all(
        "SELECT ReferenceRecordId, ExternalId FROM CallCenterRoutingMap "
        f"WHERE CallCenterId = '{standins.call_center_id}'"
    )
    assert result["totalSize"] == 3
    mapped = {r["ReferenceRecordId"]: r["ExternalId"] for r in result["records"]}
    assert mapped == {
        **{q.salesforce_queue_id: q.connect_queue_arn for q in standins.queues},
        standins.users[0].salesforce_user_id: standins.users[0].connect_agent_arn,
    }
    assert standins.salesforce.requests_to("/services/data/v")[0].query["q"].startswith("SELECT ReferenceRecordId")
    standins.salesforce.revoke_tokens()
    with pytest.raises(SalesforceExpiredSession):
        sf.query_all("SELECT Id FROM CallCenterRoutingMap")


# ---------------------------------------------------------------- faults


def test_fail_next_then_ok(standins: Standins, http: requests.Session, headers: Headers) -> None:
    standins.salesforce.fail_next("/api/v1/conversation", 503, times=2)
    standins.salesforce.fail_next(
        "/api/v1/route", 429, headers={"Retry-After": "1"}, body={"code": 429, "message": "x"}
    )
    first, second, third = (_conversation(standins, http, headers) for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 202]
    assert first.json()["code"] == 503
    log = standins.salesforce.requests_to("/api/v1/conversation")
    assert [(r.status, r.fault) for r in log] == [(503, "fail"), (503, "fail"), (202, None)]
    throttled = _route(
        standins,
        http,
        headers,
        {"conversationIdentifier": third.json()["conversationIdentifier"], "routingType": "Initial"},
    )
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert standins.salesforce.faults == []


def test_delay(standins: Standins, http: requests.Session, headers: Headers) -> None:
    standins.salesforce.delay("/api/v1/conversation", 0.4, times=1)
    began = time.perf_counter()
    assert _conversation(standins, http, headers).status_code == 202
    assert time.perf_counter() - began >= 0.4  # a lower bound: no machine answers a 0.4 s delay sooner
    assert _conversation(standins, http, headers).status_code == 202
    assert [r.fault for r in standins.salesforce.requests_to("/api/v1/conversation")] == ["delay", None]  # times=1
    standins.salesforce.delay("/api/v1/conversation", 5)
    with pytest.raises(requests.Timeout):
        http.post(
            f"{standins.salesforce.base_url}/api/v1/conversation",
            json={"channelAddressIdentifier": standins.channel_address_identifier, "participants": [END_USER]},
            headers=headers(),
            timeout=0.3,
        )


def test_drop_connection(standins: Standins, http: requests.Session, headers: Headers) -> None:
    standins.salesforce.drop_next("/api/v1/conversation")
    with pytest.raises(requests.ConnectionError):
        _conversation(standins, http, headers)
    assert _conversation(standins, http, headers).status_code == 202
    log = standins.salesforce.requests_to("/api/v1/conversation")
    assert [(r.status, r.fault) for r in log] == [(None, "drop"), (202, None)]


def test_revoked_token_gets_401(standins: Standins, http: requests.Session, headers: Headers) -> None:
    assert _conversation(standins, http, headers).status_code == 202
    assert standins.salesforce.revoke_tokens() == 1
    response = _conversation(standins, http, headers)
    assert response.status_code == 401
    assert response.json() == {"code": 10004, "message": "The supplied Authorization access token is not valid."}


def test_admin_http_api(standins: Standins, http: requests.Session, headers: Headers) -> None:
    admin = EmulatorAdminClient(standins.salesforce.base_url, standins.salesforce.ca_file)
    try:
        admin.fail_next(path="/api/v1/conversation", status=500)
        assert _conversation(standins, http, headers).status_code == 500
        assert _conversation(standins, http, headers).status_code == 202
        assert admin.set_routing(
            channel_address_identifier=standins.channel_address_identifier, not_routed_reason="closed"
        ) == {"kind": "not_routed", "value": "closed", "external_key": "externalQueueId"}
        assert [r["status"] for r in admin.requests()][-2:] == [500, 202]
        assert len(admin.state()["conversations"]) == 1
        with pytest.raises(requests.HTTPError):
            admin.call("stop")
    finally:
        admin.close()


def _entries(standins: Standins, http: requests.Session, headers: Headers, body: Any, **overrides: str | None) -> Any:
    return http.get(
        f"{standins.salesforce.base_url}/api/v1/conversationEntry",
        json=body,
        headers=headers(**{"AuthorizationContextType": "ConversationChannelDefinition", **overrides}),
        timeout=5,
    )


def test_conversation_entries_read_only(standins: Standins, http: requests.Session, headers: Headers) -> None:
    now_ms = int(time.time() * 1000)
    unknown = {"conversationIdentifier": str(uuid.uuid4()), "startTime": now_ms, "limit": 1}
    before = standins.salesforce.state
    assert _entries(standins, http, headers, unknown).json()["code"] == 10018
    assert _entries(standins, http, headers, unknown, AuthorizationContext="Other_Channel").json()["code"] == 10005
    assert _entries(standins, http, headers, unknown, AuthorizationContextType=None).json()["code"] == 10016
    assert _entries(standins, http, headers, unknown, OrgId=standins.salesforce.org_id).json()["code"] == 10016
    assert _entries(standins, http, headers, {"startTime": now_ms}).json()["code"] == 10089
    assert _entries(standins, http, headers, unknown, Authorization="Bearer nope").status_code == 401
    assert standins.salesforce.state == before

    conversation = _conversation(standins, http, headers).json()["conversationIdentifier"]
    known = {"conversationIdentifier": conversation, "startTime": now_ms - 60_000}
    answer = _entries(standins, http, headers, known)
    assert answer.status_code == 200
    assert answer.json() == {"success": True, "conversationEntries": []}
    assert http.post(f"{standins.salesforce.base_url}/api/v1/conversationEntry", timeout=5).status_code == 405

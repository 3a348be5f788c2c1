"""The Salesforce adapters against `responses`: token grant, headers, retries, re-grant, error bodies."""

from __future__ import annotations

import urllib.parse

import jwt
import pytest
import requests
import responses

from connect_omni import container
from connect_omni.budget import Budget
from connect_omni.errors import SalesforceAuthError, SalesforceError, SalesforceUnavailableError
from connect_omni.models.salesforce import RouteRequest
from tests.adapters.sf import TOKEN_URL, add_token, calls_to, json_body, scrt
from tests.conftest import AUTH_URL, CHANNEL, INSTANCE_URL

CONVERSATION = {
    "conversationIdentifier": "a7d1e9c4-2f3b-4c5d-8e6f-7a8b9c0d1e2f",
    "messagingSessionId": "0Mw5g000000AbCdCAK",
    "success": True,
}


@pytest.fixture
def rsps(secret):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_jwt_assertion_is_verifiable_and_short_lived(rsps, public_key_pem, secret_value):
    add_token(rsps)
    token = container.tokens().get(Budget.of_seconds(5))
    assert token.instance_url == INSTANCE_URL
    form = urllib.parse.parse_qs(rsps.calls[0].request.body)
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(form["assertion"][0], public_key_pem, algorithms=["RS256"], audience=AUTH_URL)
    assert claims["iss"] == secret_value["CONNECTED_APP_CONSUMER_KEY"]
    assert claims["sub"] == secret_value["API_ACCESS_USER_NAME"]
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert "access_token=<redacted>" in repr(token)


def test_token_and_secret_reused_across_calls(rsps, secret, monkeypatch):
    add_token(rsps)
    rsps.add(responses.POST, scrt("/conversation"), json=CONVERSATION, status=202)
    client = container.interaction_service()
    for _ in range(3):
        client.establish_conversation(CHANNEL, "customer-1", Budget.of_seconds(5))
    assert len(calls_to(rsps, TOKEN_URL)) == 1
    assert len(calls_to(rsps, scrt("/conversation"))) == 3


def test_interaction_headers_and_body(rsps):
    add_token(rsps, token="00Dtoken!abc")
    rsps.add(responses.POST, scrt("/conversation"), json=CONVERSATION, status=202)
    container.interaction_service().establish_conversation(CHANNEL, "customer-1", Budget.of_seconds(5))
    call = calls_to(rsps, scrt("/conversation"))[0]
    headers = call.request.headers
    assert headers["Authorization"] == "Bearer 00Dtoken!abc"
    assert headers["OrgId"] == "00D5g000004ABCD"
    assert headers["AuthorizationContext"] == "SCC_AC_Chat"
    assert len(headers["RequestId"]) == 36
    assert json_body(call) == {
        "channelAddressIdentifier": CHANNEL,
        "participants": [{"subject": "customer-1", "role": "EndUser", "appType": "custom"}],
    }


def test_grant_refused_raises_auth_error_with_salesforce_reason(rsps):
    add_token(rsps, status=400)
    with pytest.raises(SalesforceAuthError) as caught:
        container.interaction_service().establish_conversation(CHANNEL, "c", Budget.of_seconds(5))
    assert caught.value.code == "invalid_grant"
    assert "user hasn't approved this consumer" in str(caught.value)
    assert calls_to(rsps, scrt("/conversation")) == []


def test_revoked_token_leads_to_one_new_grant_and_one_retry(rsps):
    add_token(rsps, token="old")
    add_token(rsps, token="new")
    rsps.add(responses.POST, scrt("/route"), json={"code": 10004, "message": "token not valid"}, status=401)
    rsps.add(responses.POST, scrt("/route"), json={"success": True, "psrId": "0JR1"}, status=202)
    request = RouteRequest(conversation_identifier="c-1", routing_type="Initial")
    answer = container.interaction_service().route(request, Budget.of_seconds(5))
    assert answer.psr_id == "0JR1"
    route_calls = calls_to(rsps, scrt("/route"))
    assert [c.request.headers["Authorization"] for c in route_calls] == ["Bearer old", "Bearer new"]
    assert route_calls[0].request.headers["RequestId"] == route_calls[1].request.headers["RequestId"]
    assert len(calls_to(rsps, TOKEN_URL)) == 2


def test_token_refused_twice_is_an_auth_error(rsps):
    add_token(rsps, token="a")
    add_token(rsps, token="b")
    rsps.add(responses.POST, scrt("/route"), json={"code": 10004, "message": "not valid"}, status=401)
    with pytest.raises(SalesforceAuthError, match="HTTP 401 code 10004"):
        container.interaction_service().route(
            RouteRequest(conversation_identifier="c", routing_type="Initial"), Budget.of_seconds(5)
        )
    assert len(calls_to(rsps, scrt("/route"))) == 2


def test_503_then_success_is_retried(rsps):
    add_token(rsps)
    rsps.add(responses.POST, scrt("/conversation"), json={"code": 500, "message": "busy"}, status=503)
    rsps.add(responses.POST, scrt("/conversation"), json=CONVERSATION, status=202)
    answer = container.interaction_service().establish_conversation(CHANNEL, "c", Budget.of_seconds(5))
    assert answer.messaging_session_id == "0Mw5g000000AbCdCAK"
    assert len(calls_to(rsps, scrt("/conversation"))) == 2


def test_connection_error_then_success_is_retried(rsps):
    add_token(rsps)
    rsps.add(responses.POST, scrt("/conversation"), body=requests.exceptions.ConnectionError("reset"))
    rsps.add(responses.POST, scrt("/conversation"), json=CONVERSATION, status=202)
    answer = container.interaction_service().establish_conversation(CHANNEL, "c", Budget.of_seconds(5))
    assert answer.conversation_identifier == CONVERSATION["conversationIdentifier"]


def test_persistent_500_gives_up_after_max_attempts(rsps):
    add_token(rsps)
    rsps.add(responses.POST, scrt("/conversation"), json={"code": 500, "message": "internal"}, status=500)
    with pytest.raises(SalesforceUnavailableError) as caught:
        container.interaction_service().establish_conversation(CHANNEL, "c", Budget.of_seconds(5))
    assert caught.value.status == 500
    assert "internal" in str(caught.value)
    assert len(calls_to(rsps, scrt("/conversation"))) == 3  # SALESFORCE_MAX_ATTEMPTS default


def test_client_error_is_not_retried_and_carries_code(rsps):
    add_token(rsps)
    rsps.add(
        responses.POST,
        scrt("/conversation"),
        json={"code": 10017, "message": "The channelAddressIdentifier provided does not exist."},
        status=400,
    )
    with pytest.raises(SalesforceError) as caught:
        container.interaction_service().establish_conversation(CHANNEL, "c", Budget.of_seconds(5))
    assert caught.value.code == "10017"
    assert caught.value.request_id
    assert len(calls_to(rsps, scrt("/conversation"))) == 1


def test_read_timeout_is_not_retried(rsps):
    add_token(rsps)
    rsps.add(responses.POST, scrt("/route"), body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(SalesforceUnavailableError, match="no response within"):
        container.interaction_service().route(
            RouteRequest(conversation_identifier="c", routing_type="Initial"), Budget.of_seconds(5)
        )
    assert len(calls_to(rsps, scrt("/route"))) == 1


def test_interactions_multipart_has_one_json_part(rsps):
    add_token(rsps)
    rsps.add(
        responses.POST,
        scrt("/interactions"),
        json={"conversationIdentifier": "conv-1", "workItemIds": ["0Mw5g000000AbCdCAK"], "success": True},
        status=202,
    )
    answer = container.interaction_service().send_entry_interaction(CHANNEL, "customer-9", Budget.of_seconds(5))
    assert answer.work_item_ids == ["0Mw5g000000AbCdCAK"]
    request = calls_to(rsps, scrt("/interactions"))[0].request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.body.decode()
    assert 'name="json"' in body
    assert '"interactionType": "EntryInteraction"' in body
    assert '"from": "customer-9"' in body and f'"to": "{CHANNEL}"' in body
    assert '"text": ""' in body


def test_token_keeps_the_identity_url(rsps):
    add_token(rsps)
    assert container.tokens().get(Budget.of_seconds(5)).identity_url == "x"


def test_conversation_entries_is_a_get_with_the_documented_body_and_headers(rsps):
    add_token(rsps)
    rsps.add(responses.GET, scrt("/conversationEntry"), json={"success": True, "conversationEntries": []})
    answer = container.interaction_service().conversation_entries("conv-1", 1_700_000_000_000, Budget.of_seconds(5))
    assert answer == {"success": True, "conversationEntries": []}
    call = calls_to(rsps, scrt("/conversationEntry"))[0]
    assert call.request.method == "GET"
    assert json_body(call) == {"conversationIdentifier": "conv-1", "startTime": 1_700_000_000_000, "limit": 1}
    assert call.request.headers["AuthorizationContextType"] == "ConversationChannelDefinition"
    assert call.request.headers["AuthorizationContext"] == "SCC_AC_Chat"

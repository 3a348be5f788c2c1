"""CreateMessagingSession and Routing handlers with chat-shaped Connect events.

Salesforce is `responses`, Secrets Manager is moto; each test asserts on what was sent and answered.
"""

from __future__ import annotations

import json

import pytest
import requests
import responses
import urllib3

from connect_omni import container
from connect_omni.budget import MIN_ATTEMPT_S
from connect_omni.errors import InputError, RoutingRejectedError, SalesforceUnavailableError
from connect_omni.handlers import create_messaging_session, routing
from connect_omni.salesforce.transport import Attempt
from tests.adapters.sf import TOKEN_URL, add_token, calls_to, json_body, scrt
from tests.clock import FakeClock
from tests.conftest import AGENT_ARN, CALL_CENTER_ID, INSTANCE_URL, QUEUE_ARN, LambdaContext, load_event

CONVERSATION_ID = "a7d1e9c4-2f3b-4c5d-8e6f-7a8b9c0d1e2f"
SESSION_ID = "0Mw5g000000AbCdCAK"
QUERY_URL = f"{INSTANCE_URL}/services/data/v62.0/query/"


@pytest.fixture
def rsps(secret):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_token(mock)
        yield mock


def route_answer(**context_param_map):
    return {
        "success": True,
        "psrId": "0JR5g000000AbCdGAK",
        "workItemId": SESSION_ID,
        "routingCorrelationId": "corr-1",
        "contextParamMap": context_param_map,
    }


def routing_map(*pairs):
    return {
        "totalSize": len(pairs),
        "done": True,
        "records": [
            {"attributes": {"type": "CallCenterRoutingMap"}, "ReferenceRecordId": r, "ExternalId": e} for r, e in pairs
        ],
    }


# CreateMessagingSession ------------------------------------------------------------------------------------


def test_create_messaging_session_answers_the_four_attributes(rsps, context):
    rsps.add(
        responses.POST,
        scrt("/conversation"),
        status=202,
        json={"conversationIdentifier": CONVERSATION_ID, "messagingSessionId": SESSION_ID, "success": True},
    )
    answer = create_messaging_session.lambda_handler(load_event("create_messaging_session.json"), context)
    assert answer == {
        "conversationIdentifier": CONVERSATION_ID,
        "workItemId": SESSION_ID,
        "source": "SCCAC",
        "callCenterId": CALL_CENTER_ID,
    }
    sent = json_body(calls_to(rsps, scrt("/conversation"))[0])
    assert sent["participants"][0]["subject"] == "6c3f3a1e-5b7d-4d6e-9a7f-1b2c3d4e5f60"  # InitialContactId
    assert [c.request.url.split("?")[0] for c in rsps.calls] == [TOKEN_URL, scrt("/conversation")]


def test_warm_invocation_makes_one_salesforce_call_and_no_secrets_manager_call(rsps, secret, context):
    rsps.add(
        responses.POST,
        scrt("/conversation"),
        status=202,
        json={"conversationIdentifier": CONVERSATION_ID, "messagingSessionId": SESSION_ID},
    )
    create_messaging_session.lambda_handler(load_event("create_messaging_session.json"), context)
    secret.delete_secret(SecretId="SCCAC-Secret", ForceDeleteWithoutRecovery=True)  # any read would now fail
    before = len(rsps.calls)
    create_messaging_session.lambda_handler(load_event("create_messaging_session.json"), LambdaContext())
    assert [c.request.url for c in rsps.calls[before:]] == [scrt("/conversation")]


def test_client_id_attribute_is_the_end_user(rsps, context):
    rsps.add(
        responses.POST,
        scrt("/conversation"),
        status=202,
        json={"conversationIdentifier": CONVERSATION_ID, "messagingSessionId": SESSION_ID},
    )
    event = load_event("create_messaging_session.json")
    event["Details"]["ContactData"]["Attributes"]["clientId"] = "jane@example.com"
    create_messaging_session.lambda_handler(event, context)
    assert json_body(calls_to(rsps, scrt("/conversation"))[0])["participants"][0]["subject"] == "jane@example.com"


@pytest.mark.parametrize(
    ("event_file", "setting", "subject"),
    [
        ("create_messaging_session_sms.json", "true", "+12065550100"),
        ("create_messaging_session_whatsapp.json", "true", "+447700900123"),
        ("create_messaging_session_sms.json", "false", "0b5a8e2c-3d4f-4a6b-8c9d-0e1f2a3b4c5d"),
        ("create_messaging_session.json", "true", "6c3f3a1e-5b7d-4d6e-9a7f-1b2c3d4e5f60"),
    ],
    ids=["sms", "whatsapp", "sms-setting-off", "web-chat"],
)
def test_messaging_customer_is_the_end_user_by_their_number(rsps, context, monkeypatch, event_file, setting, subject):
    monkeypatch.setenv("END_USER_FROM_CUSTOMER_ADDRESS", setting)
    container.reset()
    rsps.add(
        responses.POST,
        scrt("/conversation"),
        status=202,
        json={"conversationIdentifier": CONVERSATION_ID, "messagingSessionId": SESSION_ID},
    )
    create_messaging_session.lambda_handler(load_event(event_file), context)
    assert json_body(calls_to(rsps, scrt("/conversation"))[0])["participants"][0]["subject"] == subject


def test_interactions_mode_uses_scc_ac_entry_interaction(rsps, context, monkeypatch):
    monkeypatch.setenv("SESSION_CREATION_MODE", "interactions")
    container.reset()
    rsps.add(
        responses.POST,
        scrt("/interactions"),
        status=202,
        json={"conversationIdentifier": CONVERSATION_ID, "workItemIds": [SESSION_ID], "success": True},
    )
    answer = create_messaging_session.lambda_handler(load_event("create_messaging_session.json"), context)
    assert answer["workItemId"] == SESSION_ID
    assert calls_to(rsps, scrt("/conversation")) == []


def test_conversation_without_session_falls_back_to_entry_interaction(rsps, context):
    rsps.add(responses.POST, scrt("/conversation"), status=202, json={"conversationIdentifier": CONVERSATION_ID})
    rsps.add(
        responses.POST,
        scrt("/interactions"),
        status=202,
        json={"conversationIdentifier": CONVERSATION_ID, "workItemIds": [SESSION_ID]},
    )
    answer = create_messaging_session.lambda_handler(load_event("create_messaging_session.json"), context)
    assert answer["workItemId"] == SESSION_ID
    assert len(calls_to(rsps, scrt("/interactions"))) == 1


def test_requeued_contact_never_gets_its_ended_session_back(rsps, context):
    # Given a re-queued contact (workItemId = its session, ended by the agent) and an Establish Conversation
    # that answers that ended session
    rsps.add(
        responses.POST,
        scrt("/conversation"),
        status=202,
        json={"conversationIdentifier": CONVERSATION_ID, "messagingSessionId": SESSION_ID},
    )
    rsps.add(
        responses.POST,
        scrt("/interactions"),
        status=202,
        json={"conversationIdentifier": CONVERSATION_ID, "workItemIds": ["0Mw5g000000NewSCAK"]},
    )
    event = load_event("create_messaging_session.json")
    event["Details"]["ContactData"]["Attributes"]["workItemId"] = SESSION_ID
    # When CreateMessagingSession runs again
    answer = create_messaging_session.lambda_handler(event, context)
    # Then the EntryInteraction's new session, in the same conversation
    assert (answer["conversationIdentifier"], answer["workItemId"]) == (CONVERSATION_ID, "0Mw5g000000NewSCAK")
    assert len(calls_to(rsps, scrt("/conversation"))) == 1
    assert len(calls_to(rsps, scrt("/interactions"))) == 1


def test_warmup_answers_empty_without_calls(rsps, context):
    assert create_messaging_session.lambda_handler(load_event("warmup.json"), context) == {}
    assert routing.lambda_handler(load_event("warmup.json"), context) == {}
    assert len(rsps.calls) == 0


def test_bad_channel_is_refused_before_anything_is_sent(rsps, context):
    event = load_event("create_messaging_session.json")
    event["Details"]["Parameters"]["channelAddressIdentifier"] = "REPLACE-ME"
    with pytest.raises(InputError, match="^channelAddressIdentifier: expected a UUID"):
        create_messaging_session.lambda_handler(event, context)
    assert len(rsps.calls) == 0


def test_persistent_500_fails_the_invocation(rsps, context):
    rsps.add(responses.POST, scrt("/conversation"), status=500, json={"code": 500, "message": "internal"})
    with pytest.raises(SalesforceUnavailableError, match="HTTP 500"):
        create_messaging_session.lambda_handler(load_event("create_messaging_session.json"), context)
    assert len(calls_to(rsps, scrt("/conversation"))) == 3


# Routing ---------------------------------------------------------------------------------------------------


def test_initial_routing_maps_omni_queue_to_connect_queue(rsps, context):
    rsps.add(responses.POST, scrt("/route"), status=202, json=route_answer(queueId="00G5g000004AbCdEAK"))
    rsps.add(responses.GET, QUERY_URL, json=routing_map(("00G5g000004AbCdEAK", QUEUE_ARN)))
    answer = routing.lambda_handler(load_event("routing_initial.json"), context)
    assert answer == {"psrId": "0JR5g000000AbCdGAK", "externalQueueId": QUEUE_ARN}
    assert json_body(calls_to(rsps, scrt("/route"))[0]) == {
        "conversationIdentifier": CONVERSATION_ID,
        "routingType": "Initial",
    }


def test_warm_routing_is_one_round_trip(rsps, context):
    rsps.add(responses.POST, scrt("/route"), status=202, json=route_answer(queueId="00G5g000004AbCdEAK"))
    rsps.add(responses.GET, QUERY_URL, json=routing_map(("00G5g000004AbCdEAK", QUEUE_ARN)))
    routing.lambda_handler(load_event("routing_initial.json"), context)
    before = len(rsps.calls)
    answer = routing.lambda_handler(load_event("routing_transfer.json"), LambdaContext())
    assert answer["externalQueueId"] == QUEUE_ARN
    assert [c.request.url for c in rsps.calls[before:]] == [scrt("/route")]
    assert json_body(rsps.calls[before])["routingType"] == "Transfer"


def test_connect_queue_arn_in_answer_is_used_as_is(rsps, context):
    rsps.add(responses.POST, scrt("/route"), status=202, json=route_answer(externalQueueId=QUEUE_ARN))
    answer = routing.lambda_handler(load_event("routing_initial.json"), context)
    assert answer["externalQueueId"] == QUEUE_ARN
    assert [c for c in rsps.calls if c.request.url.startswith(QUERY_URL)] == []


def test_queue_arn_of_another_instance_is_not_used(rsps, context):
    other = "arn:aws:connect:us-east-1:111122223333:instance/00000000-0000-0000-0000-000000000000/queue/q"
    rsps.add(responses.POST, scrt("/route"), status=202, json=route_answer(externalQueueId=other))
    answer = routing.lambda_handler(load_event("routing_initial.json"), context)
    assert "externalQueueId" not in answer


def test_user_mapped_to_agent_returns_external_agent_id(rsps, context):
    rsps.add(responses.POST, scrt("/route"), status=202, json=route_answer(userId="0055g000004XyZaAAC"))
    rsps.add(responses.GET, QUERY_URL, json=routing_map(("0055g000004XyZaAAC", AGENT_ARN)))
    answer = routing.lambda_handler(load_event("routing_initial.json"), context)
    assert answer == {"psrId": "0JR5g000000AbCdGAK", "externalAgentId": AGENT_ARN}


def test_unmapped_queue_succeeds_without_external_queue(rsps, context):
    rsps.add(responses.POST, scrt("/route"), status=202, json=route_answer(queueId="00G5g000009ZzZzEAK"))
    rsps.add(responses.GET, QUERY_URL, json=routing_map(("00G5g000004AbCdEAK", QUEUE_ARN)))
    answer = routing.lambda_handler(load_event("routing_initial.json"), context)
    assert answer == {"psrId": "0JR5g000000AbCdGAK"}


def test_routing_map_outage_after_route_uses_fallback_not_error(rsps, context):
    rsps.add(responses.POST, scrt("/route"), status=202, json=route_answer(queueId="00G5g000004AbCdEAK"))
    rsps.add(responses.GET, QUERY_URL, status=400, json=[{"message": "no", "errorCode": "INVALID_TYPE"}])
    answer = routing.lambda_handler(load_event("routing_initial.json"), context)
    assert answer == {"psrId": "0JR5g000000AbCdGAK"}
    assert len(calls_to(rsps, scrt("/route"))) == 1


def test_not_routed_raises_with_salesforce_reason(rsps, context):
    rsps.add(
        responses.POST,
        scrt("/route"),
        status=202,
        json={"success": False, "reasonForNotRouting": "No agents available in queue"},
    )
    with pytest.raises(RoutingRejectedError, match="No agents available in queue"):
        routing.lambda_handler(load_event("routing_initial.json"), context)


def test_bad_routing_type_is_refused_before_anything_is_sent(rsps, context):
    event = load_event("routing_initial.json")
    event["Details"]["Parameters"]["routingType"] = "transfer"
    with pytest.raises(InputError, match="^routingType: expected Initial or Transfer, got 'transfer'"):
        routing.lambda_handler(event, context)
    assert len(rsps.calls) == 0


# A hung Salesforce ------------------------------------------------------------------------------------------


def test_hung_salesforce_fails_inside_connects_8_second_budget(rsps, monkeypatch):
    """A Salesforce that accepts the connection and never answers: ``requests`` raises ``ReadTimeout`` once the
    attempt's timeout has passed. On a fake clock, the attempts' timeouts must come from the context's 8 s
    minus ``BUDGET_MARGIN_MS``, no attempt may start past that deadline, and the handler must have given up
    by it."""
    clock = FakeClock().install(monkeypatch)
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    monkeypatch.setenv("BUDGET_MARGIN_MS", "600")
    container.reset()
    attempts: list[tuple[float, Attempt]] = []
    container.interaction_service().transport.on_attempt = lambda a: attempts.append((clock.now, a))
    handed: list[urllib3.Timeout] = []

    def token_takes_300_ms(request):
        clock.now += 0.3
        return 200, {}, json.dumps({"access_token": "00Dtoken!first", "instance_url": INSTANCE_URL, "id": "x"})

    def hangs(request):
        timeout = request.req_kwargs["timeout"]
        handed.append(timeout)
        clock.now += timeout.total  # the socket waits out the whole timeout it was given
        raise requests.exceptions.ReadTimeout("read timed out")

    rsps.remove(responses.POST, TOKEN_URL)  # the fixture's token answers at once; this one takes 300 ms
    rsps.add_callback(responses.POST, TOKEN_URL, callback=token_takes_300_ms)
    rsps.add_callback(responses.POST, scrt("/route"), callback=hangs)
    started = clock.now
    context = LambdaContext(budget_ms=8000, clock=clock.monotonic)

    with pytest.raises(SalesforceUnavailableError, match="no response within 7.10 s") as caught:
        routing.lambda_handler(load_event("routing_initial.json"), context)

    deadline = started + 8.0 - 0.6
    assert caught.value.outcome_unknown is True  # POST /route is not idempotent: not sent again
    assert [a.operation for _, a in attempts] == ["token grant", "POST /api/v1/route"]
    (token_at, token), (route_at, route) = attempts
    assert (token_at, token.total_s) == (started, pytest.approx(7.4))
    assert (route_at, route.total_s) == (started + 0.3, pytest.approx(7.1))  # what was left, not a fixed value
    assert all(at + a.total_s == pytest.approx(deadline) for at, a in attempts)
    assert all(at <= deadline - MIN_ATTEMPT_S for at, _ in attempts)
    assert [t.total for t in handed] == [pytest.approx(7.1)]
    assert handed[0].connect_timeout <= 7.1
    assert clock.now == pytest.approx(deadline)  # the handler answered (raised) at the deadline, not after it
    assert context.get_remaining_time_in_millis() >= 600 - 1  # the margin is still there for Connect

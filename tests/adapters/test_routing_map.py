"""CallCenterRoutingMap (REST query through the Transport) against `responses`: query, cache, refresh, errors."""

from __future__ import annotations

import urllib.parse

import pytest
import responses

from connect_omni import container
from connect_omni.budget import Budget
from connect_omni.errors import SalesforceUnavailableError
from connect_omni.salesforce.routing_map import CallCenterRoutingMap
from tests.adapters.sf import add_token
from tests.conftest import CALL_CENTER_ID, INSTANCE_URL, QUEUE_ARN

QUERY_URL = f"{INSTANCE_URL}/services/data/v62.0/query/"
QUEUE_15 = "00G5g000004AbCd"


def records(*pairs):
    return {
        "totalSize": len(pairs),
        "done": True,
        "records": [
            {"attributes": {"type": "CallCenterRoutingMap"}, "ReferenceRecordId": ref, "ExternalId": ext}
            for ref, ext in pairs
        ],
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rsps(secret):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_token(mock)
        yield mock


def new_map(clock: Clock, ttl: float = 300) -> CallCenterRoutingMap:
    return CallCenterRoutingMap(
        call_center_id=CALL_CENTER_ID,
        api_version="62.0",
        ttl_s=ttl,
        tokens=container.tokens(),
        transport=container.interaction_service().transport,
        clock=clock,
    )


def soql_calls(rsps):
    return [c for c in rsps.calls if c.request.url.startswith(QUERY_URL)]


def test_query_is_scoped_to_the_call_center_and_cached(rsps):
    rsps.add(responses.GET, QUERY_URL, json=records(("00G5g000004AbCdEAK", QUEUE_ARN)))
    clock = Clock()
    routing_map = new_map(clock)
    assert routing_map.external_id("00G5g000004AbCdEAK", Budget.of_seconds(5)) == QUEUE_ARN
    assert routing_map.external_id(QUEUE_15, Budget.of_seconds(5)) == QUEUE_ARN  # 15-char form matches
    calls = soql_calls(rsps)
    assert len(calls) == 1
    soql = urllib.parse.parse_qs(urllib.parse.urlparse(calls[0].request.url).query)["q"][0]
    assert soql == (
        f"SELECT ReferenceRecordId, ExternalId FROM CallCenterRoutingMap WHERE CallCenterId = '{CALL_CENTER_ID}'"
    )
    assert calls[0].request.headers["Authorization"] == "Bearer 00Dtoken!first"


def test_expired_cache_is_read_again(rsps):
    rsps.add(responses.GET, QUERY_URL, json=records(("00G5g000004AbCdEAK", QUEUE_ARN)))
    clock = Clock()
    routing_map = new_map(clock, ttl=300)
    routing_map.external_id(QUEUE_15, Budget.of_seconds(5))
    clock.now += 301
    routing_map.external_id(QUEUE_15, Budget.of_seconds(5))
    assert len(soql_calls(rsps)) == 2


def test_unknown_id_refreshes_once_when_map_is_older_than_30s(rsps):
    rsps.add(responses.GET, QUERY_URL, json=records())
    clock = Clock()
    routing_map = new_map(clock)
    assert routing_map.external_id(QUEUE_15, Budget.of_seconds(5)) is None
    assert len(soql_calls(rsps)) == 1  # fresh map: no second read
    clock.now += 31
    assert routing_map.external_id(QUEUE_15, Budget.of_seconds(5)) is None
    assert len(soql_calls(rsps)) == 2


def test_expired_session_grants_again(rsps):
    add_token(rsps, token="second")
    rsps.add(
        responses.GET,
        QUERY_URL,
        status=401,
        json=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
    rsps.add(responses.GET, QUERY_URL, json=records(("00G5g000004AbCdEAK", QUEUE_ARN)))
    assert new_map(Clock()).external_id(QUEUE_15, Budget.of_seconds(5)) == QUEUE_ARN
    assert [c.request.headers["Authorization"] for c in soql_calls(rsps)] == ["Bearer 00Dtoken!first", "Bearer second"]


def test_failed_refresh_keeps_the_stale_copy(rsps):
    rsps.add(responses.GET, QUERY_URL, json=records(("00G5g000004AbCdEAK", QUEUE_ARN)))
    clock = Clock()
    routing_map = new_map(clock)
    routing_map.external_id(QUEUE_15, Budget.of_seconds(5))
    rsps.replace(responses.GET, QUERY_URL, status=503, json=[{"message": "down", "errorCode": "SERVER_UNAVAILABLE"}])
    clock.now += 400
    assert routing_map.external_id(QUEUE_15, Budget.of_seconds(5)) == QUEUE_ARN


def test_first_read_failing_raises(rsps):
    rsps.add(responses.GET, QUERY_URL, status=503, json=[{"message": "down", "errorCode": "SERVER_UNAVAILABLE"}])
    with pytest.raises(SalesforceUnavailableError, match="SERVER_UNAVAILABLE"):
        new_map(Clock()).external_id(QUEUE_15, Budget.of_seconds(5))

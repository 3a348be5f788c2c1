"""The contact record adapter and the REST client against `responses`: request shape, errors, retries, tokens."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime

import pytest
import responses

from connect_omni import container
from connect_omni.budget import Budget
from connect_omni.errors import SalesforceAuthError, SalesforceError, SalesforceUnavailableError
from connect_omni.salesforce.contact_records import RecordError, UpsertResult
from tests.adapters.sf import add_token
from tests.conftest import INSTANCE_URL

UPSERT_URL = (
    f"{INSTANCE_URL}/services/data/v62.0/composite/sobjects/awsac__SCC_ContactTraceRecord__c/awsac__ContactId__c"
)
QUERY_URL = f"{INSTANCE_URL}/services/data/v62.0/query/"


@pytest.fixture
def rsps(secret, monkeypatch):
    monkeypatch.setattr("tenacity.nap.time.sleep", lambda s: None)  # the transport's backoff, not waited for
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_token(mock)
        yield mock


def calls_to(rsps, url: str) -> list:
    return [c for c in rsps.calls if c.request.url.split("?")[0] == url]


def fields(contact_id: str) -> dict:
    return {"awsac__ContactId__c": contact_id, "awsac__QueueDuration__c": 3, "awsac__References__c": None}


def test_upsert_patches_the_collection_with_the_bearer_token(rsps):
    rsps.add(
        responses.PATCH,
        UPSERT_URL,
        json=[
            {"id": "a0C000000000001AAA", "success": True, "errors": [], "created": True},
            {
                "success": False,
                "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain lock", "fields": []}],
            },
        ],
    )
    results = container.contact_records().upsert([fields("c-1"), fields("c-2")], Budget.of_seconds(5))

    assert results == [
        UpsertResult(True, "a0C000000000001AAA", True, ()),
        UpsertResult(False, None, None, (RecordError("UNABLE_TO_LOCK_ROW", "unable to obtain lock", ()),)),
    ]
    (call,) = calls_to(rsps, UPSERT_URL)
    assert call.request.method == "PATCH"
    assert call.request.headers["Authorization"] == "Bearer 00Dtoken!first"
    assert json.loads(call.request.body) == {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "awsac__SCC_ContactTraceRecord__c"}, **fields("c-1")},
            {"attributes": {"type": "awsac__SCC_ContactTraceRecord__c"}, **fields("c-2")},
        ],
    }


def test_stored_versions_is_one_soql_query_with_the_ids_quoted(rsps):
    rsps.add(
        responses.GET,
        QUERY_URL,
        json={
            "totalSize": 3,
            "done": True,
            "records": [
                {"awsac__ContactId__c": "c-1", "awsac__LastUpdateTimestamp__c": "2025-03-15T00:08:02.000+0000"},
                {"awsac__ContactId__c": "c-1", "awsac__LastUpdateTimestamp__c": "2025-03-15T00:09:00.000+0000"},
                {"awsac__ContactId__c": "c-2", "awsac__LastUpdateTimestamp__c": None},
            ],
        },
    )
    stored = container.contact_records().stored_versions(["c-1", "c-2", "it's"], Budget.of_seconds(5))

    assert stored == {"c-1": datetime(2025, 3, 15, 0, 9, tzinfo=UTC), "c-2": None}
    (call,) = calls_to(rsps, QUERY_URL)
    soql = urllib.parse.parse_qs(urllib.parse.urlparse(call.request.url).query)["q"][0]
    assert soql == (
        "SELECT awsac__ContactId__c, awsac__LastUpdateTimestamp__c FROM awsac__SCC_ContactTraceRecord__c "
        "WHERE awsac__ContactId__c IN ('c-1','c-2','it\\'s')"
    )


def test_no_ids_no_query(rsps):
    assert container.contact_records().stored_versions([], Budget.of_seconds(5)) == {}
    assert calls_to(rsps, QUERY_URL) == []


def test_5xx_is_retried_by_the_transport_then_unavailable(rsps):
    for _ in range(3):
        rsps.add(responses.PATCH, UPSERT_URL, status=503, json=[{"errorCode": "SERVER_UNAVAILABLE", "message": "x"}])
    with pytest.raises(SalesforceUnavailableError) as caught:
        container.contact_records().upsert([fields("c-1")], Budget.of_seconds(5))
    assert caught.value.status == 503 and caught.value.code == "SERVER_UNAVAILABLE"
    assert len(calls_to(rsps, UPSERT_URL)) == 3  # SALESFORCE_MAX_ATTEMPTS


def test_a_refused_token_is_granted_again_once(rsps):
    add_token(rsps, "00Dtoken!second")
    rsps.add(responses.PATCH, UPSERT_URL, status=401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "x"}])
    rsps.add(responses.PATCH, UPSERT_URL, json=[{"id": "a0C1", "success": True, "errors": [], "created": False}])
    results = container.contact_records().upsert([fields("c-1")], Budget.of_seconds(5))
    assert results[0].success
    tokens = [c.request.headers["Authorization"] for c in calls_to(rsps, UPSERT_URL)]
    assert tokens == ["Bearer 00Dtoken!first", "Bearer 00Dtoken!second"]


def test_a_token_refused_twice_is_an_auth_error(rsps):
    add_token(rsps, "00Dtoken!second")
    for _ in range(2):
        rsps.add(responses.PATCH, UPSERT_URL, status=401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "x"}])
    with pytest.raises(SalesforceAuthError):
        container.contact_records().upsert([fields("c-1")], Budget.of_seconds(5))


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (400, [{"errorCode": "INVALID_FIELD", "message": "No such column 'x'"}], SalesforceError, "INVALID_FIELD"),
        (403, [{"errorCode": "INSUFFICIENT_ACCESS", "message": "no"}], SalesforceAuthError, "INSUFFICIENT_ACCESS"),
        (404, [{"errorCode": "NOT_FOUND", "message": "no"}], SalesforceError, "NOT_FOUND"),
    ],
)
def test_a_refused_request_is_a_salesforce_error_with_its_code(rsps, status, body, error, code):
    rsps.add(responses.PATCH, UPSERT_URL, status=status, json=body)
    with pytest.raises(error) as caught:
        container.contact_records().upsert([fields("c-1")], Budget.of_seconds(5))
    assert type(caught.value) is error and caught.value.code == code and caught.value.status == status
    assert len(calls_to(rsps, UPSERT_URL)) == 1


@pytest.mark.parametrize(
    "body",
    [
        "<html>maintenance</html>",  # not JSON
        json.dumps([{"id": "a0C1", "success": True, "errors": [], "created": True}] * 2),  # two results for one
        json.dumps({"success": True}),  # not a list
    ],
)
def test_an_unreadable_200_is_unavailable_because_the_upsert_may_have_happened(rsps, body):
    rsps.add(responses.PATCH, UPSERT_URL, status=200, body=body, content_type="application/json")
    with pytest.raises(SalesforceUnavailableError):
        container.contact_records().upsert([fields("c-1")], Budget.of_seconds(5))


def test_at_most_200_records_per_request(rsps):
    with pytest.raises(ValueError, match="200"):
        container.contact_records().upsert([fields(str(i)) for i in range(201)], Budget.of_seconds(5))
    with pytest.raises(ValueError):
        container.contact_records().upsert([], Budget.of_seconds(5))
    assert calls_to(rsps, UPSERT_URL) == []

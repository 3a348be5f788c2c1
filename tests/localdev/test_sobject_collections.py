"""The emulator's sObject Collections upsert of ``awsac__SCC_ContactTraceRecord__c``, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from localdev.standins import Standins

pytestmark = pytest.mark.standins

OBJECT = "awsac__SCC_ContactTraceRecord__c"
EXT = "awsac__ContactId__c"
PATH = f"/services/data/v62.0/composite/sobjects/{OBJECT}/{EXT}"


def _record(contact_id: str | None, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"attributes": {"type": OBJECT}, **fields}
    if contact_id is not None:
        record[EXT] = contact_id
    return record


def _upsert(
    standins: Standins, http: requests.Session, token: str, records: list, *, all_or_none: bool = False, **kw: Any
) -> requests.Response:
    return http.request(
        kw.pop("method", "PATCH"),
        standins.salesforce.base_url + kw.pop("path", PATH),
        json={"allOrNone": all_or_none, "records": records},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_creates_then_updates_by_external_id(standins: Standins, http: requests.Session, token: str) -> None:
    first = _upsert(
        standins,
        http,
        token,
        [
            _record("c-1", awsac__Channel_Revamped__c="CHAT", awsac__LastUpdateTimestamp__c="2025-03-15T00:08:02Z"),
            _record("c-2", awsac__QueueDuration__c=30),
        ],
    )
    assert first.status_code == 200
    created = first.json()
    assert [(r["success"], r["created"], r["errors"]) for r in created] == [(True, True, []), (True, True, [])]
    assert all(r["id"].startswith("a0C") and len(r["id"]) == 18 for r in created)

    again = _upsert(standins, http, token, [_record("c-1", awsac__Channel_Revamped__c="TASK")]).json()
    assert again == [{"id": created[0]["id"], "success": True, "errors": [], "created": False}]
    stored = {r[EXT]: r for r in standins.salesforce.records(OBJECT)}
    assert stored["c-1"]["awsac__Channel_Revamped__c"] == "TASK"
    assert stored["c-1"]["awsac__LastUpdateTimestamp__c"] == "2025-03-15T00:08:02.000+0000"  # REST DateTime form
    assert stored["c-2"]["awsac__QueueDuration__c"] == 30
    assert standins.salesforce.state["sobjects"][OBJECT] == standins.salesforce.records(OBJECT)


def test_stored_records_can_be_queried(standins: Standins, http: requests.Session, token: str) -> None:
    records = [_record(f"c-{i}", awsac__LastUpdateTimestamp__c=f"2025-03-15T00:0{i}:00Z") for i in range(3)]
    _upsert(standins, http, token, records)
    response = http.get(
        f"{standins.salesforce.base_url}/services/data/v62.0/query",
        params={"q": f"SELECT {EXT}, awsac__LastUpdateTimestamp__c FROM {OBJECT} WHERE {EXT} IN ('c-0', 'c-2', 'x')"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 200
    body = response.json()
    assert [(r[EXT], r["awsac__LastUpdateTimestamp__c"]) for r in body["records"]] == [
        ("c-0", "2025-03-15T00:00:00.000+0000"),
        ("c-2", "2025-03-15T00:02:00.000+0000"),
    ]
    assert body["records"][0]["attributes"]["url"].startswith(f"/services/data/v62.0/sobjects/{OBJECT}/a0C")


@pytest.mark.parametrize(
    ("records", "status", "error_code"),
    [
        ([_record("c", awsac__Nope__c="x")], 400, "INVALID_FIELD"),
        ([_record("c", awsac__contactid__c="x")], 400, "INVALID_FIELD"),  # field names are case-sensitive in JSON
        ([{"awsac__ContactId__c": "c"}], 400, "INVALID_TYPE"),
        ([{"attributes": {"type": "Account"}, "awsac__ContactId__c": "c"}], 400, "INVALID_TYPE"),
        ([_record("c", awsac__DisconnectTimestamp__c="yesterday")], 400, "JSON_PARSER_ERROR"),
        ([_record("c", awsac__QueueDuration__c="thirty")], 400, "JSON_PARSER_ERROR"),
        ([_record(f"c-{i}") for i in range(201)], 400, "EXCEEDED_ID_LIMIT"),
    ],
)
def test_a_malformed_request_is_refused_as_a_whole(
    standins: Standins, http: requests.Session, token: str, records: list, status: int, error_code: str
) -> None:
    response = _upsert(standins, http, token, [_record("fine"), *records])
    assert response.status_code == status
    assert response.json()[0]["errorCode"] == error_code
    assert standins.salesforce.records(OBJECT) == []


def test_exactly_200_records_are_accepted(standins: Standins, http: requests.Session, token: str) -> None:
    response = _upsert(standins, http, token, [_record(f"c-{i}") for i in range(200)])
    assert response.status_code == 200 and len(response.json()) == 200
    assert len(standins.salesforce.records(OBJECT)) == 200


def test_per_record_errors_leave_the_other_records_stored(
    standins: Standins, http: requests.Session, token: str
) -> None:
    standins.salesforce.fail_records(OBJECT, "UNABLE_TO_LOCK_ROW", external_ids=["locked"], message="locked row")
    response = _upsert(
        standins,
        http,
        token,
        [
            _record("ok-1"),
            _record("long", awsac__QueueName__c="q" * 256),
            _record(None, awsac__QueueName__c="no external id"),
            _record("twice"),
            _record("locked"),
            _record("twice"),
            _record("read-only", CreatedDate="2025-01-01T00:00:00Z"),
            _record("ok-2", awsac__Attributes__c="{" + "x" * 100_000 + "}"),  # long text area
        ],
    )
    assert response.status_code == 200
    results = response.json()
    codes = [[e["statusCode"] for e in r["errors"]] for r in results]
    assert codes == [
        [],
        ["STRING_TOO_LONG"],
        ["REQUIRED_FIELD_MISSING"],
        ["DUPLICATE_EXTERNAL_ID"],
        ["UNABLE_TO_LOCK_ROW"],
        ["DUPLICATE_EXTERNAL_ID"],
        ["INVALID_FIELD_FOR_INSERT_UPDATE"],
        [],
    ]
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "STRING_TOO_LONG",
                "message": results[1]["errors"][0]["message"],
                "fields": ["awsac__QueueName__c"],
            }
        ],
    }
    assert results[4]["errors"][0]["message"] == "locked row"
    assert sorted(r[EXT] for r in standins.salesforce.records(OBJECT)) == ["ok-1", "ok-2"]
    # The injected fault was for one record: the next upsert of the same contact succeeds.
    assert _upsert(standins, http, token, [_record("locked")]).json()[0]["success"] is True


def test_all_or_none_rolls_everything_back(standins: Standins, http: requests.Session, token: str) -> None:
    response = _upsert(
        standins, http, token, [_record("a"), _record("b", awsac__QueueName__c="q" * 300)], all_or_none=True
    )
    assert response.status_code == 200
    first, second = response.json()
    assert first["success"] is False and first["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert second["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert standins.salesforce.records(OBJECT) == []


@pytest.mark.parametrize(
    ("kwargs", "status", "error_code"),
    [
        ({"method": "POST"}, 405, "METHOD_NOT_ALLOWED"),
        ({"path": f"/services/data/v62.0/composite/sobjects/Nope__c/{EXT}"}, 404, "NOT_FOUND"),
        ({"path": f"/services/data/v62.0/composite/sobjects/{OBJECT}/awsac__QueueName__c"}, 404, "NOT_FOUND"),
    ],
)
def test_wrong_method_object_or_external_id(
    standins: Standins, http: requests.Session, token: str, kwargs: dict, status: int, error_code: str
) -> None:
    response = _upsert(standins, http, token, [_record("c")], **kwargs)
    assert response.status_code == status
    assert response.json()[0]["errorCode"] == error_code


def test_bad_token(standins: Standins, http: requests.Session) -> None:
    response = _upsert(standins, http, "bogus", [_record("c")])
    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_whole_request_faults_use_the_existing_fault_injection(
    standins: Standins, http: requests.Session, token: str
) -> None:
    standins.salesforce.fail_next("/services/data/v62.0/composite/sobjects", 503, times=1)
    assert _upsert(standins, http, token, [_record("c")]).status_code == 503
    assert standins.salesforce.records(OBJECT) == []
    assert _upsert(standins, http, token, [_record("c")]).status_code == 200


def test_reset_forgets_records_and_record_faults(standins: Standins, http: requests.Session, token: str) -> None:
    _upsert(standins, http, token, [_record("c")])
    standins.salesforce.fail_records(OBJECT, "UNABLE_TO_LOCK_ROW", times=None)
    standins.salesforce.reset()
    assert standins.salesforce.records(OBJECT) == []
    token = standins.salesforce.issue_token()
    assert _upsert(standins, http, token, [_record("c")]).json()[0]["success"] is True


def test_fail_records_through_the_admin_endpoint(standins: Standins, http: requests.Session, token: str) -> None:
    response = http.post(
        f"{standins.salesforce.base_url}/__admin/call/fail_records",
        json={"sobject": OBJECT, "status_code": "UNABLE_TO_LOCK_ROW", "times": 1},
        timeout=5,
    )
    assert response.status_code == 200
    assert _upsert(standins, http, token, [_record("c")]).json()[0]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"

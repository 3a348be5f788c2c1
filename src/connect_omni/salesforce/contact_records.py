"""``awsac__SCC_ContactTraceRecord__c`` in Salesforce: many records per request, and what is already there.

- :meth:`ContactTraceRecordObject.upsert`: the sObject Collections upsert,
  ``PATCH /services/data/vXX.X/composite/sobjects/awsac__SCC_ContactTraceRecord__c/awsac__ContactId__c`` with
  ``{"allOrNone": false, "records": [{"attributes": {"type": ...}, field: value, ...}]}``, at most 200 records.
  Salesforce answers 200 with one result per record, in request order: ``{"id", "success", "errors":
  [{"statusCode", "message", "fields"}], "created"}``; a malformed request is a 400 for the whole request.
  (developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_upsert.htm,
  "Upsert Up to 200 Records Using an External ID")
- :meth:`ContactTraceRecordObject.stored_versions`: one SOQL query for the ``awsac__LastUpdateTimestamp__c`` of
  up to 200 contacts (``WHERE awsac__ContactId__c IN (...)``).

Both go through :class:`~connect_omni.salesforce.rest.RestClient` (simple-salesforce ``restful`` and
``query_all``), so the container's token, the invocation's budget and the transport's retries apply. An upsert by
external id is idempotent: sending the same records again leaves the same records, which is what makes the
retries (and Kinesis redelivery) safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connect_omni.budget import Budget
from connect_omni.errors import SalesforceUnavailableError
from connect_omni.models.ctr import CONTACT_ID_FIELD, LAST_UPDATE_FIELD, SCC_CONTACT_TRACE_RECORD
from connect_omni.observability import tracer
from connect_omni.salesforce.rest import RestClient

#: sObject Collections take at most 200 records per request.
MAX_RECORDS_PER_REQUEST = 200
#: Contact ids per SOQL query: 200 UUIDs quoted and URL-encoded are about 9,000 characters of URL, well under
#: the REST API's URI limit (16,384 bytes).
MAX_IDS_PER_QUERY = 200


@dataclass(frozen=True)
class RecordError:
    """One entry of an UpsertResult's ``errors``: ``statusCode`` (e.g. ``UNABLE_TO_LOCK_ROW``), ``message``
    (may quote the value sent: not for logs), ``fields`` (API names)."""

    status_code: str
    message: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class UpsertResult:
    """The outcome of one record of an sObject Collections upsert (``created`` is None on failure)."""

    success: bool
    id: str | None
    created: bool | None
    errors: tuple[RecordError, ...]


class ContactTraceRecordObject:
    """The upsert and the read-back of ``awsac__SCC_ContactTraceRecord__c``.

    Parameters
    ----------
    rest:
        The container's :class:`RestClient`.
    """

    collection_path = f"composite/sobjects/{SCC_CONTACT_TRACE_RECORD}/{CONTACT_ID_FIELD}"

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    @tracer.capture_method(capture_response=False)
    def upsert(self, records: Sequence[Mapping[str, Any]], budget: Budget) -> list[UpsertResult]:
        """Upsert up to 200 records by ``awsac__ContactId__c``, ``allOrNone`` false.

        Parameters
        ----------
        records:
            Field API name -> value, as :meth:`ContactTraceRecord.salesforce_fields` gives them.

        Returns
        -------
        list of UpsertResult
            One per record, in the order of ``records``.

        Raises
        ------
        ValueError
            No records, or more than :data:`MAX_RECORDS_PER_REQUEST`.
        SalesforceError, SalesforceAuthError, SalesforceUnavailableError, BudgetExhaustedError
            The whole request failed (see :meth:`RestClient.call`); a 200 whose body is not one result per
            record is a :class:`SalesforceUnavailableError` (the records may or may not have been written).
        """
        if not 1 <= len(records) <= MAX_RECORDS_PER_REQUEST:
            raise ValueError(f"records: expected 1 to {MAX_RECORDS_PER_REQUEST}, got {len(records)}")
        operation = f"PATCH {self.collection_path}"
        body = {
            "allOrNone": False,
            "records": [{"attributes": {"type": SCC_CONTACT_TRACE_RECORD}, **record} for record in records],
        }
        answer = self.rest.call(
            operation, budget, lambda sf: sf.restful(self.collection_path, method="PATCH", json=body)
        )
        if not isinstance(answer, list) or len(answer) != len(records):
            got = f"{len(answer)} results" if isinstance(answer, list) else type(answer).__name__
            raise SalesforceUnavailableError(
                operation, status=200, detail=f"expected {len(records)} results in request order, got {got}"
            )
        return [_upsert_result(item) for item in answer]

    @tracer.capture_method(capture_response=False)
    def stored_versions(self, contact_ids: Sequence[str], budget: Budget) -> dict[str, datetime | None]:
        """The ``awsac__LastUpdateTimestamp__c`` already in Salesforce for each contact that has a record.

        Parameters
        ----------
        contact_ids:
            Up to :data:`MAX_IDS_PER_QUERY` Connect contact ids.

        Returns
        -------
        dict
            Contact id -> stored LastUpdateTimestamp (UTC; ``None`` when the record has none or it cannot be
            read); contacts without a record are absent. With several records for one contact, the newest.

        Raises
        ------
        ValueError
            More than :data:`MAX_IDS_PER_QUERY` ids.
        SalesforceError, SalesforceAuthError, SalesforceUnavailableError, BudgetExhaustedError
            As :meth:`RestClient.call`.
        """
        if len(contact_ids) > MAX_IDS_PER_QUERY:
            raise ValueError(f"contact_ids: expected at most {MAX_IDS_PER_QUERY}, got {len(contact_ids)}")
        if not contact_ids:
            return {}
        from simple_salesforce import format_soql

        # Only the contact ids are data, and format_soql quotes them; the names are this module's constants.
        soql = format_soql(
            f"SELECT {CONTACT_ID_FIELD}, {LAST_UPDATE_FIELD} FROM {SCC_CONTACT_TRACE_RECORD} "  # noqa: S608
            f"WHERE {CONTACT_ID_FIELD} IN {{}}",
            list(contact_ids),
        )
        result = self.rest.call(
            f"SOQL {SCC_CONTACT_TRACE_RECORD}", budget, lambda sf: sf.query_all(soql), expect_json_object=True
        )
        stored: dict[str, datetime | None] = {}
        for row in (result or {}).get("records", []):
            contact_id = row.get(CONTACT_ID_FIELD)
            if not isinstance(contact_id, str):
                continue
            version = _salesforce_datetime(row.get(LAST_UPDATE_FIELD))
            previous = stored.get(contact_id)
            stored[contact_id] = version if previous is None or (version and version > previous) else previous
        return stored


def _upsert_result(item: Any) -> UpsertResult:
    if not isinstance(item, Mapping):
        return UpsertResult(False, None, None, (RecordError("UNEXPECTED_RESULT", "not an UpsertResult", ()),))
    errors = tuple(
        RecordError(
            str(e.get("statusCode", "UNKNOWN")),
            str(e.get("message", "")),
            tuple(str(f) for f in (e.get("fields") or ())),
        )
        for e in (item.get("errors") or ())
        if isinstance(e, Mapping)
    )
    success = item.get("success") is True
    return UpsertResult(success, item.get("id"), item.get("created") if success else None, errors)


def _salesforce_datetime(value: Any) -> datetime | None:
    """A REST DateTime (``2025-01-14T00:14:41.000+0000``) as an aware UTC datetime, None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

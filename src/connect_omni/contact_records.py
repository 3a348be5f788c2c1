"""Use case: a Kinesis batch of Amazon Connect CTRs -> SCC-AC's ``awsac__SCC_ContactTraceRecord__c`` records.

Every record of the batch is accounted for, in this order (each outcome is counted, and logged with the
contact id and the Kinesis sequence number, never the CTR's attributes):

1. **invalid**: ``data`` is not base64 of a JSON CTR (:meth:`ContactTraceRecord.from_kinesis_data`). Logged as
   an error and counted, not retried: the stream would deliver the same bytes again.
2. **skipped**: ``Attributes.source`` is not ``SCCAC`` or ``Attributes.callCenterId`` is not
   ``CALL_CENTER_ID``, the contacts CreateMessagingSession did not open for this call center (SCC-AC's rule).
3. **superseded**: another record of the batch holds a newer version of the same contact's CTR (later
   ``LastUpdateTimestamp``; on a tie, later in the stream). Connect sends a contact's CTR again when it
   changes and delivers at least once; only the newest copy is sent (ctr-data-model: "Use the
   LastUpdateTimestamp ... Then use the ContactId property for deduplication").
4. **stale**: Salesforce already holds a newer version (its ``awsac__LastUpdateTimestamp__c`` is later), read
   with one SOQL query per 200 contacts. This is what keeps order across batches: a Kinesis retry, a replay, a
   late redelivery or a copy from another shard never replaces a newer record with an older one. An equal
   version is written again (harmless, and two updates can share a second).
5. **stored** / **rejected** / **failed**: the rest is upserted, up to 200 per request. Per-record errors of
   the collection response are split: transient ones (:data:`TRANSIENT_RECORD_ERRORS`: a locked row, a
   concurrent insert of the same contact) make that record **failed**; any other error is a **rejection**
   (the record can never be stored as it is: logged as an error with its ``statusCode`` and ``fields``,
   counted, not retried). A whole request that fails (429/5xx/connection after the transport's retries, 4xx,
   token, budget) makes every record of that request **failed**; after a transient failure the requests not
   yet sent are not attempted and their records are **failed** too.

Only **failed** records are reported to Lambda (``batchItemFailures``), so Lambda retries from the oldest of
them. A superseded record is not reported when its newer copy fails: the retry resends the newer copy, which
holds everything the older one did.

The check in step 4 and the upsert are two requests: two versions of one contact upserted at the same moment
by two invocations (two shards) can still end with the older one. Connect puts a contact's updates on the
stream in order, and one shard is processed by one invocation at a time, so this needs two shards racing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connect_omni.budget import Budget
from connect_omni.errors import (
    BudgetExhaustedError,
    ConfigurationError,
    ConnectOmniError,
    SalesforceAuthError,
    SalesforceError,
    SalesforceUnavailableError,
)
from connect_omni.models.ctr import ContactTraceRecord, InvalidContactTraceRecordError
from connect_omni.observability import count, log_failure, logger
from connect_omni.salesforce.contact_records import (
    MAX_IDS_PER_QUERY,
    MAX_RECORDS_PER_REQUEST,
    UpsertResult,
)

#: The ``source`` attribute CreateMessagingSession sets on the contacts it opens.
SOURCE = "SCCAC"
#: Per-record ``statusCode`` values worth retrying: the row was locked by another transaction, an internal
#: error, the same contact inserted concurrently (the retry finds the record and updates it), or a result we
#: could not read (the record may or may not have been written; the upsert is idempotent).
TRANSIENT_RECORD_ERRORS = frozenset({"UNABLE_TO_LOCK_ROW", "UNKNOWN_EXCEPTION", "DUPLICATE_VALUE", "UNEXPECTED_RESULT"})
#: Whole-request failures after which the requests not yet sent are not attempted.
_STOP_ERRORS = (SalesforceUnavailableError, SalesforceAuthError, BudgetExhaustedError, ConfigurationError)
#: The outcomes; every record of a batch gets exactly one (each has its metric, see :func:`_count`).
OUTCOMES = ("invalid", "skipped", "superseded", "stale", "stored", "rejected", "failed")


class KinesisRecordLike(Protocol):
    """What is read of a Lambda Kinesis event record (Powertools' ``KinesisStreamRecord`` fits)."""

    @property
    def kinesis(self) -> Any:  # .sequence_number (str), .data (base64 str)  # pragma: no cover - protocol
        ...


class ContactRecordStore(Protocol):
    """The adapter (:class:`connect_omni.salesforce.contact_records.ContactTraceRecordObject`)."""

    def upsert(self, records: Sequence[dict[str, Any]], budget: Budget) -> list[UpsertResult]: ...

    def stored_versions(self, contact_ids: Sequence[str], budget: Budget) -> dict[str, Any]: ...


class ContactRecordNotStoredError(ConnectOmniError):
    """Raised for a record reported to Lambda as failed (its sequence number goes into ``batchItemFailures``)."""


@dataclass
class _Item:
    sequence_number: str
    ctr: ContactTraceRecord


@dataclass
class BatchReport:
    """What happened to each record of one batch.

    Attributes
    ----------
    outcomes:
        Kinesis sequence number -> ``invalid`` | ``skipped`` | ``superseded`` | ``stale`` | ``stored`` |
        ``rejected`` | ``failed``.
    created:
        How many stored records Salesforce created (the rest were updates).
    requests:
        Salesforce requests made (queries and upserts, without the transport's retries).
    """

    outcomes: dict[str, str] = field(default_factory=dict)
    created: int = 0
    requests: int = 0

    @property
    def failed(self) -> list[str]:
        """Sequence numbers of the records to report to Lambda, in batch order."""
        return [seq for seq, outcome in self.outcomes.items() if outcome == "failed"]

    def raise_if_not_stored(self, record: KinesisRecordLike) -> None:
        """The record handler given to Powertools' batch processor: raises for a **failed** record.

        Raises
        ------
        ContactRecordNotStoredError
            When the record's outcome is ``failed``.
        """
        if self.outcomes.get(record.kinesis.sequence_number) == "failed":
            raise ContactRecordNotStoredError(f"record {record.kinesis.sequence_number} not stored; retry")

    def counts(self) -> dict[str, int]:
        """Outcome -> number of records (every outcome present, zeros included)."""
        tally = Counter(self.outcomes.values())
        return {outcome: tally.get(outcome, 0) for outcome in OUTCOMES}

    def summary(self) -> dict[str, Any]:
        """Counts, ``created``, ``requests`` and the failed sequence numbers, for the handler's log line."""
        return {**self.counts(), "created": self.created, "requests": self.requests, "failedRecords": self.failed}


def store_contact_records(
    records: Sequence[KinesisRecordLike],
    budget: Budget,
    *,
    call_center_id: str,
    store: ContactRecordStore,
) -> BatchReport:
    """Store the batch's CTRs of this call center in Salesforce (see the module docstring).

    Parameters
    ----------
    records:
        The event's records, in stream order.
    call_center_id:
        ``CALL_CENTER_ID``: only CTRs whose ``Attributes.callCenterId`` equals it are stored.
    store:
        The Salesforce adapter.

    Returns
    -------
    BatchReport
        An outcome for every record. Never raises for a Salesforce or budget failure: those records are
        ``failed``.
    """
    report = BatchReport()
    newest: dict[str, _Item] = {}
    for record in records:
        sequence_number = record.kinesis.sequence_number
        ctr = _decode(sequence_number, record.kinesis.data, report)
        if ctr is None:
            continue
        if ctr.attribute("source") != SOURCE or ctr.attribute("callCenterId") != call_center_id:
            report.outcomes[sequence_number] = "skipped"
            logger.debug(
                "Not an SCC-AC contact of this call center; skipped",
                extra={"contact_id": ctr.contact_id, "sequence_number": sequence_number},
            )
            continue
        item = _Item(sequence_number, ctr)
        kept = newest.get(ctr.contact_id)
        if kept is not None and kept.ctr.version > ctr.version:
            _supersede(report, item, kept)
            continue
        if kept is not None:
            _supersede(report, kept, item)
        newest[ctr.contact_id] = item

    pending = _drop_stale(list(newest.values()), budget, store, report)
    for start in range(0, len(pending), MAX_RECORDS_PER_REQUEST):
        chunk = pending[start : start + MAX_RECORDS_PER_REQUEST]
        try:
            report.requests += 1
            results = store.upsert([i.ctr.salesforce_fields() for i in chunk], budget)
        except _STOP_ERRORS as exc:
            contact_ids, sequence_numbers = _fail(report, pending[start:])
            log_failure(
                "Upsert failed; these and the later records are reported for retry",
                exc,
                extra={"contact_ids": contact_ids, "sequence_numbers": sequence_numbers},
            )
            break
        except SalesforceError as exc:
            contact_ids, sequence_numbers = _fail(report, chunk)
            log_failure(
                "Upsert refused as a whole; the records are reported for retry",
                exc,
                extra={"contact_ids": contact_ids, "sequence_numbers": sequence_numbers},
            )
            continue
        for item, result in zip(chunk, results, strict=True):
            _record_result(report, item, result)

    _count(report.counts())
    return report


def _count(tally: dict[str, int]) -> None:
    """One count metric per outcome, zeros included (a dashboard then sees every batch)."""
    count("ContactRecordsInvalid", tally["invalid"])
    count("ContactRecordsSkipped", tally["skipped"])
    count("ContactRecordsSuperseded", tally["superseded"])
    count("ContactRecordsStale", tally["stale"])
    count("ContactRecordsStored", tally["stored"])
    count("ContactRecordsRejected", tally["rejected"])
    count("ContactRecordsFailed", tally["failed"])


def _decode(sequence_number: str, data: Any, report: BatchReport) -> ContactTraceRecord | None:
    try:
        return ContactTraceRecord.from_kinesis_data(data)
    except InvalidContactTraceRecordError as exc:
        report.outcomes[sequence_number] = "invalid"
        logger.error(
            "Not a contact trace record; dropped (never retried)",
            extra={"sequence_number": sequence_number, "field": exc.field, "error": str(exc)},
        )
        return None


def _supersede(report: BatchReport, older: _Item, newer: _Item) -> None:
    report.outcomes[older.sequence_number] = "superseded"
    logger.info(
        "Older copy of the contact's CTR in the batch; only the newest is sent",
        extra={
            "contact_id": older.ctr.contact_id,
            "sequence_number": older.sequence_number,
            "newer_sequence_number": newer.sequence_number,
        },
    )


def _drop_stale(items: list[_Item], budget: Budget, store: ContactRecordStore, report: BatchReport) -> list[_Item]:
    """The items Salesforce holds no newer version of; a failed read fails the items it was for."""
    pending: list[_Item] = []
    for start in range(0, len(items), MAX_IDS_PER_QUERY):
        chunk = items[start : start + MAX_IDS_PER_QUERY]
        try:
            report.requests += 1
            stored = store.stored_versions([i.ctr.contact_id for i in chunk], budget)
        except (*_STOP_ERRORS, SalesforceError) as exc:
            stop = isinstance(exc, _STOP_ERRORS)
            contact_ids, sequence_numbers = _fail(report, items[start:] if stop else chunk)
            log_failure(
                "Could not read the stored versions; records reported for retry",
                exc,
                extra={"contact_ids": contact_ids, "sequence_numbers": sequence_numbers},
            )
            if stop:
                break
            continue
        for item in chunk:
            version = stored.get(item.ctr.contact_id)
            if version is not None and version > item.ctr.version:
                report.outcomes[item.sequence_number] = "stale"
                logger.info(
                    "Salesforce already holds a newer version of the contact's CTR; not sent",
                    extra={"contact_id": item.ctr.contact_id, "sequence_number": item.sequence_number},
                )
            else:
                pending.append(item)
    return pending


def _fail(report: BatchReport, items: Iterable[_Item]) -> tuple[list[str], list[str]]:
    """Mark ``items`` failed; returns their contact ids and sequence numbers, for the log line."""
    items = list(items)
    for item in items:
        report.outcomes[item.sequence_number] = "failed"
    return [i.ctr.contact_id for i in items], [i.sequence_number for i in items]


def _record_result(report: BatchReport, item: _Item, result: UpsertResult) -> None:
    where = {"contact_id": item.ctr.contact_id, "sequence_number": item.sequence_number}
    if result.success:
        report.outcomes[item.sequence_number] = "stored"
        report.created += bool(result.created)
        logger.info(
            "Contact record upserted", extra={**where, "record_id": result.id, "record_created": result.created}
        )
        return
    # Salesforce's message may quote the value sent (attributes): log the code and the fields only.
    errors = [{"status_code": e.status_code, "fields": list(e.fields)} for e in result.errors]
    if all(e.status_code in TRANSIENT_RECORD_ERRORS for e in result.errors):  # no errors at all: retry too
        report.outcomes[item.sequence_number] = "failed"
        logger.warning("Contact record not stored (transient); reported for retry", extra={**where, "errors": errors})
    else:
        report.outcomes[item.sequence_number] = "rejected"
        logger.error(
            "Contact record rejected by Salesforce; dropped (never retried)",
            extra={**where, "errors": errors},
        )

"""ContactTraceRecordFunction: Amazon Connect CTRs on a Kinesis stream -> ``awsac__SCC_ContactTraceRecord__c``.

Trigger: a Kinesis event source mapping on the stream Connect's data streaming writes CTRs to
(``FunctionResponseTypes: [ReportBatchItemFailures]``). Every record of every batch is handled (see
:mod:`connect_omni.contact_records`); the answer is Lambda's partial batch response,
``{"batchItemFailures": [{"itemIdentifier": <sequence number>}, ...]}`` naming only the records to retry,
built by Powertools' batch processor (docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html).

Integrations: Secrets Manager and the Salesforce token endpoint (cold start), the REST API's SOQL query and
sObject Collections upsert on ``awsac__SCC_ContactTraceRecord__c``. Every log line names the contact id and the
Kinesis sequence number; CTR attributes are never logged.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from connect_omni import container
from connect_omni.budget import Budget, start_invocation
from connect_omni.contact_records import store_contact_records
from connect_omni.errors import ConnectOmniError
from connect_omni.observability import count, log_failure, logger, metrics, tracer

#: One processor per container (it keeps no state between invocations: ``_prepare`` clears it). With
#: ``raise_on_entire_batch_failure=False`` a batch whose every record failed is still a partial batch response
#: (every item listed) rather than a function error, so bisecting only happens on a real crash.
processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Handle one Kinesis batch; returns ``{"batchItemFailures": [...]}``.

    An event without a ``Records`` list of Kinesis records is logged and answered with no failures (there is
    nothing to retry). :class:`~connect_omni.errors.ConnectOmniError` before any record is handled (bad
    configuration) is logged and re-raised: Lambda retries the batch, bisecting it, then sends it to the
    on-failure destination.
    """
    init_s = start_invocation()
    raw = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(raw, list) or not all(_is_kinesis_record(r) for r in raw):
        count("InputErrors")
        logger.error("Not a Kinesis event (Records with kinesis.sequenceNumber); nothing to do")
        return {"batchItemFailures": []}
    if not raw:
        return {"batchItemFailures": []}
    records = [KinesisStreamRecord(r) for r in raw]
    logger.append_keys(records=len(records), event_source_arn=records[0].event_source_arn)
    try:
        settings = container.settings()
        budget = Budget.from_context(context, settings.budget_margin_ms, init_s)
        report = store_contact_records(
            records, budget, call_center_id=settings.call_center_id, store=container.contact_records()
        )
    except ConnectOmniError as exc:
        count("Failures")
        log_failure("Failed before handling the batch; Lambda retries it", exc)
        raise
    response = process_partial_response(
        event=event, record_handler=report.raise_if_not_stored, processor=processor, context=context
    )
    logger.info("Batch done", extra={"summary": report.summary()})
    return dict(response)


def _is_kinesis_record(record: Any) -> bool:
    kinesis = record.get("kinesis") if isinstance(record, dict) else None
    return isinstance(kinesis, dict) and isinstance(kinesis.get("sequenceNumber"), str)

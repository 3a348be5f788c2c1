"""Property-based: any bytes on the stream are a CTR or a named InvalidContactTraceRecordError, never a crash;
and for any batch, exactly the newest copy of each of our contacts is sent and every record gets one outcome."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connect_omni.budget import Budget
from connect_omni.contact_records import store_contact_records
from connect_omni.models.ctr import (
    CONTACT_ID_FIELD,
    LAST_UPDATE_FIELD,
    ContactTraceRecord,
    InvalidContactTraceRecordError,
)
from tests.conftest import CALL_CENTER_ID, fuzz_examples
from tests.contact_records.kinesis import ctr, record
from tests.contact_records.test_use_case import FakeStore

PROPERTIES = settings(
    max_examples=fuzz_examples(150), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
ctr_like = st.fixed_dictionaries(
    {},
    optional={
        "ContactId": json_values | st.text(min_size=1, max_size=40),
        "LastUpdateTimestamp": json_values | st.just("2025-03-15T00:08:02Z"),
        "DisconnectTimestamp": json_values,
        "AgentConnectionAttempts": json_values,
        "Agent": json_values | st.fixed_dictionaries({}, optional={"AgentInteractionDuration": json_values}),
        "Queue": json_values | st.fixed_dictionaries({}, optional={"Duration": json_values, "Name": json_values}),
        "Attributes": json_values,
        "References": json_values,
        "SegmentAttributes": json_values,
    },
)


@PROPERTIES
@given(st.one_of(st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()), st.text(max_size=60),
                 ctr_like.map(lambda d: base64.b64encode(json.dumps(d).encode()).decode())))  # fmt: skip
def test_any_data_is_a_ctr_or_a_named_invalid_record(data):
    try:
        parsed = ContactTraceRecord.from_kinesis_data(data)
    except InvalidContactTraceRecordError as exc:
        assert exc.field and str(exc).startswith(f"{exc.field}: expected ")
        return
    fields = parsed.salesforce_fields()
    json.dumps(fields)  # what is sent is JSON
    assert fields[CONTACT_ID_FIELD] == parsed.contact_id and parsed.contact_id
    assert all(v is None or isinstance(v, str | int) for v in fields.values())


BASE = datetime(2025, 3, 15, tzinfo=UTC)
copies = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C", "D"]),  # contact
        st.integers(0, 5),  # LastUpdateTimestamp, seconds after BASE
        st.sampled_from(["ours", "ours", "other-source", "other-center", "poison"]),
    ),
    max_size=25,
)


@PROPERTIES
@given(copies, st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.integers(0, 5), max_size=4))
def test_the_newest_copy_of_each_of_our_contacts_is_sent_once_unless_salesforce_has_newer(batch, in_salesforce):
    records, newest = [], {}
    for contact, second, kind in batch:
        updated = BASE + timedelta(seconds=second)
        if kind == "poison":
            records.append(record("not base64 !"))
            continue
        payload = ctr(
            contact,
            updated=updated,
            source="SCCAC" if kind != "other-source" else "Other",
            call_center_id=CALL_CENTER_ID if kind != "other-center" else "04v000000000000AAA",
        )
        records.append(record(payload))
        if kind == "ours" and (contact not in newest or updated >= newest[contact][0]):
            newest[contact] = (updated, records[-1]["kinesis"]["sequenceNumber"])
    store = FakeStore(versions={c: BASE + timedelta(seconds=s) for c, s in in_salesforce.items()})
    report = store_contact_records(
        [KinesisStreamRecord(r) for r in records], Budget.of_seconds(30), call_center_id=CALL_CENTER_ID, store=store
    )
    expected = {c: (t, seq) for c, (t, seq) in newest.items() if c not in in_salesforce or t >= store.versions[c]}
    sent = [f for request in store.upserts for f in request]
    assert sorted(f[CONTACT_ID_FIELD] for f in sent) == sorted(expected)  # each at most once
    for fields in sent:
        t, seq = expected[fields[CONTACT_ID_FIELD]]
        assert fields[LAST_UPDATE_FIELD] == t.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert report.outcomes[seq] == "stored"
    assert set(report.outcomes) == {r["kinesis"]["sequenceNumber"] for r in records}
    assert report.failed == []
    assert sum(report.counts().values()) == len(records)

"""Custom sObjects of the emulated org and the REST API's sObject Collections upsert.

``PATCH /services/data/vNN.N/composite/sobjects/{SobjectName}/{ExternalIdFieldName}`` with
``{"allOrNone": bool, "records": [{"attributes": {"type": SobjectName}, field: value, ...}]}``
(developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_upsert.htm,
"Upsert Up to 200 Records Using an External ID"). As Salesforce does:

- a request that is not well formed is refused as a whole with a REST error body
  ``[{"message", "errorCode"}]``: more than 200 records (400 ``EXCEEDED_ID_LIMIT``), a record without
  ``attributes.type`` or of another type (400 ``INVALID_TYPE``), a field the object does not have
  (400 ``INVALID_FIELD``, "No such column ..."), a value that cannot be read as the field's type
  (400 ``JSON_PARSER_ERROR``), an unknown object (404 ``NOT_FOUND``) or a field that is not an external id
  (404 ``NOT_FOUND``);
- otherwise the answer is 200 with one UpsertResult per record, in request order: ``{"id", "success": true,
  "errors": [], "created"}``, or ``{"success": false, "errors": [{"statusCode", "message", "fields"}]}`` for a
  record that fails (``STRING_TOO_LONG``, ``REQUIRED_FIELD_MISSING`` without an external id value,
  ``DUPLICATE_EXTERNAL_ID`` for the same external id twice in one request, ``INVALID_FIELD_FOR_INSERT_UPDATE``
  for a read-only field, or an injected error);
- ``allOrNone: true`` rolls everything back when one record fails: the failing records keep their errors, the
  others answer ``ALL_OR_NONE_OPERATION_ROLLED_BACK`` and nothing is stored.

Stored DateTime values read back in Salesforce's REST form ``2025-01-14T00:14:41.000+0000``; every record gets an
``Id``, ``CreatedDate``, ``LastModifiedDate`` and ``SystemModstamp``.

The declared object is SCC-AC's ``awsac__SCC_ContactTraceRecord__c``: the field names are those SCC-AC's own
ContactTraceRecord Lambda writes. Salesforce does not publish the managed package's field metadata, so the types
and lengths below are the emulator's assumption (Text 255, Long Text Area 131,072 for the JSON fields, Number,
DateTime); the checks that depend on them are marked in tests that use them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .ids import new_id
from .soql import ObjectSchema

FieldType = Literal["text", "long_text", "number", "datetime", "id"]
MAX_RECORDS = 200
_SYSTEM_FIELDS = ("Id", "Name", "CreatedDate", "LastModifiedDate", "SystemModstamp")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a declared sObject.

    Attributes
    ----------
    name : str
        API name.
    type : {"text", "long_text", "number", "datetime", "id"}
        Its type.
    length : int
        Maximum characters for text types.
    external_id : bool
        An external id (unique) that upserts may match on.
    writable : bool
        False for system fields.
    """

    name: str
    type: FieldType = "text"
    length: int = 255
    external_id: bool = False
    writable: bool = True


@dataclass(frozen=True)
class SObjectType:
    """A declared sObject: API name, key prefix and fields (system fields added)."""

    name: str
    key_prefix: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        """The field named ``name`` exactly (REST field names in JSON bodies are case-sensitive), or None."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def schema(self) -> ObjectSchema:
        """What :mod:`.soql` needs to query it."""
        return ObjectSchema(self.name, tuple(f.name for f in self.fields), frozenset({"Id"}))


def _system(name: str) -> FieldSpec:
    return FieldSpec(name, "id" if name == "Id" else "datetime" if name != "Name" else "text", writable=False)


def _ctr_fields() -> tuple[FieldSpec, ...]:
    text = [
        "Channel", "Channel_Revamped", "DisconnectReason", "DisconnectReason_Revamped", "Initiation_Method",
        "Initiation_Method_Revamped", "AWSAccountId", "AgentARN", "AgentRoutingProfileARN",
        "AgentRoutingProfileName", "AgentUsername", "InitialContactId", "InstanceARN", "NextContactId",
        "PreviousContactId", "QueueARN", "QueueName",
    ]  # fmt: skip
    datetimes = [
        "AfterContactWorkEndTimestamp", "AfterContactWorkStartTimestamp", "AgentConnectedToAgentTimestamp",
        "ConnectedToSystemTimestamp", "DisconnectTimestamp", "InitiationTimestamp", "LastUpdateTimestamp",
        "QueueDequeueTimestamp", "QueueEnqueueTimestamp", "TransferCompletedTimestamp",
    ]  # fmt: skip
    numbers = ["AfterContactWorkDuration", "AgentConnectionAttempts", "AgentInteractionDuration", "QueueDuration"]
    json_text = ["AgentHierarchyGroup", "Attributes", "References", "SegmentAttributes"]
    specs = [FieldSpec("awsac__ContactId__c", external_id=True)]
    specs += [FieldSpec(f"awsac__{n}__c") for n in text]
    specs += [FieldSpec(f"awsac__{n}__c", "datetime") for n in datetimes]
    specs += [FieldSpec(f"awsac__{n}__c", "number") for n in numbers]
    specs += [FieldSpec(f"awsac__{n}__c", "long_text", 131_072) for n in json_text]
    return tuple(_system(n) for n in _SYSTEM_FIELDS) + tuple(specs)


#: SCC-AC's contact record object (see the module docstring).
CONTACT_TRACE_RECORD = SObjectType("awsac__SCC_ContactTraceRecord__c", "a0C", _ctr_fields())
DECLARED: tuple[SObjectType, ...] = (CONTACT_TRACE_RECORD,)


class RestError(Exception):
    """A whole-request REST error: ``status`` and the body ``[{"message", "errorCode"}]``."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def body(self) -> list[dict[str, str]]:
        return [{"message": self.message, "errorCode": self.error_code}]


@dataclass
class RecordFault:
    """An injected per-record error: the next ``remaining`` records (of ``sobject``, whose external id is in
    ``external_ids`` when given) fail with ``status_code`` / ``message`` / ``fields``; None = every one."""

    sobject: str
    status_code: str
    message: str
    fields: list[str]
    external_ids: set[str] | None
    remaining: int | None


def _error(status_code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": status_code, "message": message, "fields": list(fields or [])}


def _salesforce_datetime(value: str) -> str:
    """ISO-8601 -> ``2025-01-14T00:14:41.000+0000``; raises ValueError when unreadable."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}+0000"


def _now() -> str:
    return _salesforce_datetime(datetime.now(UTC).isoformat())


@dataclass
class SObjectStore:
    """The records of the declared sObjects, by type then external-id value, and injected record faults."""

    types: tuple[SObjectType, ...] = DECLARED
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    faults: list[RecordFault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def type(self, name: str) -> SObjectType | None:
        """The declared type named ``name`` (case-insensitive, as REST URLs are), or None."""
        return next((t for t in self.types if t.name.lower() == name.lower()), None)

    def all(self, sobject: str) -> list[dict[str, Any]]:
        """Copies of the stored records of ``sobject``, oldest first."""
        with self.lock:
            return [dict(r) for r in self.records.get(sobject, {}).values()]

    def clear(self) -> None:
        """Forget every record and record fault."""
        with self.lock:
            self.records.clear()
            self.faults.clear()

    def add_fault(self, fault: RecordFault) -> None:
        """Append a per-record fault (``remaining`` positive or None)."""
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be >= 1 (or None for every record)")
        with self.lock:
            self.faults.append(fault)

    def _take_fault(self, sobject: str, external_id: Any) -> RecordFault | None:
        for fault in list(self.faults):
            if fault.sobject.lower() != sobject.lower():
                continue
            if fault.external_ids is not None and external_id not in fault.external_ids:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
            return fault
        return None

    def upsert(self, sobject: str, external_id_field: str, body: Any) -> list[dict[str, Any]]:
        """Apply an sObject Collections upsert (see the module docstring).

        Returns
        -------
        list of dict
            The UpsertResults, in request order.

        Raises
        ------
        RestError
            When the request is refused as a whole.
        """
        kind = self.type(sobject)
        if kind is None:
            raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
        ext = kind.field(external_id_field)
        if ext is None or not ext.external_id:
            raise RestError(
                404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {external_id_field}"
            )
        if not isinstance(body, Mapping) or not isinstance(body.get("records"), list):
            raise RestError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object with a records list")
        records = body["records"]
        if len(records) > MAX_RECORDS:
            message = f"Record limit reached. Cannot submit more than {MAX_RECORDS} records into this call"
            raise RestError(400, "EXCEEDED_ID_LIMIT", message)
        all_or_none = body.get("allOrNone", False) is True
        parsed = [self._parse(kind, record) for record in records]  # whole-request errors first

        with self.lock:
            seen: dict[Any, int] = {}
            for values in parsed:
                key = values.get(ext.name)
                if key is not None:
                    seen[key] = seen.get(key, 0) + 1
            results: list[dict[str, Any]] = []
            accepted: list[tuple[int, dict[str, Any]]] = []
            for index, values in enumerate(parsed):
                key = values.get(ext.name)
                errors = self._record_errors(kind, ext, values, seen)
                if not errors:
                    fault = self._take_fault(kind.name, key)
                    if fault is not None:
                        errors = [_error(fault.status_code, fault.message, fault.fields)]
                if errors:
                    results.append({"success": False, "errors": errors})
                else:
                    results.append({})  # filled in below
                    accepted.append((index, values))
            if all_or_none and len(accepted) < len(parsed):
                rolled_back = _error(
                    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                    "Record rolled back because not all records were valid and the request was using AllOrNone header",
                )
                for index, _ in accepted:
                    results[index] = {"success": False, "errors": [dict(rolled_back)]}
                return results
            table = self.records.setdefault(kind.name, {})
            for index, values in accepted:
                key = values[ext.name]
                now = _now()
                existing = table.get(key)
                if existing is None:
                    record_id = new_id(kind.key_prefix)
                    table[key] = {"Id": record_id, "CreatedDate": now, "LastModifiedDate": now, "SystemModstamp": now}
                    table[key].update(values)
                    results[index] = {"id": record_id, "success": True, "errors": [], "created": True}
                else:
                    existing.update(values)
                    existing["LastModifiedDate"] = existing["SystemModstamp"] = now
                    results[index] = {"id": existing["Id"], "success": True, "errors": [], "created": False}
            return results

    @staticmethod
    def _parse(kind: SObjectType, record: Any) -> dict[str, Any]:
        """A record's field values, type-checked and normalised; raises RestError for what Salesforce refuses as
        a whole (an unknown field, an unreadable value, a missing or wrong ``attributes.type``)."""
        if not isinstance(record, Mapping):
            raise RestError(400, "JSON_PARSER_ERROR", "Each record must be a JSON object")
        attributes = record.get("attributes")
        if not isinstance(attributes, Mapping) or not attributes.get("type"):
            raise RestError(400, "INVALID_TYPE", "Must send a concrete entity type.")
        if str(attributes["type"]).lower() != kind.name.lower():
            raise RestError(400, "INVALID_TYPE", f"Collection items must be of type {kind.name}")
        values: dict[str, Any] = {}
        for name, value in record.items():
            if name == "attributes":
                continue
            spec = kind.field(name)
            if spec is None:
                raise RestError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {kind.name}")
            if value is None:
                values[name] = None
            elif spec.type == "number":
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise RestError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of double from {name}")
                values[name] = value
            elif spec.type == "datetime":
                try:
                    values[name] = _salesforce_datetime(value)
                except (TypeError, ValueError, AttributeError):
                    raise RestError(
                        400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of datetime from {name}"
                    ) from None
            elif isinstance(value, str):
                values[name] = value
            else:
                raise RestError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of string from {name}")
        return values

    @staticmethod
    def _record_errors(
        kind: SObjectType, ext: FieldSpec, values: dict[str, Any], seen: dict[Any, int]
    ) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        key = values.get(ext.name)
        if key is None or key == "":
            errors.append(_error("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{ext.name}]", [ext.name]))
        elif seen.get(key, 0) > 1:
            errors.append(_error("DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {key}", [ext.name]))
        for name, value in values.items():
            spec = kind.field(name)
            assert spec is not None
            if not spec.writable:
                errors.append(
                    _error(
                        "INVALID_FIELD_FOR_INSERT_UPDATE",
                        f"Unable to create/update fields: {name}. Please check the security settings of this field "
                        "and verify that it is read/write for your profile or permission set.",
                        [name],
                    )
                )
            elif isinstance(value, str) and spec.type in ("text", "long_text") and len(value) > spec.length:
                errors.append(
                    _error(
                        "STRING_TOO_LONG",
                        f"{name}: data value too large: {value[:20]}... (max length={spec.length})",
                        [name],
                    )
                )
        return errors

"""A tiny SOQL subset over the emulator's records (``CallCenterRoutingMap``, and the sObjects of
:mod:`.sobjects` such as ``awsac__SCC_ContactTraceRecord__c``).

Grammar (keywords case-insensitive, object and field names case-insensitive as in SOQL)::

    SELECT field [, field]... FROM <object>
        [WHERE cond [AND cond]...] [LIMIT n]
    cond := Field = 'value' | Field IN ('a', 'b', ...)

Field names of the object (Salesforce Object Reference, CallCenterRoutingMap, API 53.0+): ``Id``,
``CallCenterId``, ``ReferenceRecordId``, ``ExternalId``, ``QuickConnect``, ``DeveloperName``. Id-typed fields
(``Id``, ``CallCenterId``, ``ReferenceRecordId``) compare equal in their 15- and 18-character forms, as in
Salesforce.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .ids import same_id

OBJECT_NAME = "CallCenterRoutingMap"
FIELDS: tuple[str, ...] = ("Id", "CallCenterId", "ReferenceRecordId", "ExternalId", "QuickConnect", "DeveloperName")
_ID_FIELDS = frozenset({"Id", "CallCenterId", "ReferenceRecordId"})


class SoqlError(Exception):
    """A query the emulator rejects.

    Parameters
    ----------
    message : str
        Salesforce-like message.
    error_code : str
        ``MALFORMED_QUERY``, ``INVALID_FIELD`` or ``INVALID_TYPE`` (the REST API's errorCode values).
    """

    def __init__(self, message: str, error_code: str = "MALFORMED_QUERY") -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


@dataclass(frozen=True)
class ObjectSchema:
    """An object the queries may name.

    Attributes
    ----------
    name : str
        API name, e.g. ``CallCenterRoutingMap``.
    fields : tuple of str
        Its field API names (canonical case).
    id_fields : frozenset of str
        Id-typed fields, which compare equal in their 15- and 18-character forms.
    """

    name: str
    fields: tuple[str, ...]
    id_fields: frozenset[str] = frozenset({"Id"})

    def field(self, name: str) -> str:
        """The canonical name of field ``name`` (any case).

        Raises
        ------
        SoqlError
            ``INVALID_FIELD`` when the object has no such field.
        """
        for candidate in self.fields:
            if candidate.lower() == name.lower():
                return candidate
        raise SoqlError(f"No such column '{name}' on entity '{self.name}'.", "INVALID_FIELD")


CALL_CENTER_ROUTING_MAP = ObjectSchema(OBJECT_NAME, FIELDS, _ID_FIELDS)


@dataclass(frozen=True)
class Query:
    """A parsed query.

    Attributes
    ----------
    fields : tuple of str
        Canonical field names in SELECT order.
    conditions : tuple of (str, tuple of str)
        ``(field, allowed values)``; all must hold (AND).
    limit : int or None
        LIMIT, if given.
    object_name : str
        The object's canonical API name.
    id_fields : frozenset of str
        Its Id-typed fields.
    """

    fields: tuple[str, ...]
    conditions: tuple[tuple[str, tuple[str, ...]], ...]
    limit: int | None
    object_name: str = OBJECT_NAME
    id_fields: frozenset[str] = _ID_FIELDS


_QUERY_RE = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_STRING = r"'(?:[^'\\]|\\.)*'"
_COND_EQ = re.compile(rf"^\s*(?P<field>\w+)\s*=\s*(?P<value>{_STRING})\s*$", re.DOTALL)
_COND_IN = re.compile(
    rf"^\s*(?P<field>\w+)\s+IN\s*\(\s*(?P<values>{_STRING}(?:\s*,\s*{_STRING})*)\s*\)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_AND_SPLIT = re.compile(rf"\s+AND\s+(?=(?:[^']|{_STRING})*$)", re.IGNORECASE)


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def parse(soql: str, schemas: Iterable[ObjectSchema] = (CALL_CENTER_ROUTING_MAP,)) -> Query:
    """Parse a query of the supported subset.

    Parameters
    ----------
    soql : str
        The ``q`` parameter.
    schemas : iterable of ObjectSchema, optional
        The objects a query may name; ``CallCenterRoutingMap`` only by default.

    Returns
    -------
    Query
        The parsed query.

    Raises
    ------
    SoqlError
        For anything outside the subset (``MALFORMED_QUERY``), an unknown object (``INVALID_TYPE``) or an
        unknown field (``INVALID_FIELD``).
    """
    match = _QUERY_RE.match(soql)
    if match is None:
        raise SoqlError("unexpected token: the emulator supports SELECT ... FROM ... [WHERE ...] [LIMIT n]")
    schema = next((s for s in schemas if s.name.lower() == match["object"].lower()), None)
    if schema is None:
        raise SoqlError(f"sObject type '{match['object']}' is not supported.", "INVALID_TYPE")
    _field = schema.field
    raw_fields = [part.strip() for part in match["fields"].split(",")]
    if any(not re.fullmatch(r"\w+", part) for part in raw_fields):
        raise SoqlError("unexpected token in the field list (the emulator supports plain field names only)")
    fields = tuple(_field(part) for part in raw_fields)
    conditions: list[tuple[str, tuple[str, ...]]] = []
    if match["where"]:
        # The lookahead keeps AND inside quoted strings.
        for clause in _AND_SPLIT.split(match["where"]):
            eq = _COND_EQ.match(clause)
            if eq:
                conditions.append((_field(eq["field"]), (_unquote(eq["value"]),)))
                continue
            in_ = _COND_IN.match(clause)
            if in_:
                values = tuple(_unquote(v) for v in re.findall(_STRING, in_["values"]))
                conditions.append((_field(in_["field"]), values))
                continue
            raise SoqlError(f"unexpected token in WHERE clause: {clause.strip()!r}")
    limit = int(match["limit"]) if match["limit"] else None
    return Query(
        fields=fields, conditions=tuple(conditions), limit=limit, object_name=schema.name, id_fields=schema.id_fields
    )


def execute(query: Query, records: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    """Filter, project and limit records.

    Parameters
    ----------
    query : Query
        A parsed query.
    records : list of dict
        Records keyed by canonical field name.

    Returns
    -------
    list of dict
        Matching records with only the selected fields, in insertion order.
    """
    out: list[dict[str, str | None]] = []
    for record in records:
        if all(_matches(query, field, record.get(field), values) for field, values in query.conditions):
            out.append({field: record.get(field) for field in query.fields})
    return out[: query.limit] if query.limit is not None else out


def _matches(query: Query, field: str, actual: str | None, allowed: tuple[str, ...]) -> bool:
    if actual is None:
        return False
    if field in query.id_fields:
        return any(same_id(actual, value) for value in allowed)
    return actual in allowed

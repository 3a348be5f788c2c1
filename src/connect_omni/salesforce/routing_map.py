"""``CallCenterRoutingMap`` lookups: Salesforce queue or user id -> Amazon Connect queue or agent ARN.

``CallCenterRoutingMap`` (API 53.0+) has ``CallCenterId``, ``ReferenceRecordId`` (Group or User id) and
``ExternalId`` (the Connect ARN). The whole map of the call center is read with one SOQL query through
simple-salesforce and kept for ``ROUTING_MAP_CACHE_TTL_SECONDS``; an id missing from a map older than
:data:`MISS_REFRESH_S` triggers one early refresh, so a mapping added in Salesforce is seen quickly.
(developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/
sforce_api_objects_callcenterroutingmap.htm)

The query is one ``GET /services/data/vNN.N/query?q=…`` (REST API, "Query", following ``nextRecordsUrl`` when
the answer is not ``done``) through the project's :class:`~connect_omni.salesforce.transport.Transport`, so it
has the same whole-answer deadline and retries (idempotent: a read) as every other Salesforce call.
simple-salesforce would add nothing here but 150 ms of imports (zeep) on Routing's cold start, and it reads
the body without a deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from connect_omni.budget import Budget
from connect_omni.errors import SalesforceAuthError, SalesforceError
from connect_omni.observability import count, logger, tracer
from connect_omni.salesforce.auth import AccessToken, TokenProvider
from connect_omni.salesforce.transport import Transport, error_from_response

_MAP_QUERY = "SELECT ReferenceRecordId, ExternalId FROM CallCenterRoutingMap WHERE CallCenterId = "
#: An id not in a map older than this (s) makes the map be read again before answering "not mapped".
MISS_REFRESH_S = 30.0


class CallCenterRoutingMap:
    """Cached ``ReferenceRecordId`` -> ``ExternalId`` map of one call center, keyed by 15-character id.

    Parameters
    ----------
    call_center_id:
        ``CALL_CENTER_ID``.
    api_version:
        REST API version, e.g. ``"62.0"``.
    ttl_s:
        Cache lifetime (s); 0 reads Salesforce on every lookup.
    tokens:
        The container's :class:`TokenProvider` (its ``instance_url`` is the REST host).
    transport:
        The container's :class:`Transport`.
    clock:
        Injected for tests (default ``time.monotonic``).
    """

    def __init__(
        self,
        *,
        call_center_id: str,
        api_version: str,
        ttl_s: float,
        tokens: TokenProvider,
        transport: Transport,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.call_center_id = call_center_id
        self.api_version = api_version
        self.ttl_s = ttl_s
        self.tokens = tokens
        self.transport = transport
        self._clock = clock
        self._map: dict[str, str] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def external_id(self, reference_record_id: str, budget: Budget) -> str | None:
        """The ``ExternalId`` mapped to a Salesforce queue (``00G``) or user (``005``) id, or ``None``.

        Raises
        ------
        SalesforceError
            The map could not be read and no earlier copy is cached (a stale copy is used, with a warning,
            when a refresh fails).
        """
        with self._lock:
            age = self._clock() - self._loaded_at
            if self._map is None or age >= self.ttl_s:
                self._refresh(budget)
            found = self._find(reference_record_id)
            if found is None and self._clock() - self._loaded_at >= min(MISS_REFRESH_S, self.ttl_s):
                self._refresh(budget)
                found = self._find(reference_record_id)
            return found

    def read(self, budget: Budget) -> dict[str, str]:
        """Read the whole map from Salesforce now, without using or changing the cache.

        Returns
        -------
        dict of str to str
            ``ReferenceRecordId`` (15 characters) -> ``ExternalId``, for ``CALL_CENTER_ID``.

        Raises
        ------
        SalesforceError
            As :meth:`external_id` (no stale copy is used).
        """
        return self._load(budget)

    def _find(self, reference_record_id: str) -> str | None:
        # Salesforce ids compare on their case-sensitive 15-character form (18-char adds a checksum).
        return (self._map or {}).get(reference_record_id[:15])

    def _refresh(self, budget: Budget) -> None:
        try:
            self._map = self._load(budget)
            self._loaded_at = self._clock()
        except SalesforceError as exc:
            if self._map is None:
                raise
            count("RoutingMapStaleUsed")
            logger.warning("Using the cached CallCenterRoutingMap: refresh failed", extra={"error": str(exc)})

    @tracer.capture_method(capture_response=False)
    def _load(self, budget: Budget) -> dict[str, str]:
        soql = _MAP_QUERY + soql_quote(self.call_center_id)
        records: list[dict] = []
        token = self.tokens.get(budget)
        path = f"/services/data/v{self.api_version}/query/"
        params: dict[str, str] | None = {"q": soql}
        while path:
            body, token = self._get(path, params, token, budget)
            records.extend(r for r in body.get("records") or [] if isinstance(r, dict))
            next_url = body.get("nextRecordsUrl")
            path, params = (next_url, None) if isinstance(next_url, str) and not body.get("done", True) else ("", None)
        mapping = {
            str(record["ReferenceRecordId"])[:15]: str(record["ExternalId"])
            for record in records
            if record.get("ReferenceRecordId") and record.get("ExternalId")
        }
        logger.info("CallCenterRoutingMap loaded", extra={"mappings": len(mapping)})
        return mapping

    def _get(
        self, path: str, params: dict[str, str] | None, token: AccessToken, budget: Budget
    ) -> tuple[dict, AccessToken]:
        """One page of the REST query resource; a refused token (401) is granted again once."""
        operation = "SOQL CallCenterRoutingMap"
        for attempt in (1, 2):
            response = self.transport.send(
                operation,
                "GET",
                f"{token.instance_url}{path}",
                budget,
                idempotent=True,
                expect_json=True,
                params=params,
                headers={"Authorization": f"Bearer {token.access_token}", "Accept": "application/json"},
            )
            if response.status_code == 401 and attempt == 1:
                self.tokens.invalidate(token)
                token = self.tokens.get(budget)
                continue
            if response.status_code == 200:
                return response.json(), token
            err = error_from_response(operation, response)
            cls = SalesforceAuthError if response.status_code == 401 else SalesforceError
            raise cls(operation, status=err.status, code=err.code, detail=err.detail)
        raise AssertionError("unreachable")  # pragma: no cover


def soql_quote(value: str) -> str:
    """``value`` as a SOQL string literal: quoted, with ``\\`` and ``'`` escaped (SOQL and SOSL Reference,
    "Quoted String Escape Sequences"); control characters are refused, as no id contains them.

    Raises
    ------
    ValueError
        ``value`` holds a control character.
    """
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("a SOQL literal without control characters")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

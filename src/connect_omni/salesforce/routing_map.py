"""``CallCenterRoutingMap`` lookups: Salesforce queue or user id -> Amazon Connect queue or agent ARN.

``CallCenterRoutingMap`` (API 53.0+) has ``CallCenterId``, ``ReferenceRecordId`` (Group or User id) and
``ExternalId`` (the Connect ARN). The whole map of the call center is read with one SOQL query through
simple-salesforce and kept for ``ROUTING_MAP_CACHE_TTL_SECONDS``; an id missing from a map older than
:data:`MISS_REFRESH_S` triggers one early refresh, so a mapping added in Salesforce is seen quickly.
(developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/
sforce_api_objects_callcenterroutingmap.htm)

simple-salesforce is imported on first use: its module load pulls in zeep, which costs start-up time that
CreateMessagingSession does not need.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

from connect_omni.budget import Budget
from connect_omni.errors import SalesforceAuthError, SalesforceError, SalesforceUnavailableError
from connect_omni.observability import count, logger, tracer
from connect_omni.salesforce.auth import TokenProvider

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
    session:
        The container's ``requests.Session``.
    connect_timeout_s:
        Connect-timeout cap (s).
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
        session: requests.Session,
        connect_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.call_center_id = call_center_id
        self.api_version = api_version
        self.ttl_s = ttl_s
        self.tokens = tokens
        self.session = session
        self.connect_timeout_s = connect_timeout_s
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
        from simple_salesforce import Salesforce, format_soql
        from simple_salesforce.exceptions import SalesforceError as SimpleSalesforceError
        from simple_salesforce.exceptions import SalesforceExpiredSession

        soql = format_soql(
            "SELECT ReferenceRecordId, ExternalId FROM CallCenterRoutingMap WHERE CallCenterId = {}",
            self.call_center_id,
        )
        operation = "SOQL CallCenterRoutingMap"
        for attempt in (1, 2):
            token = self.tokens.get(budget)
            client = Salesforce(
                instance_url=token.instance_url,
                session_id=token.access_token,
                session=self.session,
                version=self.api_version,
            )
            try:
                result = client.query_all(soql, timeout=budget.timeouts(self.connect_timeout_s, operation))
                break
            except SalesforceExpiredSession:
                self.tokens.invalidate(token)
                if attempt == 2:
                    raise SalesforceAuthError(operation, status=401, code="INVALID_SESSION_ID") from None
            except SimpleSalesforceError as exc:
                detail = exc.content[0] if isinstance(exc.content, list) and exc.content else exc.content
                code = detail.get("errorCode") if isinstance(detail, dict) else None
                message = detail.get("message", "") if isinstance(detail, dict) else str(detail)[:200]
                cls = SalesforceUnavailableError if exc.status >= 500 else SalesforceError
                raise cls(operation, status=exc.status, code=code, detail=message) from None
            except requests.exceptions.RequestException as exc:
                raise SalesforceUnavailableError(operation, detail=type(exc).__name__) from None
        mapping = {
            record["ReferenceRecordId"][:15]: record["ExternalId"]
            for record in result.get("records", [])
            if record.get("ReferenceRecordId") and record.get("ExternalId")
        }
        logger.info("CallCenterRoutingMap loaded", extra={"mappings": len(mapping)})
        return mapping

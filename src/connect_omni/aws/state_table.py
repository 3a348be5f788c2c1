"""The stack's DynamoDB state table (``STATE_TABLE_NAME``): a ledger of non-idempotent Salesforce calls.

One item per key (partition key ``pk``, string); ``expires_at`` (epoch s) is the table's TTL attribute and is
also checked in every condition (TTL deletion is lazy). Items never hold message text or tokens in clear
outside the shared-token item (see :mod:`connect_omni.aws.token_store`).

**Ledger** (``route#<ContactId>#<routingType>``, ``interaction#<ContactId>``): before a non-idempotent call
(``POST /route``, ``POST /interactions``) the caller writes a claim with a conditional put; a new invocation,
maybe in another container, learns from it what an earlier attempt did:

- ``fresh``: no earlier attempt in the window; the claim is now ours (``INPROGRESS``, lease = our deadline).
- ``completed``: an earlier attempt succeeded; its answer (``answer``, JSON) is given back and nothing is sent.
- ``unknown``: an earlier attempt's outcome is unknown (it said so, ``UNKNOWN``, or its lease ran out while
  ``INPROGRESS``: it died or timed out); the claim is now ours, and the caller must make the call safe first
  (``DELETE /route`` before the new ``POST /route``).
- an unexpired ``INPROGRESS`` lease of another owner: a concurrent attempt (a block timeout below the function's);
  :meth:`StateTable.begin` polls until it ends, and raises :class:`LedgerBusyError` if it outlasts our budget.

Every write is conditional on the owner (a random id per attempt), so a write that lands late, after its
owner gave up, cannot overwrite another's claim; a put that is retried after an unknown outcome recognises
its own item. Each call costs one DynamoDB round trip (single-digit ms in-region).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from connect_omni.aws import call
from connect_omni.budget import Budget
from connect_omni.errors import ConnectOmniError

#: How long a completed claim answers a retry (s): the flow's retry loop comes within seconds.
LEDGER_WINDOW_S = 300
#: Poll interval while another attempt holds the lease (s).
POLL_S = 0.2
#: Budget kept for the call itself when waiting for another attempt's lease (s).
RESERVE_S = 1.5


class LedgerBusyError(ConnectOmniError):
    """Another invocation is still making the same non-idempotent call and did not finish within our budget.

    Transient: the flow's retry loop tries again (by then the other attempt has finished or its lease expired).
    """


@dataclass(frozen=True)
class Claim:
    """What :meth:`StateTable.begin` found: ``kind`` (``fresh`` | ``unknown`` | ``completed``), our ``owner``
    id, and the ``answer`` of a completed earlier attempt."""

    key: str
    kind: Literal["fresh", "unknown", "completed"]
    owner: str
    answer: dict[str, Any] | None = None


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": f"{value:.3f}"}


class StateTable:
    """The ledger operations on the state table.

    Parameters
    ----------
    client:
        A boto3 DynamoDB client (low-level API).
    table_name:
        ``STATE_TABLE_NAME``.
    clock:
        Epoch seconds (``time.time``); injected for tests.
    sleep:
        Injected for tests.
    """

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self._clock = clock
        self._sleep = sleep

    # ------------------------------------------------------------------------------------------- ledger

    def begin(self, key: str, budget: Budget, *, context: dict[str, str] | None = None) -> Claim:
        """Claim ``key`` before a non-idempotent call (see the module docstring).

        Parameters
        ----------
        context:
            Identifiers stored with the claim for an operator (e.g. the conversation identifier).

        Raises
        ------
        AwsCallError, BudgetExhaustedError
            The table could not be reached within the budget (the caller decides how to go on without it).
        LedgerBusyError
            Another attempt's lease outlasted our budget.
        """
        owner = str(uuid.uuid4())
        while True:
            now = self._clock()
            item = {
                "pk": _s(key),
                "state": _s("INPROGRESS"),
                "owner": _s(owner),
                "lease_until": _n(now + max(budget.remaining(), 0.0)),
                "expires_at": _n(now + LEDGER_WINDOW_S),
                **{name: _s(value) for name, value in (context or {}).items()},
            }
            old = self._put_unless_live(item, now, budget)
            if old is None or old.get("owner", {}).get("S") == owner:
                return Claim(key, "fresh", owner)
            state = old.get("state", {}).get("S")
            if state == "COMPLETED":
                return Claim(key, "completed", owner, json.loads(old.get("answer", {}).get("S") or "{}"))
            lease_until = float(old.get("lease_until", {}).get("N") or 0)
            if state == "UNKNOWN" or lease_until <= now:
                if self._take_over(key, old, owner, now, budget):
                    return Claim(key, "unknown", owner)
                continue  # someone else changed it first: look again
            if budget.remaining() - RESERVE_S < POLL_S:
                raise LedgerBusyError(
                    f"{key}: an earlier attempt is still in progress (lease {lease_until - now:.1f} s more)"
                )
            self._sleep(POLL_S)

    def complete(self, claim: Claim, answer: dict[str, Any], budget: Budget) -> None:
        """Record that the call succeeded with ``answer`` (a retry in the window gets it back)."""
        self._update(
            claim,
            "SET #s = :s, answer = :a, lease_until = :now",
            {":s": _s("COMPLETED"), ":a": _s(json.dumps(answer, separators=(",", ":"))), ":now": _n(self._clock())},
            budget,
        )

    def unknown(self, claim: Claim, budget: Budget) -> None:
        """Record that the call's outcome is unknown (the next attempt must make it safe first)."""
        self._update(claim, "SET #s = :s, lease_until = :now", {":s": _s("UNKNOWN"), ":now": _n(self._clock())}, budget)

    def forget(self, claim: Claim, budget: Budget) -> None:
        """Remove the claim: the call was certainly not carried out (refused), so a retry starts afresh."""

        def delete() -> None:
            try:
                self.client.delete_item(
                    TableName=self.table_name,
                    Key={"pk": _s(claim.key)},
                    ConditionExpression="#o = :o",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":o": _s(claim.owner)},
                )
            except ClientError as exc:
                if _code(exc) != "ConditionalCheckFailedException":
                    raise

        call("dynamodb:DeleteItem", delete, budget)

    # ------------------------------------------------------------------------------------------- plumbing

    def _put_unless_live(self, item: dict[str, Any], now: float, budget: Budget) -> dict[str, Any] | None:
        """Put ``item`` unless a live item has the key; returns that item (None when the put succeeded)."""

        def put() -> dict[str, Any] | None:
            try:
                self.client.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                    ExpressionAttributeValues={":now": _n(now)},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as exc:
                if _code(exc) != "ConditionalCheckFailedException":
                    raise
                return exc.response.get("Item") or {"state": _s("UNKNOWN")}
            return None

        return call("dynamodb:PutItem", put, budget)

    def _take_over(self, key: str, old: dict[str, Any], owner: str, now: float, budget: Budget) -> bool:
        def update() -> bool:
            try:
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"pk": _s(key)},
                    UpdateExpression="SET #o = :o, #s = :s, lease_until = :l",
                    ConditionExpression="#o = :old",
                    ExpressionAttributeNames={"#o": "owner", "#s": "state"},
                    ExpressionAttributeValues={
                        ":o": _s(owner),
                        ":s": _s("INPROGRESS"),
                        ":l": _n(now + max(budget.remaining(), 0.0)),
                        ":old": old.get("owner") or _s(""),
                    },
                )
            except ClientError as exc:
                if _code(exc) != "ConditionalCheckFailedException":
                    raise
                return False
            return True

        return call("dynamodb:UpdateItem", update, budget)

    def _update(self, claim: Claim, expression: str, values: dict[str, Any], budget: Budget) -> None:
        def update() -> None:
            try:
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"pk": _s(claim.key)},
                    UpdateExpression=expression,
                    ConditionExpression="#o = :o",
                    ExpressionAttributeNames={"#o": "owner", "#s": "state"},
                    ExpressionAttributeValues={**values, ":o": _s(claim.owner)},
                )
            except ClientError as exc:
                if _code(exc) != "ConditionalCheckFailedException":
                    raise

        call("dynamodb:UpdateItem", update, budget)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "")


__all__ = ["LEDGER_WINDOW_S", "Claim", "LedgerBusyError", "StateTable"]

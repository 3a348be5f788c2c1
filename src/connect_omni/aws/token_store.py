"""The fleet's shared Salesforce access token, kept in the stack's state table (``STATE_TABLE_NAME``).

Salesforce allows 3,600 logins per user per hour and then refuses every login with ``LOGIN_RATE_EXCEEDED``
(help.salesforce.com, article 000381578). A burst of cold containers that each make their own JWT bearer
grant reaches that within minutes, so every function of the stack shares one token through one item of the
state table:

- **Item** ``token#<15-character org id>#<digest of the login URL and secret id>``: ``access_token``,
  ``instance_url``, ``identity_url``, ``generation`` (1, 2, ... one per grant published), ``granted_at``
  (epoch s) and ``expires_at`` (the table's TTL attribute, :data:`TOKEN_MAX_AGE_S` after the grant). While a
  container grants for the fleet the item also holds a lease: ``lease_owner`` (a random id) and
  ``lease_until`` (epoch s).
- **Read once per container.** A container reads the item (strongly consistent ``GetItem``) when it has no
  token in memory (cold start, SnapStart restore) or after Salesforce refused its token; warm invocations use
  the token in memory and read nothing.
- **Single flight.** A container that finds no usable token takes the lease with a conditional update
  (``UpdateItem``: no live lease, and the generation it saw is still the item's), grants, and publishes the
  token with the next generation (conditional on still holding the lease). The others poll the item every
  :data:`POLL_S` until the new generation appears; when the lease runs out first (its holder died or timed out)
  they take it over. A container never waits so long that its own chat could not be served: with less than
  :data:`GRANT_RESERVE_S` of the invocation left it stops waiting and grants for itself.
- **A refused token is replaced once for the fleet.** A container whose token was refused reads the item: a
  different token there (another container replaced it already) is used as it is; the same token means it
  takes the lease for the generation it saw, so of all the containers refused at once one grants.
- **Never in the way.** Every store call is bounded by ``TOKEN_STORE_TIMEOUT_MS`` (default 1 s) as well as by the
  invocation's budget; when the table cannot be reached, refuses access or answers with something unreadable,
  the container grants for itself and serves the chat (counted as ``TokenStoreUnavailable``).

The token is encrypted at rest (the table's server-side encryption with KMS), and the table's resource policy
lets only the stack's functions read or write items (``template.yaml``, ``StateTable``). It is never logged;
:class:`StoredToken`'s ``repr`` redacts it.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from connect_omni.aws import call
from connect_omni.budget import Budget

#: How long a published token is offered to the fleet (s). Salesforce ends an access token's session after the
#: org's session timeout without activity (15 min to 24 h); a token it refuses earlier is replaced at once.
TOKEN_MAX_AGE_S = 12 * 3600
#: How long a container may hold the grant lease (s): the grant's one round trip, with room for a slow login.
GRANT_LEASE_S = 3.0
#: Default bound of each store call (s), whatever the budget (``TOKEN_STORE_TIMEOUT_MS``): DynamoDB answers in
#: single-digit ms, and a store that does not must not cost the chat its budget.
STORE_CALL_S = 1.0
#: Interval between two reads while another container grants (s).
POLL_S = 0.1
#: Budget kept for a grant of our own and the chat's own call when waiting for another's grant (s).
GRANT_RESERVE_S = 3.0


@dataclass(frozen=True)
class StoredToken:
    """The shared token as the store holds it.

    ``access_token`` (secret, never logged), ``instance_url`` (``https://…``, no trailing ``/``),
    ``identity_url`` (the grant's ``id``, or ``""``), ``generation`` (int ≥ 1; 0 for a token no store holds),
    ``granted_at`` (epoch s).
    """

    access_token: str
    instance_url: str
    identity_url: str
    generation: int
    granted_at: float

    def __repr__(self) -> str:
        return f"StoredToken(instance_url={self.instance_url!r}, generation={self.generation}, access_token=<redacted>)"


@dataclass(frozen=True)
class Lease:
    """The right to grant for the fleet: ``owner`` id and the ``generation`` the published token will have."""

    owner: str
    generation: int


@dataclass(frozen=True)
class Seen:
    """What one read of the item found: the ``token`` (None when there is none, or it expired), the item's
    ``generation`` (0 when there is no item), and whether another container holds a live grant lease
    (``lease_until`` > now, epoch s)."""

    token: StoredToken | None
    generation: int
    lease_until: float


def token_key(org_id_15: str, auth_url: str, secret_id: str) -> str:
    """The item's key: one token per org, login server and connected-app secret (str)."""
    digest = hashlib.sha256(f"{auth_url}\n{secret_id}".encode()).hexdigest()[:16]
    return f"token#{org_id_15}#{digest}"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": f"{value:.3f}" if isinstance(value, float) else str(value)}


class TokenStore:
    """Reads and writes the shared token item (see the module docstring).

    Parameters
    ----------
    client:
        A botocore DynamoDB client (low-level API).
    table_name:
        ``STATE_TABLE_NAME``.
    key:
        :func:`token_key` of this configuration.
    call_timeout_s:
        Bound of each call (s), retries included (``TOKEN_STORE_TIMEOUT_MS`` / 1000).
    clock:
        Epoch seconds (``time.time``); injected for tests.

    Every method raises :class:`~connect_omni.aws.AwsCallError` (the table could not be used: unreachable,
    access denied, throttled, no answer within ``call_timeout_s``) or
    :class:`~connect_omni.errors.BudgetExhaustedError`; the caller then grants for itself.
    """

    def __init__(
        self,
        client: Any,
        table_name: str,
        key: str,
        *,
        call_timeout_s: float = STORE_CALL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.key = key
        self.call_timeout_s = call_timeout_s
        self._clock = clock

    def _bounded(self, budget: Budget) -> Budget:
        """``budget``, or ``call_timeout_s`` from now if that comes first."""
        return Budget(min(budget.deadline, time.monotonic() + self.call_timeout_s))

    def read(self, budget: Budget) -> Seen:
        """Read the item (one strongly consistent ``GetItem``)."""

        def get() -> dict[str, Any]:
            answer = self.client.get_item(TableName=self.table_name, Key={"pk": _s(self.key)}, ConsistentRead=True)
            return answer.get("Item") or {}

        item = call("dynamodb:GetItem", get, self._bounded(budget))
        now = self._clock()
        generation = _int(item, "generation")
        lease_until = _float(item, "lease_until")
        token = None
        access_token = item.get("access_token", {}).get("S")
        instance_url = item.get("instance_url", {}).get("S") or ""
        if access_token and instance_url.startswith("http") and _float(item, "expires_at") > now:
            token = StoredToken(
                access_token,
                instance_url,
                item.get("identity_url", {}).get("S") or "",
                generation,
                _float(item, "granted_at"),
            )
        return Seen(token, generation, lease_until if lease_until > now else 0.0)

    def take_lease(self, seen_generation: int, budget: Budget) -> Lease | None:
        """Take the grant lease if no other container holds a live one and the item is still at
        ``seen_generation`` (no newer token was published since the read). Returns None when not taken.

        A retry of this call after an unknown outcome recognises the lease as its own (``lease_owner``)."""
        now = self._clock()
        owner = str(uuid.uuid4())
        taken = self._update_if(
            "SET lease_owner = :o, lease_until = :u, expires_at = if_not_exists(expires_at, :e)",
            "(attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :o) AND "
            "(attribute_not_exists(generation) OR generation = :g)",
            {
                ":o": _s(owner),
                ":u": _n(now + GRANT_LEASE_S),
                ":e": _n(now + TOKEN_MAX_AGE_S),
                ":now": _n(now),
                ":g": _n(seen_generation),
            },
            budget,
        )
        return Lease(owner, seen_generation + 1) if taken else None

    def publish(self, lease: Lease, token: StoredToken, budget: Budget) -> bool:
        """Store ``token`` as generation ``lease.generation`` and end the lease; returns False when the lease was
        no longer ours (it ran out and another container took it: its token will be published instead)."""
        now = self._clock()
        return self._update_if(
            "SET access_token = :t, instance_url = :i, identity_url = :d, generation = :g, "
            "granted_at = :now, expires_at = :e REMOVE lease_owner, lease_until",
            "lease_owner = :o",
            {
                ":t": _s(token.access_token),
                ":i": _s(token.instance_url),
                ":d": _s(token.identity_url),
                ":g": _n(lease.generation),
                ":now": _n(now),
                ":e": _n(now + TOKEN_MAX_AGE_S),
                ":o": _s(lease.owner),
            },
            budget,
        )

    def _update_if(self, expression: str, condition: str, values: dict[str, Any], budget: Budget) -> bool:
        """One conditional ``UpdateItem`` of the token item; False when the condition did not hold."""

        def update() -> bool:
            try:
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"pk": _s(self.key)},
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    return False
                raise
            return True

        return call("dynamodb:UpdateItem", update, self._bounded(budget))


def _float(item: dict[str, Any], name: str) -> float:
    try:
        return float(item.get(name, {}).get("N") or 0)
    except (TypeError, ValueError):
        return 0.0


def _int(item: dict[str, Any], name: str) -> int:
    return int(_float(item, name))


__all__ = ["GRANT_RESERVE_S", "POLL_S", "Lease", "Seen", "StoredToken", "TokenStore", "token_key"]

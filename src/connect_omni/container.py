"""Per-container singletons, made on first use and kept across warm invocations.

Everything a handler reuses lives here: settings, the HTTP session (keep-alive), the Salesforce token (shared
by the fleet through the state table, :mod:`connect_omni.aws.token_store`), the Interaction Service client,
the ``CallCenterRoutingMap`` cache, the contact record adapter and AWS clients.
:func:`reset` drops them all; tests, the flow runner and the demo call it after changing the environment.

Nothing here is made, and nothing heavy imported, before an invocation needs it: AWS clients are botocore
clients (what ``boto3.client`` returns, without boto3's own import: ~80 ms of a cold start), and the secret is
read only when a token must be granted.

With SnapStart (stack parameter ``SnapStart``), Lambda initialises a published version once, snapshots it, and
resumes every new execution environment from that snapshot. :func:`before_snapshot` and :func:`after_restore`
are registered as the Python runtime's hooks (``snapshot_restore_py``;
docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html): before the snapshot, load what
a first invocation would otherwise import (nothing that opens a connection); after each restore, forget every
singleton that must not be shared by the environments resumed from one snapshot (pooled connections, AWS
clients and their credentials, a token, the secret) and reseed :mod:`random`, whose state every restored
environment would otherwise share (tenacity's retry jitter draws from it: shared state means retries in step).
"""

from __future__ import annotations

import functools
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connect_omni.aws import READ_TIMEOUT_S, UnreadableAnswerError, call
from connect_omni.aws.state_table import StateTable
from connect_omni.aws.token_store import TokenStore, token_key
from connect_omni.budget import Budget
from connect_omni.http_pool import mount_shared_tls
from connect_omni.observability import count, trace_aws_calls
from connect_omni.salesforce.auth import SalesforceCredentials, TokenProvider
from connect_omni.salesforce.interaction import InteractionServiceClient
from connect_omni.salesforce.routing_map import CallCenterRoutingMap
from connect_omni.salesforce.transport import Transport, new_session
from connect_omni.settings import Settings, load_settings

if TYPE_CHECKING:
    from connect_omni.salesforce.contact_records import ContactTraceRecordObject


@functools.cache
def settings() -> Settings:
    """The validated environment (raises ``ConfigurationError`` naming what is wrong)."""
    return load_settings()


@dataclass(frozen=True)
class SalesforceAdapters:
    """The Salesforce adapters of one configuration, sharing one :class:`Transport` (keep-alive session) and one
    token."""

    transport: Transport
    tokens: TokenProvider
    interaction_service: InteractionServiceClient
    routing_map: CallCenterRoutingMap


def salesforce_adapters(
    s: Settings,
    load_credentials: Callable[[Budget], SalesforceCredentials],
    *,
    routing_map_ttl_s: float | None = None,
    token_store: TokenStore | None = None,
) -> SalesforceAdapters:
    """Build the Salesforce adapters for ``s`` exactly as the functions use them.

    Parameters
    ----------
    s : Settings
        The configuration.
    load_credentials : callable
        ``load_credentials(budget)`` returns the secret's :class:`SalesforceCredentials` when a token must be
        granted.
    routing_map_ttl_s : float, optional
        ``CallCenterRoutingMap`` cache lifetime (s); ``ROUTING_MAP_CACHE_TTL_SECONDS`` when omitted.
    token_store : TokenStore, optional
        The fleet's shared token (:mod:`connect_omni.aws.token_store`); None: this process grants its own.
    """
    transport = Transport(
        mount_shared_tls(new_session(), pool_maxsize=s.history_concurrency),
        connect_timeout_s=s.http_connect_timeout_seconds,
        max_attempts=s.salesforce_max_attempts,
    )
    tokens = TokenProvider(
        token_url=s.token_url,
        audience=s.jwt_audience,
        load_credentials=load_credentials,
        transport=transport,
        store=token_store,
    )
    interaction = InteractionServiceClient(
        base_url=s.salesforce_scrt_url,
        org_id_15=s.org_id_15,
        authorization_context=s.salesforce_authorization_context,
        tokens=tokens,
        transport=transport,
    )
    routing = CallCenterRoutingMap(
        call_center_id=s.call_center_id,
        api_version=s.salesforce_api_version,
        ttl_s=s.routing_map_cache_ttl_seconds if routing_map_ttl_s is None else routing_map_ttl_s,
        tokens=tokens,
        transport=transport,
    )
    return SalesforceAdapters(transport, tokens, interaction, routing)


_secret_cache: dict[str, tuple[float, SalesforceCredentials]] = {}


def _load_credentials(budget: Budget) -> SalesforceCredentials:
    """The connected app's credentials from Secrets Manager, reused for ``SECRET_CACHE_SECONDS``.

    Read only to grant a token; bounded by ``budget`` like every AWS call (:func:`connect_omni.aws.call`).
    """
    s = settings()
    cached = _secret_cache.get(s.salesforce_secret_id)
    if cached is not None and time.monotonic() - cached[0] < s.secret_cache_seconds:
        return cached[1]
    client = aws_client("secretsmanager")

    def read() -> str:
        answer = client.get_secret_value(SecretId=s.salesforce_secret_id)
        if not isinstance(answer.get("SecretString"), str) and "SecretBinary" not in answer:
            raise UnreadableAnswerError("the answer has no SecretString")  # an empty or foreign 200: retried
        return answer.get("SecretString")

    secret_string = call("secretsmanager:GetSecretValue", read, budget)
    count("SecretReads")
    credentials = SalesforceCredentials.from_secret_string(secret_string)
    _secret_cache[s.salesforce_secret_id] = (time.monotonic(), credentials)
    return credentials


@functools.cache
def _salesforce() -> SalesforceAdapters:
    return salesforce_adapters(settings(), _load_credentials, token_store=token_store())


def token_store() -> TokenStore | None:
    """The fleet's shared Salesforce token in the state table (``STATE_TABLE_NAME``), or None when unset."""
    s = settings()
    name = (s.state_table_name or "").strip()
    if not name:
        return None
    key = token_key(s.org_id_15, s.salesforce_auth_url, s.salesforce_secret_id)
    return TokenStore(aws_client("dynamodb"), name, key, call_timeout_s=s.token_store_timeout_ms / 1000)


def tokens() -> TokenProvider:
    """The container's Salesforce token (granted on first use, reused until refused)."""
    return _salesforce().tokens


def interaction_service() -> InteractionServiceClient:
    """The Interaction Service client."""
    return _salesforce().interaction_service


def routing_map() -> CallCenterRoutingMap:
    """The cached ``CallCenterRoutingMap`` of ``CALL_CENTER_ID``."""
    return _salesforce().routing_map


@functools.cache
def state_table() -> StateTable | None:
    """The state table of ``STATE_TABLE_NAME`` (routing ledger, /interactions claim), or None when unset."""
    name = (settings().state_table_name or "").strip()
    return StateTable(aws_client("dynamodb"), name) if name else None


@functools.cache
def contact_records() -> ContactTraceRecordObject:
    """``awsac__SCC_ContactTraceRecord__c`` through the REST API (``SALESFORCE_API_VERSION``).

    Imported here, not at the top: the flow functions never use it and should not pay its import (~15 ms).
    """
    from connect_omni.salesforce.contact_records import ContactTraceRecordObject
    from connect_omni.salesforce.rest import RestClient

    s = settings()
    return ContactTraceRecordObject(
        RestClient(api_version=s.salesforce_api_version, tokens=tokens(), transport=_salesforce().transport)
    )


@functools.cache
def _aws_session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def aws_client(service: str) -> Any:
    """A botocore client for ``service``: the client ``boto3.client(service)`` gives (region, credentials and
    endpoint from the environment, ``AWS_ENDPOINT_URL[_<SERVICE>]`` included), without importing boto3.

    ``connect_timeout`` = ``HTTP_CONNECT_TIMEOUT_SECONDS``, ``read_timeout`` = :data:`connect_omni.aws.READ_TIMEOUT_S`,
    no botocore retries: calls are bounded by the invocation's budget and retried by :func:`connect_omni.aws.call`.
    """
    from botocore.config import Config

    trace_aws_calls()
    config = Config(
        connect_timeout=settings().http_connect_timeout_seconds,
        read_timeout=READ_TIMEOUT_S,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    return _aws_session().create_client(service, config=config)


def before_snapshot() -> None:
    """SnapStart ``before snapshot`` hook: import now what a first invocation would load (PyJWT/cryptography
    for a grant, botocore's session and client machinery), so a restored environment does not pay for it. No
    connection is opened and nothing is read: the snapshot holds no token, secret or socket."""
    import botocore.client
    import botocore.session  # noqa: F401
    import jwt  # noqa: F401
    from jwt.algorithms import RSAAlgorithm  # noqa: F401  (loads cryptography's RSA backend)

    reset()


def after_restore() -> None:
    """SnapStart ``after restore`` hook: a fresh start for state a snapshot must not share between environments.

    Drops every singleton (:func:`reset`: connections, clients, token, secret) and reseeds :mod:`random` from
    the operating system (``os.urandom``), so that restored environments draw different retry jitter.
    """
    reset()
    random.seed(os.urandom(32))


def register_snapstart_hooks() -> bool:
    """Register :func:`before_snapshot` and :func:`after_restore` with the Lambda Python runtime.

    Returns ``False`` where ``snapshot_restore_py`` does not exist (outside Lambda's Python 3.12+ runtime: tests,
    local runs); without SnapStart the runtime never calls the hooks.
    """
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True


def reset() -> None:
    """Forget every singleton and the cached secret (after the environment changed)."""
    for cached in (settings, _salesforce, contact_records, aws_client, state_table, _aws_session):
        cached.cache_clear()
    _secret_cache.clear()


register_snapstart_hooks()

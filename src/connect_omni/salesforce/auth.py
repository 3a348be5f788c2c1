"""OAuth 2.0 JWT bearer grant, and the token reused across warm invocations and shared by the fleet.

Salesforce's JWT bearer flow: an RS256 assertion with ``iss`` = connected app consumer key, ``sub`` = user
name, ``aud`` = the authorization server, short ``exp``, posted to ``/services/oauth2/token``; the answer
carries ``access_token`` and ``instance_url``.
(help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm)

simple-salesforce's own JWT login builds ``https://{domain}.salesforce.com`` hosts, so it cannot target a
My Domain or a local emulator (simple-salesforce 1.12, ``simple_salesforce/login.py`` ``SalesforceLogin``: token URL
``https://{domain}.salesforce.com/services/oauth2/token``, ``aud`` ``https://{domain}.salesforce.com``); the grant
is done here with PyJWT and requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connect_omni.aws import AwsCallError
from connect_omni.aws.token_store import GRANT_RESERVE_S, POLL_S, Lease, StoredToken, TokenStore
from connect_omni.budget import Budget
from connect_omni.errors import ConfigurationError, SalesforceAuthError
from connect_omni.observability import count, logger
from connect_omni.salesforce.transport import Transport, error_from_response

#: Lifetime of the JWT assertion (s). Salesforce accepts up to 3 minutes.
ASSERTION_LIFETIME_S = 180


class SalesforceCredentials(BaseModel):
    """The Secrets Manager secret, SCC-AC's ``SCCAC-Secret`` layout.

    Keys: ``CONNECTED_APP_CONSUMER_KEY``, ``CERTIFICATE_PRIVATE_KEY`` (PEM, RSA; a value with literal
    ``\\n`` sequences instead of line breaks is accepted), ``API_ACCESS_USER_NAME``.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    consumer_key: str = Field(alias="CONNECTED_APP_CONSUMER_KEY", min_length=1)
    private_key_pem: str = Field(alias="CERTIFICATE_PRIVATE_KEY", min_length=1, repr=False)
    user_name: str = Field(alias="API_ACCESS_USER_NAME", min_length=1)

    @field_validator("private_key_pem")
    @classmethod
    def _pem(cls, value: str) -> str:
        if "\n" not in value and "\\n" in value:
            value = value.replace("\\n", "\n")
        if "PRIVATE KEY-----" not in value:
            raise ValueError("expected a PEM private key")
        return value

    @classmethod
    def from_secret_string(cls, secret_string: Any) -> SalesforceCredentials:
        """Validate the secret's ``SecretString`` (JSON).

        Raises
        ------
        ConfigurationError
            Not JSON, not an object, or keys missing (named, never their values).
        """
        import json

        if not isinstance(secret_string, str):
            raise ConfigurationError("SALESFORCE_SECRET_ID: the secret has no SecretString (a binary secret?)")
        try:
            secret = json.loads(secret_string)
        except ValueError:
            raise ConfigurationError("SALESFORCE_SECRET_ID: the secret is not JSON") from None
        return cls.from_secret(secret)

    @classmethod
    def from_secret(cls, secret: Any) -> SalesforceCredentials:
        """Validate the decoded secret.

        Raises
        ------
        ConfigurationError
            Naming the missing or malformed keys, never their values.
        """
        if not isinstance(secret, dict):
            raise ConfigurationError("SALESFORCE_SECRET_ID: the secret must be a JSON object")
        try:
            return cls.model_validate(secret)
        except ValidationError as exc:
            keys = ", ".join(f"{err['loc'][0]} ({err['msg']})" for err in exc.errors())
            raise ConfigurationError(f"SALESFORCE_SECRET_ID: bad or missing keys: {keys}") from None


@dataclass(frozen=True)
class AccessToken:
    """A granted token: ``access_token`` (secret, never logged) and ``instance_url`` for REST calls.

    ``identity_url`` is the answer's ``id``, ``https://<login host>/id/<org id>/<user id>`` (18-character ids),
    or ``""`` when Salesforce sent none. ``generation`` is the shared token store's generation of this token
    (:mod:`connect_omni.aws.token_store`), 0 for a token only this container holds.
    """

    access_token: str
    instance_url: str
    granted_at: float  # time.monotonic() s
    identity_url: str = ""
    generation: int = 0

    def __repr__(self) -> str:
        return f"AccessToken(instance_url={self.instance_url!r}, access_token=<redacted>)"


class TokenProvider:
    """Hands out the container's token; obtains one from the fleet's shared store or by a grant.

    Parameters
    ----------
    token_url:
        ``{SALESFORCE_AUTH_URL}/services/oauth2/token``.
    audience:
        The JWT ``aud`` (:attr:`connect_omni.settings.Settings.jwt_audience`).
    load_credentials:
        ``load_credentials(budget)`` returns the :class:`SalesforceCredentials`; called only when a grant is
        needed, so the warm path and a shared-token hit make no Secrets Manager call.
    transport:
        The container's :class:`Transport`.
    store:
        The fleet's shared token (:class:`connect_omni.aws.token_store.TokenStore`), or None: every container
        grants its own token, as without ``STATE_TABLE_NAME``.
    sleep:
        The wait between two reads of the store while another container grants (s); injected for tests.

    A token is kept in memory until Salesforce refuses it (:meth:`invalidate`). Then, or when there is none
    (a cold start), the store is read: a token there that is not the refused one is used; otherwise one
    container of the fleet grants and publishes (single flight) while the others wait for it, never so long
    that their own chat could no longer be served. A store that cannot be used is logged and counted
    (``TokenStoreUnavailable``) and the container grants for itself.
    """

    def __init__(
        self,
        *,
        token_url: str,
        audience: str,
        load_credentials: Callable[[Budget], SalesforceCredentials],
        transport: Transport,
        store: TokenStore | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.token_url = token_url
        self.audience = audience
        self._load_credentials = load_credentials
        self._transport = transport
        self._store = store
        self._sleep = sleep
        self._token: AccessToken | None = None
        self._refused: str | None = None  # the access token Salesforce refused last (never logged)
        self._lock = threading.Lock()

    def get(self, budget: Budget) -> AccessToken:
        """The token in memory, else one from the shared store, else a new grant.

        Raises
        ------
        SalesforceAuthError
            The grant was refused (``invalid_grant``, ``invalid_client``...).
        SalesforceUnavailableError, BudgetExhaustedError
            As :meth:`Transport.send`.
        ConfigurationError
            The secret is missing keys.
        """
        with self._lock:
            if self._token is None:
                self._token = self._obtain(budget)
            return self._token

    def invalidate(self, token: AccessToken) -> None:
        """Forget ``token`` (Salesforce refused it); the next :meth:`get` replaces it (once for the fleet)."""
        with self._lock:
            if self._token is token:
                self._token = None
                self._refused = token.access_token

    def _obtain(self, budget: Budget) -> AccessToken:
        refused, self._refused = self._refused, None
        if self._store is None:
            return self._grant(budget)
        try:
            found = self._from_store(self._store, budget, refused)
        except AwsCallError as exc:
            count("TokenStoreUnavailable")
            logger.warning(
                "Shared token store unavailable; granting for this container", extra={"error": str(exc)}
            )
            return self._grant(budget)
        if isinstance(found, AccessToken):
            return found
        token = self._grant(budget, generation=found.generation if found else 0)
        if found is not None:
            self._publish(self._store, found, token, budget)
        return token

    def _from_store(self, store: TokenStore, budget: Budget, refused: str | None) -> AccessToken | Lease | None:
        """A usable shared token; or the lease to grant for the fleet; or None: grant for this container only
        (another container's grant did not come in time)."""
        waited = False
        while True:
            seen = store.read(budget)
            count("TokenStoreReads")
            if seen.token is not None and seen.token.access_token != refused:
                logger.info("Salesforce token from the shared store", extra={"generation": seen.generation})
                t = seen.token
                return AccessToken(t.access_token, t.instance_url, time.monotonic(), t.identity_url, t.generation)
            if not seen.lease_until:
                lease = store.take_lease(seen.generation, budget)
                if lease is not None:
                    return lease
            if budget.remaining() - GRANT_RESERVE_S < POLL_S:
                logger.warning("The fleet's token grant is late; granting for this container")
                return None
            if seen.lease_until:  # another container is granting: wait for its token
                if not waited:
                    count("TokenGrantWaits")
                    waited = True
                self._sleep(POLL_S)
            # else another container took the lease or published first: read again at once

    def _publish(self, store: TokenStore, lease: Lease, token: AccessToken, budget: Budget) -> None:
        shared = StoredToken(token.access_token, token.instance_url, token.identity_url, lease.generation, time.time())
        try:
            if store.publish(lease, shared, budget):
                logger.info("Salesforce token shared with the fleet", extra={"generation": lease.generation})
        except AwsCallError as exc:  # the token is good; the fleet will grant again once
            count("TokenStoreUnavailable")
            logger.warning("Could not share the new token", extra={"error": str(exc)})

    def _grant(self, budget: Budget, *, generation: int = 0) -> AccessToken:
        import jwt  # PyJWT, and cryptography through it, load only when a grant is made

        credentials = self._load_credentials(budget)
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": credentials.consumer_key,
                "sub": credentials.user_name,
                "aud": self.audience,
                "iat": now,
                "exp": now + ASSERTION_LIFETIME_S,
            },
            credentials.private_key_pem,
            algorithm="RS256",
        )
        operation = "token grant"
        response = self._transport.send(
            operation,
            "POST",
            self.token_url,
            budget,
            idempotent=True,  # a second grant only makes a second token
            expect_json=True,
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            err = error_from_response(operation, response)
            raise SalesforceAuthError(operation, status=err.status, code=err.code, detail=err.detail)
        body = response.json()
        token, instance_url = body.get("access_token"), body.get("instance_url")
        if not (isinstance(token, str) and token and isinstance(instance_url, str) and instance_url.startswith("http")):
            raise SalesforceAuthError(operation, status=200, detail="the answer has no access_token or instance_url")
        count("TokenGrants")
        logger.info("Salesforce token granted", extra={"instance_url": body["instance_url"]})
        return AccessToken(token, instance_url.rstrip("/"), time.monotonic(), str(body.get("id") or ""), generation)

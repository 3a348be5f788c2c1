"""Configuration from environment variables, validated once per container.

The stack (``template.yaml``) sets every variable from a stack parameter. The names and the secret layout
are SCC-AC's, so existing users keep theirs.

A plain pydantic model fed from ``os.environ`` (variable names are the field names, case-insensitive):
pydantic-settings would do the same for 25-70 ms more of every cold start (its import pulls its cloud
secret sources), and the functions read nothing but environment variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connect_omni.errors import ConfigurationError

_ORG_ID = re.compile(r"^00D[0-9A-Za-z]{12}([0-9A-Za-z]{3})?$")
_INSTANCE_ARN = re.compile(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[0-9a-f-]{36}$")


class Settings(BaseModel):
    """Every environment variable the functions read.

    Required
    --------
    SALESFORCE_ORG_ID:
        Org id, 15 or 18 characters (``00D...``). The ``OrgId`` header always carries the 15-character form
        (the Interaction Service rejects the 18-character one with error 10016 "Enter a valid header"; Salesforce's
        Interaction Service API description, github.com/salesforce-misc/interaction-service-apis:
        inbound-interaction-api.yaml header ``OrgId``, ERRORCODES.md).
    SALESFORCE_SCRT_URL:
        Interaction Service base URL, ``https://<MyDomain>.my.salesforce-scrt.com``.
    SALESFORCE_AUTH_URL:
        OAuth authorization server: the token endpoint is ``{SALESFORCE_AUTH_URL}/services/oauth2/token``
        (the login URL or the org's My Domain URL); the JWT ``aud`` follows from it
        (:func:`jwt_audience`) unless ``SALESFORCE_JWT_AUDIENCE`` is set.
    SALESFORCE_AUTHORIZATION_CONTEXT:
        ConversationChannelDefinition developer name (the ``AuthorizationContext`` header).
    SALESFORCE_SECRET_ID:
        Secrets Manager secret id or ARN (``CONNECTED_APP_CONSUMER_KEY``, ``CERTIFICATE_PRIVATE_KEY``,
        ``API_ACCESS_USER_NAME``).
    CALL_CENTER_ID:
        Salesforce contact center id (``04v...``); returned to the flow and used to filter
        ``CallCenterRoutingMap``.
    CONNECT_INSTANCE_ARN:
        The Amazon Connect instance; only queue ARNs of this instance are returned as ``externalQueueId``.

    Optional
    --------
    Each has a default safe for production; see the field descriptions.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    salesforce_org_id: str
    salesforce_scrt_url: str
    salesforce_auth_url: str
    salesforce_authorization_context: str = Field(min_length=1)
    salesforce_secret_id: str = Field(min_length=1)
    call_center_id: str = Field(min_length=1)
    connect_instance_arn: str

    salesforce_api_version: str = Field("62.0", pattern=r"^\d+\.\d$", description="REST API version for SOQL")
    session_creation_mode: Literal["conversation", "interactions"] = Field(
        "conversation",
        description="conversation: POST /conversation (adds no message); interactions: SCC-AC's "
        "EntryInteraction with an empty text message",
    )
    end_user_from_customer_address: bool = Field(
        True,
        description="without clientId, an SMS/WhatsApp customer's E.164 number is the end user (false: the "
        "InitialContactId, as SCC-AC does)",
    )
    routing_map_cache_ttl_seconds: int = Field(300, ge=0, le=86_400)
    secret_cache_seconds: int = Field(3600, ge=0, description="how long a read secret is reused (s)")
    http_connect_timeout_seconds: float = Field(2.0, gt=0, le=8, description="TCP+TLS connect cap per try")
    budget_margin_ms: int = Field(600, ge=0, le=5000, description="kept back from the invocation's remaining time (ms)")
    salesforce_max_attempts: int = Field(3, ge=1, le=10, description="tries per call on 429/5xx/connection")
    salesforce_jwt_audience: str | None = Field(
        None,
        description="the JWT bearer assertion's aud when the one derived from SALESFORCE_AUTH_URL does not fit "
        "(e.g. an Experience Cloud site, or a login URL of another Salesforce cloud)",
    )
    state_table_name: str | None = Field(
        None,
        description="the stack's DynamoDB state table: the routing ledger (exactly one PSR), the /interactions "
        "claim and the shared Salesforce token; unset: per-container behaviour",
    )

    token_store_timeout_ms: int = Field(
        1000,
        ge=50,
        le=30_000,
        description="bound of each call to the shared token store (ms; the invocation's budget bounds it too); "
        "past it the container grants for itself",
    )

    chat_transcripts_bucket: str | None = None
    chat_transcripts_prefix: str | None = None
    history_batch_size: int = Field(5, ge=1, le=25, description="entries per /conversationHistory request")
    history_concurrency: int = Field(
        10, ge=1, le=32, description="/conversationHistory requests in flight at once after the newest batch"
    )
    transcript_max_age_hours: int = Field(24, ge=1, le=24 * 14)

    @field_validator("salesforce_org_id")
    @classmethod
    def _org_id(cls, value: str) -> str:
        if not _ORG_ID.match(value):
            raise ValueError("expected a Salesforce org id of 15 or 18 characters starting with 00D")
        return value

    @field_validator("salesforce_scrt_url", "salesforce_auth_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("expected an https:// URL")
        return value.rstrip("/")

    @field_validator("connect_instance_arn")
    @classmethod
    def _instance_arn(cls, value: str) -> str:
        if not _INSTANCE_ARN.match(value):
            raise ValueError("expected arn:aws:connect:<region>:<account>:instance/<instance id>")
        return value

    @property
    def org_id_15(self) -> str:
        """The 15-character org id sent in the ``OrgId`` header."""
        return self.salesforce_org_id[:15]

    @property
    def jwt_audience(self) -> str:
        """The JWT ``aud``: ``SALESFORCE_JWT_AUDIENCE`` when set, else :func:`jwt_audience` of
        ``SALESFORCE_AUTH_URL``."""
        return (self.salesforce_jwt_audience or "").strip().rstrip("/") or jwt_audience(self.salesforce_auth_url)

    @property
    def token_url(self) -> str:
        """``{SALESFORCE_AUTH_URL}/services/oauth2/token``."""
        return f"{self.salesforce_auth_url}/services/oauth2/token"


_SANDBOX_MY_DOMAIN = re.compile(r"^[a-z0-9-]+--[a-z0-9]+\.(sandbox\.)?my\.salesforce\.com$")


def jwt_audience(auth_url: str) -> str:
    """The ``aud`` a JWT bearer assertion must carry for a token endpoint at ``auth_url`` (str, https URL).

    Salesforce expects the authorization server's login URL, not the host the assertion is posted to:
    ``https://login.salesforce.com`` for production orgs and ``https://test.salesforce.com`` for sandboxes, also
    when the token endpoint is the org's My Domain (help.salesforce.com/s/articleView?id=
    xcloud.remoteaccess_oauth_jwt_flow.htm, "aud"). So:

    - ``test.salesforce.com`` and sandbox My Domains (``<domain>--<sandbox>.sandbox.my.salesforce.com``, and the
      older ``<domain>--<sandbox>.my.salesforce.com``) → ``https://test.salesforce.com``;
    - ``login.salesforce.com`` and production My Domains (``<domain>.my.salesforce.com``) →
      ``https://login.salesforce.com``;
    - anything else (an Experience Cloud site, another Salesforce cloud, a local emulator) → ``auth_url`` itself;
      ``SALESFORCE_JWT_AUDIENCE`` overrides it where that is not what the org expects.
    """
    url = auth_url.rstrip("/")
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    if host == "test.salesforce.com" or _SANDBOX_MY_DOMAIN.match(host):
        return "https://test.salesforce.com"
    if host == "login.salesforce.com" or host.endswith(".my.salesforce.com"):
        return "https://login.salesforce.com"
    return url


def load_settings(values: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the environment, or only ``values`` (names case-insensitive).

    Parameters
    ----------
    values : mapping of str to str, optional
        Environment variable name -> value (e.g. a deployed stack's parameters); when given, the process
        environment is not read at all.

    Returns
    -------
    Settings

    Raises
    ------
    ConfigurationError
        When a required variable is missing or a value is malformed; the message names each variable.
    """
    try:
        source = os.environ if values is None else values
        fields = Settings.model_fields
        return Settings.model_validate({name: v for k, v in source.items() if (name := k.lower()) in fields})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors())
        raise ConfigurationError(f"invalid configuration: {problems}") from None

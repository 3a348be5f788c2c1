"""What the checks share: the deployment, AWS clients with timeouts, the Salesforce adapters, earlier results."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connect_omni.budget import Budget
from connect_omni.container import SalesforceAdapters, salesforce_adapters
from connect_omni.salesforce.auth import AccessToken, SalesforceCredentials, TokenProvider
from connect_omni.salesforce.interaction import InteractionServiceClient
from connect_omni.salesforce.routing_map import CallCenterRoutingMap
from connect_omni.settings import Settings
from connect_omni_ops.doctor.deployment import Deployment

_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]+):")


class Fail(Exception):
    """Raised by a check: it found a problem (``detail``) and says how to fix it (``hint``)."""

    def __init__(self, detail: str, hint: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


class Skip(Exception):
    """Raised by a check that cannot run with what it was given (``detail``; ``hint``: what it needs)."""

    def __init__(self, detail: str, hint: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


def region_of(arn: str) -> str | None:
    """The region field of an ARN, or None."""
    match = _ARN_REGION.match(arn)
    return match[1] if match and match[1] else None


@dataclass
class Context:
    """Shared by the checks of one run.

    Parameters
    ----------
    load_deployment : callable
        Returns the :class:`Deployment` (the environment, or a stack read through ``aws("cloudformation")``).
    timeout_s : float
        Time allowed to each check (s); Salesforce calls get a :class:`Budget` of it, AWS calls
        connect/read timeouts below it.
    region : str or None
        ``--region``; AWS's default chain (``AWS_REGION``, profile) when None.
    progress : callable
        Receives short progress lines (the CLI prints them to stderr).
    """

    load_deployment: Callable[[Context], Deployment]
    timeout_s: float = 20.0
    region: str | None = None
    progress: Callable[[str], None] = lambda _line: None
    deployment: Deployment | None = None
    settings: Settings | None = None
    credentials: SalesforceCredentials | None = None
    token: AccessToken | None = None
    routing_entries: dict[str, str] | None = None
    _clients: dict[tuple[str, str | None], Any] = field(default_factory=dict)
    _salesforce: SalesforceAdapters | None = None
    _session: Any = None

    # AWS ----------------------------------------------------------------------------------------------

    def aws(self, service: str, region: str | None = None) -> Any:
        """A boto3 client (cached) with connect/read timeouts and at most 2 tries per call.

        ``AWS_ENDPOINT_URL[_<SERVICE>]`` are honoured by boto3 itself, which is how the stand-ins are reached.
        """
        key = (service, region or self.region)
        if key not in self._clients:
            import boto3
            from botocore.config import Config

            if self._session is None:
                self._session = boto3.session.Session(region_name=self.region)
            read = max(1.0, min(10.0, self.timeout_s / 2))
            config = Config(
                connect_timeout=min(3.0, read),
                read_timeout=read,
                retries={"max_attempts": 2, "mode": "standard"},
                user_agent_extra="connect-omni-doctor",
            )
            self._clients[key] = self._session.client(service, region_name=key[1], config=config)
        return self._clients[key]

    # Salesforce ---------------------------------------------------------------------------------------

    def budget(self) -> Budget:
        """A fresh budget of :attr:`timeout_s` minus a second, for one check's Salesforce calls."""
        return Budget.of_seconds(max(1.0, self.timeout_s - 1.0))

    def _adapters(self) -> SalesforceAdapters:
        if self._salesforce is None:

            def load_credentials(_budget: Budget) -> SalesforceCredentials:
                if self.credentials is None:
                    raise Skip("no readable secret (see the secret check)")
                return self.credentials

            # The functions' own wiring; the routing map is read fresh (no cache).
            self._salesforce = salesforce_adapters(self.require_settings(), load_credentials, routing_map_ttl_s=0)
        return self._salesforce

    @property
    def tokens(self) -> TokenProvider:
        """The :class:`TokenProvider` (JWT bearer grant with the secret the secret check read)."""
        return self._adapters().tokens

    @property
    def interaction(self) -> InteractionServiceClient:
        """The Interaction Service client, configured as the functions configure theirs."""
        return self._adapters().interaction_service

    @property
    def routing_map(self) -> CallCenterRoutingMap:
        """The ``CallCenterRoutingMap`` reader of ``CALL_CENTER_ID``."""
        return self._adapters().routing_map

    # earlier results ----------------------------------------------------------------------------------

    def require_settings(self) -> Settings:
        """The validated settings (the configuration check passed before any check that calls this)."""
        if self.settings is None:
            raise Skip("no valid configuration (see the configuration check)")
        return self.settings

    def require_stack(self, what: str) -> Deployment:
        """The deployment when it is a stack, else :class:`Skip` saying ``what`` needs ``--stack``."""
        if self.deployment is None or not self.deployment.is_stack:
            raise Skip(f"{what} needs the deployed stack", "Run with --stack NAME (the functions are read from it).")
        return self.deployment

    def instance_region(self) -> str | None:
        """The Connect instance's region (from ``CONNECT_INSTANCE_ARN``)."""
        return region_of(self.require_settings().connect_instance_arn)

    @property
    def instance_id(self) -> str:
        """The Connect instance id (the last part of ``CONNECT_INSTANCE_ARN``)."""
        return self.require_settings().connect_instance_arn.rpartition("/")[2]

"""Checks of the configuration, the secret and the Salesforce side: grant, org, Interaction Service, routing map.

Each check takes the :class:`~connect_omni_ops.doctor.context.Context`, returns what it found (str) when it
passes, and raises :class:`~connect_omni_ops.doctor.context.Fail` or :class:`~connect_omni_ops.doctor.context.Skip`.
They reuse the functions' adapters, so a passing check means the functions' calls work the same way.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

from connect_omni.errors import BudgetExhaustedError, ConfigurationError, SalesforceError
from connect_omni.salesforce.auth import SalesforceCredentials
from connect_omni.settings import load_settings
from connect_omni_ops.doctor.advice import (
    PROBE_ACCEPTED_CODES,
    grant_advice,
    interaction_advice,
    routing_map_advice,
)
from connect_omni_ops.doctor.aws import aws_failure
from connect_omni_ops.doctor.context import Context, Fail, Skip, region_of
from connect_omni_ops.doctor.deployment import FLOW_FUNCTIONS, DeploymentError
from connect_omni_ops.doctor.report import plural

SECRET_KEYS = ("CONNECTED_APP_CONSUMER_KEY", "CERTIFICATE_PRIVATE_KEY", "API_ACCESS_USER_NAME")
#: A conversation identifier no conversation has: the Interaction Service probe reads nothing.
PROBE_CONVERSATION = "00000000-0000-4000-8000-000000000000"
_IDENTITY = re.compile(
    r"/id/(?P<org>00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?)/(?P<user>005[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?)"
)


def check_configuration(ctx: Context) -> str:
    """The variables the functions read (or the stack's parameters) are all there and well formed."""
    try:
        deployment = ctx.load_deployment(ctx)
    except DeploymentError as exc:
        raise Fail(
            str(exc),
            "Check the stack name and the region (--region, AWS_REGION): "
            "aws cloudformation describe-stacks --stack-name NAME",
        ) from None
    except Exception as exc:
        failure = aws_failure(
            exc,
            "read the stack",
            "cloudformation:DescribeStacks, cloudformation:ListStackResources and lambda:GetFunctionConfiguration",
        )
        raise Fail(failure.detail, failure.hint) from None  # without the stack there is nothing to check
    ctx.deployment = deployment
    try:
        ctx.settings = load_settings(deployment.values)
    except ConfigurationError as exc:
        where = (
            "the stack's parameters (the functions' variables come from them)"
            if deployment.is_stack
            else ("the variables the functions read")
        )
        raise Fail(
            str(exc),
            f"Fix {where} (README, Deploy > 2. The stack, lists each one and its format); the functions fail the "
            "same way at every cold start.",
        ) from None
    s = ctx.settings
    found = f"org {s.org_id_15}, call center {s.call_center_id}, instance {ctx.instance_id}"
    if deployment.is_stack:
        missing = [name for name in FLOW_FUNCTIONS if name not in deployment.function_arns]
        if missing:
            raise Fail(
                f"{deployment.target} has no {' or '.join(missing)} function",
                "Is this a connect-omni stack? Deploy template.yaml (sam build && sam deploy) and pass its name.",
            )
        found += f"; functions {', '.join(sorted(deployment.function_arns))}"
    return f"{deployment.target}: {found}"


def _key_kind(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519

    kinds = {
        ec.EllipticCurvePrivateKey: "EC",
        ed25519.Ed25519PrivateKey: "Ed25519",
        ed448.Ed448PrivateKey: "Ed448",
        dsa.DSAPrivateKey: "DSA",
    }
    return next((name for cls, name in kinds.items() if isinstance(key, cls)), type(key).__name__)


def check_secret(ctx: Context) -> str:
    """The secret exists, is JSON with the three keys, and its key parses as an unencrypted RSA private key."""
    s = ctx.require_settings()
    secret_id = s.salesforce_secret_id
    shown = secret_id.rpartition(":secret:")[2] or secret_id  # the name, for an ARN
    deployment = ctx.deployment
    region = region_of(secret_id) or (deployment.region if deployment else None)
    try:
        answer = ctx.aws("secretsmanager", region).get_secret_value(SecretId=secret_id)
    except Exception as exc:
        raise aws_failure(
            exc,
            f"read the secret {shown!r}",
            "secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its customer managed key, if any)",
            not_found=(
                f"no secret {shown!r} in this region",
                "Create it as README 'Deploy > 1' shows, in the stack's region, or set SalesforceSecretName to the "
                "name of the existing one (SCC-AC's SCCAC-Secret can be reused as is).",
            ),
        ) from None
    text = answer.get("SecretString")
    layout = "Store a JSON object with CONNECTED_APP_CONSUMER_KEY, CERTIFICATE_PRIVATE_KEY and API_ACCESS_USER_NAME"
    if text is None:
        raise Fail(f"{shown} holds binary data, not a JSON string", f"{layout} (README 'Deploy > 1', step 4).")
    try:
        data = json.loads(text)
    except ValueError:
        raise Fail(f"{shown} is not JSON", f"{layout} (README 'Deploy > 1', step 4).") from None
    if not isinstance(data, dict):
        raise Fail(f"{shown} is JSON but not an object", f"{layout}.")
    missing = [k for k in SECRET_KEYS if not isinstance(data.get(k), str) or not data[k].strip()]
    if missing:
        found = ", ".join(sorted(str(k) for k in data)) or "none"
        raise Fail(
            f"{shown}: missing or empty {', '.join(missing)} (keys found: {found})",
            f"{layout}: the names are SCC-AC's and case-sensitive; CERTIFICATE_PRIVATE_KEY is the PEM private key.",
        )
    try:
        credentials = SalesforceCredentials.from_secret(data)
    except ConfigurationError:
        raise Fail(
            f"{shown}: CERTIFICATE_PRIVATE_KEY is not a PEM private key",
            "Store the private key file (connect-omni.key, '-----BEGIN PRIVATE KEY-----' ...), not the certificate "
            "(.crt) uploaded to the connected app.",
        ) from None
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(credentials.private_key_pem.encode(), password=None)
    except TypeError:
        raise Fail(
            f"{shown}: CERTIFICATE_PRIVATE_KEY is encrypted with a passphrase",
            "The functions cannot type a passphrase: store the key unencrypted "
            "(openssl pkey -in connect-omni.key -out connect-omni-plain.key).",
        ) from None
    except ValueError:
        raise Fail(
            f"{shown}: CERTIFICATE_PRIVATE_KEY does not parse as a private key",
            "Store the whole PEM file, from -----BEGIN to -----END, with its line breaks (or \\n escapes).",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise Fail(
            f"{shown}: CERTIFICATE_PRIVATE_KEY is an {_key_kind(key)} key, not RSA",
            "Salesforce's JWT bearer flow signs with RS256: make an RSA key pair and certificate (README "
            "'Deploy > 1', step 1), upload the certificate to the connected app and store the key.",
        )
    ctx.credentials = credentials
    return f"{shown}: the three keys; RSA {key.key_size}-bit private key; API user {credentials.user_name}"


def check_token_grant(ctx: Context) -> str:
    """Salesforce grants a token for the secret's connected app and user (JWT bearer flow)."""
    s = ctx.require_settings()
    credentials = ctx.credentials
    if credentials is None:
        raise Skip("no readable secret")
    try:
        token = ctx.tokens.get(ctx.budget())
    except SalesforceError as exc:
        advice = grant_advice(
            exc, auth_url=s.salesforce_auth_url, user_name=credentials.user_name, audience=s.jwt_audience
        )
        raise Fail(advice.detail, advice.hint) from None
    except BudgetExhaustedError:
        raise Fail(
            f"no answer from {s.salesforce_auth_url} within {ctx.timeout_s:g} s",
            "Check SALESFORCE_AUTH_URL and that this machine reaches it (proxy, firewall).",
        ) from None
    ctx.token = token
    return f"JWT bearer grant for {credentials.user_name} at {s.salesforce_auth_url}: token for {token.instance_url}"


def _my_domain(url: str, suffix: str) -> str | None:
    host = urlsplit(url).hostname or ""
    return host.removesuffix(suffix) if host.endswith(suffix) else None


def check_org(ctx: Context) -> str:
    """The token is for ``SALESFORCE_ORG_ID``'s org, and ``SALESFORCE_SCRT_URL`` has the token's My Domain."""
    s = ctx.require_settings()
    token = ctx.token
    if token is None:
        raise Skip("no token")
    match = _IDENTITY.search(token.identity_url)
    if match is None:
        raise Skip("the token answer carries no identity URL (id) to read the org from")
    org = match["org"]
    if org[:15] != s.org_id_15:
        raise Fail(
            f"the token is for org {org}; SALESFORCE_ORG_ID is {s.salesforce_org_id}",
            f"The secret's connected app and user are in org {org}: set SalesforceOrgId to it (Setup > Company "
            "Information), or point SalesforceAuthUrl and the secret at the org you meant (a sandbox has its own "
            "org id).",
        )
    instance_domain = _my_domain(token.instance_url, ".my.salesforce.com")
    scrt_domain = _my_domain(s.salesforce_scrt_url, ".my.salesforce-scrt.com")
    if instance_domain and scrt_domain and instance_domain != scrt_domain:
        raise Fail(
            f"SALESFORCE_SCRT_URL is My Domain {scrt_domain!r}; the token's instance is {instance_domain!r}",
            f"Set SalesforceScrtUrl to https://{instance_domain}.my.salesforce-scrt.com.",
        )
    return f"the token is for org {org} (SALESFORCE_ORG_ID), user {match['user']}"


def check_interaction_service(ctx: Context) -> str:
    """The Interaction Service accepts the token, ``OrgId`` and ``AuthorizationContext``, creating nothing.

    The probe is the read-only ``GET /api/v1/conversationEntry`` for a conversation identifier no conversation has:
    an answer about the conversation (e.g. 10018) comes only after the token and headers were accepted.
    """
    s = ctx.require_settings()
    if ctx.token is None:
        raise Skip("no token")
    try:
        ctx.interaction.conversation_entries(PROBE_CONVERSATION, int(time.time() * 1000), ctx.budget())
        answered = "200"
    except SalesforceError as exc:
        if str(exc.code) not in PROBE_ACCEPTED_CODES:
            advice = interaction_advice(
                exc, scrt_url=s.salesforce_scrt_url, org_id_15=s.org_id_15, context=s.salesforce_authorization_context
            )
            raise Fail(advice.detail, advice.hint) from None
        answered = f"code {exc.code} for the probe conversation"
    except BudgetExhaustedError:
        raise Fail(
            f"no answer from {s.salesforce_scrt_url} within {ctx.timeout_s:g} s",
            "Check SALESFORCE_SCRT_URL (https://<MyDomain>.my.salesforce-scrt.com) and that this machine reaches it.",
        ) from None
    return (
        f"GET /api/v1/conversationEntry accepted the token, OrgId {s.org_id_15} and AuthorizationContext "
        f"{s.salesforce_authorization_context} ({answered}; nothing read or created)"
    )


def check_routing_map(ctx: Context) -> str:
    """``CallCenterRoutingMap`` of ``CALL_CENTER_ID`` is readable and not empty."""
    s = ctx.require_settings()
    if ctx.token is None:
        raise Skip("no token")
    try:
        entries = ctx.routing_map.read(ctx.budget())
    except SalesforceError as exc:
        advice = routing_map_advice(exc, call_center_id=s.call_center_id, api_version=s.salesforce_api_version)
        raise Fail(advice.detail, advice.hint) from None
    except BudgetExhaustedError:
        raise Fail(f"the SOQL query got no answer within {ctx.timeout_s:g} s", "Try again later.") from None
    if not entries:
        raise Fail(
            f"no CallCenterRoutingMap records for CALL_CENTER_ID {s.call_center_id}",
            "Then every chat lands in the flow's fallback queue. Check that CALL_CENTER_ID is the 04v... id of the "
            "contact center whose Omni-Queues are mapped to Connect queues, or add the mappings there.",
        )
    ctx.routing_entries = entries
    queues = sum(1 for k in entries if k.startswith("00G"))
    users = sum(1 for k in entries if k.startswith("005"))
    kinds = f"{plural(queues, 'Omni-Queue')}, {plural(users, 'user')}"
    return f"{plural(len(entries), 'record')} for call center {s.call_center_id}: {kinds}"

"""Salesforce's error answers turned into plain advice for the mistake people actually make.

Sources:

- OAuth 2.0 JWT bearer flow and its errors: help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
  and the threads where these errors are answered by hand, e.g. github.com/omniphx/forrest/issues/278 (user not
  pre-authorized; production vs sandbox login URL), github.com/forcedotcom/cli/issues/3482 (``audience is invalid``
  for a sandbox signed against https://login.salesforce.com), github.com/frankkessler/
  salesforce-laravel-oauth2-rest/issues/68 (``invalid assertion``: certificate and key do not match),
  github.com/pozil/salesforce-react-integration/issues/15 (``client identifier invalid`` while a new connected
  app propagates).
- Interaction Service error codes: ERRORCODES.md and ``inbound-interaction-api.yaml`` of the public repository
  github.com/salesforce-misc/interaction-service-apis.
"""

from __future__ import annotations

from dataclasses import dataclass

from connect_omni.errors import SalesforceError, SalesforceUnavailableError

LOGIN_URL = "https://login.salesforce.com"
SANDBOX_LOGIN_URL = "https://test.salesforce.com"

CERTIFICATE_COMPARE = (
    "Compare `openssl x509 -noout -modulus -in connect-omni.crt | openssl md5` with "
    "`openssl rsa -noout -modulus -in connect-omni.key | openssl md5`: they must print the same."
)


@dataclass(frozen=True)
class Advice:
    """``detail``: what Salesforce said, in short; ``hint``: what to change."""

    detail: str
    hint: str


def _said(err: SalesforceError) -> str:
    parts = [f"HTTP {err.status}" if err.status else "no answer"]
    if err.code:
        parts.append(f"code {err.code}")
    text = " ".join(parts)
    return f"{text}: {err.detail}" if err.detail else text


def grant_advice(err: SalesforceError, *, auth_url: str, user_name: str, audience: str | None = None) -> Advice:
    """Advice for a refused or failed JWT bearer grant.

    Parameters
    ----------
    err : SalesforceError
        From :meth:`connect_omni.salesforce.auth.TokenProvider.get`.
    auth_url : str
        ``SALESFORCE_AUTH_URL`` (the token endpoint's host).
    audience : str, optional
        The JWT ``aud`` that was sent (:attr:`connect_omni.settings.Settings.jwt_audience`); ``auth_url`` when
        omitted.
    user_name : str
        ``API_ACCESS_USER_NAME`` of the secret (named in the advice; it is not a secret).
    """
    said = f"{auth_url}/services/oauth2/token answered {_said(err)}"
    if isinstance(err, SalesforceUnavailableError) or err.status is None:
        return Advice(
            f"could not get an answer from {auth_url}: {err.detail or err}",
            "Check SALESFORCE_AUTH_URL and that this machine reaches it (proxy, firewall, REQUESTS_CA_BUNDLE). "
            "Salesforce answers slowly or not at all during maintenance: try again later.",
        )
    code = (err.code or "").lower()
    text = (err.detail or "").lower()
    if code == "invalid_client_id" or "client identifier invalid" in text:
        return Advice(
            said,
            f"Salesforce at {auth_url} does not know CONNECTED_APP_CONSUMER_KEY. Copy the consumer key of the "
            "connected app (App Manager > the app > View > Manage Consumer Details) into the secret; the app must "
            "exist in this org (a production app is not in a sandbox until it is refreshed, and vice versa). A new "
            "or edited connected app takes up to 10 minutes to be usable.",
        )
    if "audience" in text:
        sent = (audience or auth_url).rstrip("/")
        if sent in (LOGIN_URL, SANDBOX_LOGIN_URL):
            other = SANDBOX_LOGIN_URL if sent == LOGIN_URL else LOGIN_URL
            change = (
                f"If this org is the other kind, set the stack parameter SalesforceAuthUrl to {other} (or the org's "
                f"My Domain), or SalesforceJwtAudience to {other}."
            )
        else:
            change = (
                f"Set the stack parameter SalesforceJwtAudience to {LOGIN_URL} or {SANDBOX_LOGIN_URL}, or "
                f"SalesforceAuthUrl to one of those or to the org's My Domain URL: the audience is derived from it."
            )
        return Advice(
            said,
            f"The JWT audience sent was {sent} and this org expects another one: production and Developer Edition "
            f"orgs use {LOGIN_URL}, sandboxes {SANDBOX_LOGIN_URL}, also when the token endpoint is the org's My "
            f"Domain. {change}",
        )
    if "approved" in text or code == "invalid_app_access":
        return Advice(
            said,
            f"The API user {user_name!r} is not pre-authorized for the connected app: App Manager > the app > "
            "Manage > Edit Policies > Permitted Users: 'Admin approved users are pre-authorized', then add the "
            "user's profile (Manage Profiles) or a permission set (Manage Permission Sets). Check also that "
            "API_ACCESS_USER_NAME is this org's user name (sandbox user names end in .<sandbox name>).",
        )
    if "expired" in text:
        return Advice(
            said,
            "The assertion had expired when Salesforce checked it: this machine's clock is off. Sync it (NTP); the "
            "assertion lives 3 minutes.",
        )
    if "assertion" in text or "signature" in text:
        return Advice(
            said,
            "Salesforce could not verify the assertion with the certificate of the connected app: "
            "CERTIFICATE_PRIVATE_KEY is not the private key of the certificate uploaded under 'Use digital "
            f"signatures' (or CONNECTED_APP_CONSUMER_KEY is another app's). {CERTIFICATE_COMPARE} Then upload the "
            "matching certificate or store the matching key.",
        )
    if "authentication failure" in text or code in ("inactive_user", "inactive_org"):
        return Advice(
            said,
            f"Salesforce refused the user {user_name!r}: it does not exist in this org, is frozen or inactive, or "
            "its profile's login IP ranges or hours block it (Setup > Users; Login History shows the reason).",
        )
    if err.status == 404 or code == "unsupported_grant_type" or not err.code:
        return Advice(
            said,
            f"SALESFORCE_AUTH_URL ({auth_url}) is not a Salesforce OAuth server: use {LOGIN_URL}, "
            f"{SANDBOX_LOGIN_URL} or the org's My Domain URL https://<domain>.my.salesforce.com (not the "
            "Interaction Service URL ...salesforce-scrt.com).",
        )
    return Advice(said, "See Salesforce's 'OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration' for this error.")


#: Interaction Service codes that are only reached after the token, OrgId and AuthorizationContext were
#: accepted: the probe's conversation is unknown or its parameters are refused.
PROBE_ACCEPTED_CODES = frozenset({"10018", "10025", "10089", "10090", "10092"})


def interaction_advice(err: SalesforceError, *, scrt_url: str, org_id_15: str, context: str) -> Advice:
    """Advice for an Interaction Service call refused because of the token, the headers or the URL."""
    said = _said(err)
    code = str(err.code or "")
    if code == "10003":
        hint = (
            "The connected app lacks the OAuth scope 'Access Interaction API resources (interaction_api)': add it "
            "(App Manager > the app > Edit > Selected OAuth Scopes); new scopes apply to new tokens."
        )
    elif code == "10005":
        hint = (
            f"AuthorizationContext {context!r} is not a ConversationChannelDefinition this token may use: set "
            "SalesforceAuthorizationContext to the developer (API) name of the Conversation Channel Definition of "
            "your messaging channel, exactly (it is case-sensitive), and give the API user access to it."
        )
    elif code == "10016":
        hint = (
            f"A header was refused, usually OrgId ({org_id_15}): SALESFORCE_ORG_ID must be the id of the org the "
            "token is for (Setup > Company Information > Salesforce.com Organization ID) and of the org "
            "SALESFORCE_SCRT_URL belongs to."
        )
    elif code == "10004" or err.status == 401:
        hint = (
            "The Interaction Service refused the token: SALESFORCE_SCRT_URL belongs to another org than the token "
            "(compare its My Domain with the token's instance URL), or the connected app lacks the interaction_api "
            "scope."
        )
    elif code in ("10057", "10099", "15102", "15105"):
        hint = (
            "The org or the API user lacks a permission the Interaction Service needs (Contact Center as a Service, "
            "Partner Messaging for the user): see the code in Salesforce's Interaction Service error list."
        )
    elif err.status == 404 or isinstance(err, SalesforceUnavailableError):
        hint = (
            f"SALESFORCE_SCRT_URL ({scrt_url}) does not serve the Interaction Service: it is "
            "https://<MyDomain>.my.salesforce-scrt.com (sandboxes: "
            "<MyDomain>--<sandbox>.sandbox.my.salesforce-scrt.com)."
        )
    else:
        hint = "See Salesforce's Interaction Service error codes for this code."
    return Advice(f"{err.operation} answered {said}", hint)


def routing_map_advice(err: SalesforceError, *, call_center_id: str, api_version: str) -> Advice:
    """Advice for a failed ``CallCenterRoutingMap`` query."""
    code = str(err.code or "")
    if code == "INVALID_TYPE":
        hint = (
            "The API user cannot see CallCenterRoutingMap: give it read access to the object (README, Deploy, "
            f"step 1.3); the object exists from API version 53.0 (SALESFORCE_API_VERSION is {api_version})."
        )
    elif code in ("INVALID_QUERY_FILTER_OPERATOR", "MALFORMED_ID", "INVALID_ID_FIELD", "MALFORMED_QUERY"):
        hint = f"CALL_CENTER_ID ({call_center_id!r}) is not a Salesforce id: use the 04v... id of the contact center."
    elif code == "INVALID_SESSION_ID" or err.status == 401:
        hint = "Salesforce refused the token for its REST API: the connected app needs the 'api' OAuth scope."
    else:
        hint = "See the error code in Salesforce's REST API documentation."
    return Advice(f"{err.operation} answered {_said(err)}", hint)

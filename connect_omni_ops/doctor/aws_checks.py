"""Checks of the AWS side: routing map targets in the Connect instance, Lambda associations and timeouts, the
published flows, chat transcript storage, the EventBridge rule and the transcript DLQ.

Amazon Connect API Reference: ListLambdaFunctions, ListContactFlows, DescribeContactFlow, DescribeQueue,
DescribeUser, ListInstanceStorageConfigs; Lambda GetFunctionConfiguration; EventBridge DescribeRule and
ListTargetsByRule; SQS GetQueueAttributes. Connect waits at most 8 s for a Lambda
(docs.aws.amazon.com/connect/latest/adminguide/connect-lambda-functions.html).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from connect_omni_ops.doctor.aws import aws_failure
from connect_omni_ops.doctor.context import Context, Fail, Skip, region_of
from connect_omni_ops.doctor.deployment import FLOW_FUNCTIONS, unqualified
from connect_omni_ops.doctor.report import plural

CONNECT_LAMBDA_LIMIT_S = 8
_CONNECT_TARGET = re.compile(
    r"^(?P<instance>arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/(?P<instance_id>[0-9a-f-]{36}))"
    r"/(?P<kind>queue|agent)/(?P<id>[^/]+)$"
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SHOWN = 6
DEPTH_ATTRIBUTES = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")


def _listed(problems: list[str]) -> str:
    shown = "; ".join(problems[:_SHOWN])
    return shown + (f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else "")


def check_routing_map_targets(ctx: Context) -> str:
    """Every mapped ``ExternalId`` is a queue (Omni-Queue ``00G``) or agent (user ``005``) of the instance."""
    s = ctx.require_settings()
    entries = ctx.routing_entries
    if entries is None:
        raise Skip("the routing map was not read")
    connect = ctx.aws("connect", ctx.instance_region())
    described: dict[str, str | None] = {}
    problems: list[str] = []
    counted = {"queue": 0, "agent": 0}
    ignored = 0
    for index, (reference, external) in enumerate(sorted(entries.items()), start=1):
        if index % 25 == 0:
            ctx.progress(f"  {index}/{len(entries)} routing map records")
        kind = {"00G": "queue", "005": "agent"}.get(reference[:3])
        if kind is None:
            ignored += 1
            continue
        what = "Omni-Queue" if kind == "queue" else "user"
        match = _CONNECT_TARGET.match(external.strip())
        if match is None:
            problems.append(f"{what} {reference} -> {external!r}: not a Connect {kind} ARN")
            continue
        if match["instance"] != s.connect_instance_arn:
            problems.append(f"{what} {reference} -> a {match['kind']} of another instance ({match['instance_id']})")
            continue
        if match["kind"] != kind:
            problems.append(f"{what} {reference} -> an {match['kind']} ARN; the functions only use {kind} ARNs for it")
            continue
        if external not in described:
            described[external] = _describe_target(ctx, connect, kind, match["id"])
        if described[external] is None:
            problems.append(f"{what} {reference} -> {kind} {match['id']}: no such {kind} in the instance")
            continue
        counted[kind] += 1
    if problems:
        raise Fail(
            f"{len(problems)} of {plural(len(entries), 'record')} lead nowhere: {_listed(problems)}",
            "Chats routed there land in the flow's fallback queue. Set each record's ExternalId to the ARN of a "
            "queue (or agent) of CONNECT_INSTANCE_ARN (Connect console > Routing > Queues > the queue: ARN).",
        )
    extra = f"; {plural(ignored, 'record')} of other kinds ignored, as the functions do" if ignored else ""
    found = f"{plural(counted['queue'], 'queue')} and {plural(counted['agent'], 'agent')}"
    return f"{found}, all in instance {ctx.instance_id}{extra}"


def _describe_target(ctx: Context, connect: Any, kind: str, target_id: str) -> str | None:
    """The queue's or user's name, or None when it does not exist."""
    try:
        if kind == "queue":
            return connect.describe_queue(InstanceId=ctx.instance_id, QueueId=target_id)["Queue"].get("Name", "")
        return connect.describe_user(InstanceId=ctx.instance_id, UserId=target_id)["User"].get("Username", "")
    except connect.exceptions.ResourceNotFoundException:
        return None
    except Exception as exc:
        permissions = "connect:DescribeQueue and connect:DescribeUser"
        raise aws_failure(exc, f"describe {kind} {target_id}", permissions) from None


def _flow_functions(ctx: Context, what: str) -> dict[str, str]:
    """Short name -> ARN of the flow functions of the stack (Skip without --stack)."""
    deployment = ctx.require_stack(what)
    return {name: deployment.function_arns[name] for name in FLOW_FUNCTIONS}


def check_lambda_association(ctx: Context) -> str:
    """CreateMessagingSession and Routing are associated with the instance (Connect ``ListLambdaFunctions``)."""
    functions = _flow_functions(ctx, "the association check")
    connect = ctx.aws("connect", ctx.instance_region())
    try:
        pages = connect.get_paginator("list_lambda_functions").paginate(InstanceId=ctx.instance_id)
        associated = {unqualified(arn) for page in pages for arn in page.get("LambdaFunctions", [])}
    except Exception as exc:
        raise aws_failure(
            exc,
            f"list the Lambda functions of instance {ctx.instance_id}",
            "connect:ListLambdaFunctions",
            not_found=(f"no Connect instance {ctx.instance_id}", "Check CONNECT_INSTANCE_ARN (its region and id)."),
        ) from None
    missing = [f"{name} ({arn})" for name, arn in functions.items() if unqualified(arn) not in associated]
    if missing:
        raise Fail(
            f"not associated with instance {ctx.instance_id}: {', '.join(missing)}",
            "A flow cannot invoke a function the instance does not know: its Invoke block takes the Error branch. "
            "Deploy with CreateIntegrationAssociations=true, or add it (Connect console > the instance > Flows > "
            "AWS Lambda, or aws connect associate-lambda-function --instance-id ID --function-arn ARN).",
        )
    return f"{' and '.join(functions)} are associated with instance {ctx.instance_id}"


def check_lambda_timeouts(ctx: Context) -> str:
    """The flow functions' timeouts are at most Connect's 8 s (Lambda ``GetFunctionConfiguration``)."""
    functions = _flow_functions(ctx, "the timeout check")
    timeouts = {}
    for name, arn in functions.items():
        try:
            config = ctx.aws("lambda", region_of(arn)).get_function_configuration(FunctionName=arn)
        except Exception as exc:
            raise aws_failure(
                exc,
                f"read the configuration of {name}",
                "lambda:GetFunctionConfiguration",
                not_found=(f"no function {arn}", "Redeploy the stack: its function is gone."),
            ) from None
        timeouts[name] = int(config.get("Timeout", 3))
    too_long = {name: t for name, t in timeouts.items() if t > CONNECT_LAMBDA_LIMIT_S}
    if too_long:
        raise Fail(
            ", ".join(f"{name} times out after {t} s" for name, t in too_long.items()),
            f"Amazon Connect waits at most {CONNECT_LAMBDA_LIMIT_S} s: the function's budget comes from its own "
            "remaining time, so with a longer timeout it keeps calling Salesforce after the flow took its Error "
            "branch. Set Timeout: 8 (template Globals) and redeploy, or aws lambda update-function-configuration "
            "--function-name NAME --timeout 8.",
        )
    found = ", ".join(f"{name} {t} s" for name, t in timeouts.items())
    return f"{found} (Connect waits at most {CONNECT_LAMBDA_LIMIT_S} s)"


# --------------------------------------------------------------------------------------------------
# contact flows
# --------------------------------------------------------------------------------------------------
def _placeholders() -> dict[str, str]:
    """Placeholder value in the shipped flows -> what it stands for."""
    try:
        from localdev.flows.placeholders import PLACEHOLDERS
    except ImportError:  # pragma: no cover - installed without localdev
        return {}
    return {value: ph.template_value for value, ph in PLACEHOLDERS.items()}


def _checker_problems(name: str, content: str, flow_type: str | None) -> tuple[list[str], int] | None:
    """The flow checker's errors and its count of warnings for a chat flow (``localdev.flows.check.check_text``),
    or None when the checker is not installed."""
    try:
        from localdev.flows.check import check_text
        from localdev.flows.sources import SourceError
    except ImportError:  # pragma: no cover - installed without localdev
        return None
    try:
        findings = check_text(name, content, flow_type=flow_type, channel="CHAT")
    except SourceError as exc:
        return [f"not a flow: {exc}"], 0
    errors = [f"{f.action}: {f.message}" for f in findings if f.severity == "error"]
    return errors, sum(1 for f in findings if f.severity != "error")


def _channel_values(flow: dict[str, Any], create_session_arn: str) -> list[tuple[str, str]]:
    """``(block, value)`` of every ``channelAddressIdentifier`` the flow sets or passes to CreateMessagingSession."""
    values = []
    for action in flow.get("Actions") or []:
        params = action.get("Parameters") or {}
        if action.get("Type") == "UpdateContactAttributes":
            value = (params.get("Attributes") or {}).get("channelAddressIdentifier")
        elif action.get("Type") == "InvokeLambdaFunction" and unqualified(
            str(params.get("LambdaFunctionARN", ""))
        ) == unqualified(create_session_arn):
            value = (params.get("LambdaInvocationAttributes") or {}).get("channelAddressIdentifier")
        else:
            continue
        if value is not None:
            values.append((str(action.get("Identifier", "-")), str(value)))
    return values


def sets_channel_address(flow: dict[str, Any], create_session_arn: str) -> bool:
    """True when the flow gives ``channelAddressIdentifier`` a value of its own (not a ``$.`` reference)."""
    return any(not v.startswith("$.") for _, v in _channel_values(flow, create_session_arn))


def channel_address_problems(flow: dict[str, Any], create_session_arn: str, *, inherited: bool = False) -> list[str]:
    """What is wrong with how a flow sets ``channelAddressIdentifier`` for CreateMessagingSession.

    The value comes from a Set contact attributes block (``UpdateContactAttributes``) or from the Invoke block's
    function input parameters; a literal value must be a UUID (MessagingChannel.ChannelAddressIdentifier) and
    not the shipped placeholder. ``inherited``: the flow is reached from a flow that sets it (an event hook such
    as ``CustomerRemaining``, or a transfer to this flow), so a ``$.Attributes`` reference is enough.
    """
    placeholder = next((v for v, name in _placeholders().items() if name == "ChannelAddressIdentifier"), None)
    literal = [(block, v) for block, v in _channel_values(flow, create_session_arn) if not v.startswith("$.")]
    if not literal:
        return [] if inherited else ["never sets channelAddressIdentifier (CreateMessagingSession fails on every chat)"]
    problems = []
    for block, value in literal:
        if value == placeholder:
            problems.append(f"{block}: channelAddressIdentifier is still the placeholder {value}")
        elif not _UUID.match(value.strip()):
            problems.append(f"{block}: channelAddressIdentifier {value!r} is not a UUID")
    return problems


@dataclass(frozen=True)
class _PublishedFlow:
    name: str
    flow_id: str
    arn: str
    flow_type: str | None
    content: str
    parsed: dict[str, Any]


def _published_flows(ctx: Context, connect: Any) -> tuple[int, list[_PublishedFlow]]:
    """``(how many are published, the published ones in Flow language)``: ListContactFlows, DescribeContactFlow."""
    try:
        pages = connect.get_paginator("list_contact_flows").paginate(InstanceId=ctx.instance_id)
        summaries = [f for page in pages for f in page.get("ContactFlowSummaryList", [])]
    except Exception as exc:
        raise aws_failure(exc, "list the contact flows", "connect:ListContactFlows") from None
    published = [
        f
        for f in summaries
        if f.get("ContactFlowStatus", "PUBLISHED") == "PUBLISHED" and f.get("ContactFlowState", "ACTIVE") == "ACTIVE"
    ]
    flows = []
    for index, summary in enumerate(published, start=1):
        if index % 10 == 0:
            ctx.progress(f"  {index}/{len(published)} published flows read")
        name = summary.get("Name") or summary.get("Id", "?")
        try:
            flow = connect.describe_contact_flow(InstanceId=ctx.instance_id, ContactFlowId=summary["Id"])["ContactFlow"]
        except Exception as exc:
            raise aws_failure(exc, f"read flow {name!r}", "connect:DescribeContactFlow") from None
        content = flow.get("Content") or ""
        try:
            parsed = json.loads(content)
        except ValueError:
            continue  # not Flow language: nothing of ours in it
        if isinstance(parsed, dict):
            flow_type = flow.get("Type") or summary.get("ContactFlowType")
            flows.append(_PublishedFlow(name, summary["Id"], summary.get("Arn", ""), flow_type, content, parsed))
    return len(published), flows


def check_contact_flows(ctx: Context) -> str:
    """Each published flow that invokes the functions passes the flow checker and sets channelAddressIdentifier."""
    functions = _flow_functions(ctx, "the flow check")
    create_session = functions["CreateMessagingSession"]
    ours = {unqualified(arn): name for name, arn in functions.items()}
    placeholders = _placeholders()
    count, flows = _published_flows(ctx, ctx.aws("connect", ctx.instance_region()))
    setters = [f for f in flows if sets_channel_address(f.parsed, create_session)]
    findings: list[str] = []
    invoking: dict[str, set[str]] = {}
    checker_missing = False
    warnings = 0
    for flow in flows:
        invoked = {
            unqualified(str((a.get("Parameters") or {}).get("LambdaFunctionARN", "")))
            for a in flow.parsed.get("Actions") or []
            if isinstance(a, dict) and a.get("Type") == "InvokeLambdaFunction"
        }
        left = sorted(f"{placeholders[v]} ({v})" for v in placeholders if v in flow.content)
        names = {ours[arn] for arn in invoked if arn in ours}
        if not names and not left:
            continue
        invoking[flow.name] = names
        if left:
            findings.append(f"{flow.name!r} still has placeholders: {', '.join(left)}")
        checked = _checker_problems(flow.name, flow.content, flow.flow_type)
        checker_missing = checker_missing or checked is None
        findings += [f"{flow.name!r}: {p}" for p in (checked[0] if checked else [])]
        warnings += checked[1] if checked else 0
        if "CreateMessagingSession" in names:
            inherited = any(
                other is not flow and ((flow.arn and flow.arn in other.content) or flow.flow_id in other.content)
                for other in setters
            )
            channel = channel_address_problems(flow.parsed, create_session, inherited=inherited)
            findings += [f"{flow.name!r}: {p}" for p in channel]
    if not any("CreateMessagingSession" in names for names in invoking.values()):
        findings.append("no published flow invokes CreateMessagingSession, so no chat reaches Salesforce")
    if findings:
        raise Fail(
            f"{plural(len(findings), 'problem')} in {plural(len(invoking), 'flow')}: {_listed(findings)}",
            "Fix the flow in the flow designer (or the JSON, then check it: python -m localdev.flows.check FILE) and "
            "publish it; contact_flows/README.md lists every placeholder. Import contact_flows/inbound-chat-flow.json "
            "if no inbound flow invokes CreateMessagingSession.",
        )
    note = " (flow checker not installed: not run)" if checker_missing else ", each passes the flow checker"
    if warnings:
        note += f" ({plural(warnings, 'warning')}: python -m localdev.flows.check on the exported flows lists them)"
    return (
        f"{len(invoking)} of {plural(count, 'published flow')} invoke the functions{note}; each one invoking "
        "CreateMessagingSession sets channelAddressIdentifier or is reached from a flow that does"
    )


# --------------------------------------------------------------------------------------------------
# transcripts
# --------------------------------------------------------------------------------------------------
def _transcripts_on(ctx: Context) -> tuple[str, str]:
    s = ctx.require_settings()
    if not s.chat_transcripts_bucket:
        raise Skip(
            "transcript ingestion is off (ChatTranscriptsBucket is empty)",
            "Set ChatTranscriptsBucket and ChatTranscriptsPrefix to the instance's chat transcript storage to "
            "ingest bot-only chats.",
        )
    return s.chat_transcripts_bucket, (s.chat_transcripts_prefix or "").strip("/")


def _key_id(key: str) -> str:
    return key.rpartition("/")[2] if key.startswith("arn:") else key


def check_chat_transcripts(ctx: Context) -> str:
    """Chat transcripts are enabled on the instance and stored where the stack reads them."""
    bucket, prefix = _transcripts_on(ctx)
    connect = ctx.aws("connect", ctx.instance_region())
    try:
        configs = connect.list_instance_storage_configs(
            InstanceId=ctx.instance_id, ResourceType="CHAT_TRANSCRIPTS"
        ).get("StorageConfigs", [])
    except Exception as exc:
        permissions = "connect:ListInstanceStorageConfigs"
        raise aws_failure(exc, "read the instance's storage configuration", permissions) from None
    s3 = [c["S3Config"] for c in configs if c.get("StorageType") == "S3" and c.get("S3Config")]
    wanted = f"s3://{bucket}/{prefix}".rstrip("/")
    if not s3:
        raise Fail(
            f"chat transcripts are not enabled on instance {ctx.instance_id}",
            f"Connect console > the instance > Data storage > Chat transcripts > Edit: enable them in {wanted}. "
            "Without them no transcript is written and bot-only chats never reach Salesforce.",
        )
    where = s3[0]
    found_prefix = (where.get("BucketPrefix") or "").strip("/")
    found = f"s3://{where.get('BucketName')}/{found_prefix}".rstrip("/")
    if where.get("BucketName") != bucket or found_prefix != prefix:
        raise Fail(
            f"Connect writes chat transcripts to {found}; the stack reads {wanted}",
            f"Set ChatTranscriptsBucket={where.get('BucketName')} and ChatTranscriptsPrefix={found_prefix} (as "
            "Connect console > Data storage shows them) and redeploy.",
        )
    encryption = where.get("EncryptionConfig") or {}
    key = str(encryption.get("KeyId") or "") if encryption.get("EncryptionType") == "KMS" else ""
    if key and ctx.deployment is not None and ctx.deployment.is_stack:
        given = ctx.deployment.parameters.get("ChatTranscriptsKmsKeyArn", "")
        if _key_id(given) != _key_id(key):
            raise Fail(
                f"Connect encrypts chat transcripts with KMS key {key}; ChatTranscriptsKmsKeyArn is {given or 'empty'}",
                f"Set ChatTranscriptsKmsKeyArn={key} so the function may decrypt them (kms:Decrypt), and redeploy.",
            )
    return f"chat transcripts are written to {found}, where TranscriptIngestion reads them" + (
        f" (KMS key {key})" if key else ""
    )


def check_eventbridge_rule(ctx: Context) -> str:
    """The rule sending Connect's chat DISCONNECTED events to TranscriptIngestion is enabled and targets it."""
    _transcripts_on(ctx)
    deployment = ctx.require_stack("the rule check")
    rule, function = deployment.rule_name, deployment.function_arns.get("TranscriptIngestion")
    if not rule or not function:
        raise Fail(
            f"{deployment.target} has no TranscriptIngestion function or rule",
            "Redeploy the stack with ChatTranscriptsBucket set.",
        )
    events = ctx.aws("events", deployment.region)
    try:
        state = events.describe_rule(Name=rule).get("State", "")
        targets = [t.get("Arn", "") for t in events.list_targets_by_rule(Rule=rule).get("Targets", [])]
    except Exception as exc:
        raise aws_failure(
            exc,
            f"read rule {rule}",
            "events:DescribeRule and events:ListTargetsByRule",
            not_found=(f"no rule {rule}", "Redeploy the stack: its EventBridge rule is gone."),
        ) from None
    if state != "ENABLED":
        raise Fail(
            f"rule {rule} is {state or 'in an unknown state'}: chat DISCONNECTED events never reach "
            "TranscriptIngestion",
            f"aws events enable-rule --name {rule} --region {deployment.region}",
        )
    if unqualified(function) not in {unqualified(t) for t in targets}:
        raise Fail(f"rule {rule} does not target {function}", "Redeploy the stack to restore the rule's target.")
    return f"rule {rule} is ENABLED and targets TranscriptIngestion"


def check_transcript_dlq(ctx: Context) -> str:
    """The transcript DLQ is empty; else how many failed ingestions wait there and how to replay them."""
    _transcripts_on(ctx)
    deployment = ctx.require_stack("the DLQ check")
    url = deployment.dlq_url
    if not url:
        raise Fail(f"{deployment.target} has no TranscriptIngestionDLQ", "Redeploy with ChatTranscriptsBucket set.")
    try:
        attributes = (
            ctx.aws("sqs", deployment.region)
            .get_queue_attributes(QueueUrl=url, AttributeNames=list(DEPTH_ATTRIBUTES))
            .get("Attributes", {})
        )
    except Exception as exc:
        raise aws_failure(
            exc,
            "read the DLQ's depth",
            "sqs:GetQueueAttributes",
            not_found=(f"no queue {url}", "Redeploy the stack: its DLQ is gone."),
        ) from None
    waiting = sum(int(attributes.get(name, 0)) for name in DEPTH_ATTRIBUTES)
    if waiting:
        raise Fail(
            f"{plural(waiting, 'failed transcript ingestion')} waiting in {url.rpartition('/')[2]}",
            "Find why in the TranscriptIngestion log and fix it, then replay each message within 24 h "
            f"(docs/transcripts.md): aws sqs receive-message --queue-url {url} --max-number-of-messages 1 > msg.json "
            "&& python -m localdev.ingest_contact --event msg.json, then delete the message.",
        )
    return f"{url.rpartition('/')[2]} is empty"

"""The project's ``template.yaml``, deployed into the stand-ins, with the sample flows imported: a deployment to
check with ``connect-omni doctor --stack`` without an AWS account.

::

    from localdev.local_stack import LocalStack

    with Standins.start() as standins:
        stack = LocalStack.deploy(standins)      # CloudFormation stack "connect-omni-local" in moto
        stack.function_arns["Routing"], stack.flows["inbound-chat-flow.json"], stack.dlq_url

How: the template is translated with the AWS SAM translator (``samtranslator``, what ``sam deploy`` runs in the
cloud), its ``Conditions`` and ``Fn::If`` are resolved for the stand-ins' parameters, and it is created with
moto's CloudFormation (functions, roles, DLQ, EventBridge rule, log groups). What moto cannot create is done in
the stand-ins instead, as the real resources would: the ``AWS::Connect::IntegrationAssociation`` resources become
associations in the Connect stand-in (``ListLambdaFunctions``), and the sample flows of ``contact_flows/`` are
published there with every placeholder replaced (the stack's function ARNs, the channel address identifier,
fallback queues that exist in the instance), as a user importing them would. Left out, with the outputs naming
them: managed policies (moto cannot read ``Fn::If`` inside a policy document), the function's EventInvokeConfig
(on-failure destination) and the CloudWatch dashboard and alarms (moto's CloudFormation does not create them as
written); nothing the doctor checks depends on them.
"""

from __future__ import annotations

import copy
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from localdev.aws_standins import DEFAULT_REGION, FlowRecord
from localdev.flows.model import FLOWS_DIR, REPO_ROOT, default_flow_files, flow_name, flow_type
from localdev.flows.placeholders import PLACEHOLDERS
from localdev.flows.template import _logical_id as logical_id  # the nested template's logical ids
from localdev.standins import Standins

TEMPLATE = REPO_ROOT / "template.yaml"
STACK_NAME = "connect-omni-local"
#: What moto's CloudFormation cannot create (the module docstring says what stands in for each).
_DROPPED_TYPES = (
    "AWS::IAM::ManagedPolicy",
    "AWS::Connect::IntegrationAssociation",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::CloudWatch::Dashboard",
    "AWS::CloudWatch::Alarm",
)


class _CfnLoader(yaml.SafeLoader):
    """YAML loader keeping CloudFormation short-form tags (``!Ref x`` -> ``{"Ref": "x"}``)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)  # !GetAtt A.B is ["A", "B"] in the long form
        return {name: value}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template into its long (JSON) form."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)


def _evaluate(condition: Any, parameters: dict[str, str], conditions: dict[str, Any]) -> Any:
    """Value of a condition expression (``Fn::Equals/Not/And/Or``, ``Ref`` to a parameter, ``Condition``)."""
    if not isinstance(condition, dict):
        return condition
    (name, args), *_ = condition.items()
    if name == "Ref":
        return parameters.get(args, "")
    if name == "Condition":
        return bool(_evaluate(conditions[args], parameters, conditions))
    values = [_evaluate(a, parameters, conditions) for a in (args if isinstance(args, list) else [args])]
    if name == "Fn::Equals":
        return str(values[0]) == str(values[1])
    if name == "Fn::Not":
        return not values[0]
    if name == "Fn::And":
        return all(values)
    if name == "Fn::Or":
        return any(values)
    raise ValueError(f"unsupported condition function {name}")


_NO_VALUE = object()


def _resolve_ifs(node: Any, truth: dict[str, bool]) -> Any:
    """``node`` with every ``Fn::If`` replaced by its chosen branch and ``AWS::NoValue`` removed."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return _resolve_ifs(when_true if truth[name] else when_false, truth)
        if node == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        resolved = {k: _resolve_ifs(v, truth) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
    if isinstance(node, list):
        return [v for v in (_resolve_ifs(item, truth) for item in node) if v is not _NO_VALUE]
    return node


def render_template(parameters: dict[str, str], code_uri: str, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """``template.yaml`` as moto's CloudFormation can create it for ``parameters``.

    Parameters
    ----------
    parameters : dict of str to str
        Stack parameters (defaults filled in from the template).
    code_uri : str
        ``s3://bucket/key`` of a deployment package, for every function.
    region : str, optional
        The region the SAM translator resolves ARNs for.

    Returns
    -------
    dict
        The translated CloudFormation template (JSON form).
    """
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = load_template()
    values = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()} | parameters
    conditions = template.get("Conditions", {})
    truth = {name: bool(_evaluate(expr, values, conditions)) for name, expr in conditions.items()}
    for section in ("Resources", "Outputs"):
        template[section] = {
            k: v for k, v in template.get(section, {}).items() if "Condition" not in v or truth[v["Condition"]]
        }
    template = _resolve_ifs(template, truth)
    template["Globals"]["Function"]["CodeUri"] = code_uri
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code_uri
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    translated = translator.translate(
        copy.deepcopy(template), parameter_values=dict(values), get_managed_policy_map=lambda: {}
    )
    translator.metrics.publish()  # the translator's own usage metrics: a no-op publisher, and no warning at exit
    dropped = {k for k, v in translated["Resources"].items() if v["Type"] in _DROPPED_TYPES}
    for key in dropped:
        del translated["Resources"][key]
    for key, output in list(translated.get("Outputs", {}).items()):
        if any(re.search(rf"\b{name}\b", json.dumps(output)) for name in dropped):
            del translated["Outputs"][key]
    for resource in translated["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role" and "ManagedPolicyArns" in props:
            props["ManagedPolicyArns"] = [
                a for a in props["ManagedPolicyArns"] if not (isinstance(a, dict) and a.get("Ref") in dropped)
            ]
    return translated


def _package() -> bytes:
    """A tiny deployment package: moto stores it; nothing runs it (the doctor reads configurations only)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "connect-omni local stack: the functions run in-process in the stand-ins\n")
    return buffer.getvalue()


def _resource_arn(template_value: str, instance_arn: str, flow_ids: dict[str, str]) -> str:
    """The ARN a ``kind="resource"`` placeholder (``Logical.ContactFlowArn`` or ``.ContactFlowModuleArn``) names."""
    logical, _, attribute = template_value.partition(".")
    kind = "flow-module" if attribute == "ContactFlowModuleArn" else "contact-flow"
    return f"{instance_arn}/{kind}/{flow_ids.setdefault(logical, str(uuid.uuid4()))}"


@dataclass
class LocalStack:
    """``template.yaml`` deployed into the stand-ins (see the module docstring). Use :meth:`deploy`.

    Attributes
    ----------
    standins : Standins
    name : str
        The CloudFormation stack name (moto).
    parameters : dict of str to str
        The stack's parameters as deployed.
    function_arns : dict of str to str
        ``CreateMessagingSession`` / ``Routing`` / ``TranscriptIngestion`` -> function ARN (stack outputs).
    dlq_url, rule_name : str
        The transcript DLQ and the EventBridge rule.
    fallback_queue_arn, task_fallback_queue_arn : str
        Queues of the instance the flows fall back to.
    flows : dict of str to FlowRecord
        Shipped flow file name -> the flow published in the Connect stand-in (modules are not published).
    """

    standins: Standins
    name: str
    parameters: dict[str, str]
    function_arns: dict[str, str] = field(default_factory=dict)
    dlq_url: str = ""
    rule_name: str = ""
    fallback_queue_arn: str = ""
    task_fallback_queue_arn: str = ""
    flows: dict[str, FlowRecord] = field(default_factory=dict)
    code_uri: str = field(default="", repr=False)
    _resource_ids: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def deploy(cls, standins: Standins, name: str = STACK_NAME, **overrides: str) -> LocalStack:
        """Create the stack for the stand-ins, associate its functions and publish the sample flows.

        Parameters
        ----------
        standins : Standins
            Running stand-ins.
        name : str, optional
            Stack name (unique per moto server).
        **overrides : str
            Stack parameters replacing the stand-ins' values.

        Returns
        -------
        LocalStack

        Raises
        ------
        RuntimeError
            When moto did not create the stack (its status reason is in the message).
        """
        bucket = f"{name}-artifacts-{uuid.uuid4().hex[:8]}"
        s3 = standins.moto.client("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="package.zip", Body=_package())
        parameters = {
            "SalesforceOrgId": standins.salesforce.org_id,
            "SalesforceScrtUrl": standins.salesforce.base_url,
            "SalesforceAuthUrl": standins.salesforce.base_url,
            "SalesforceAuthorizationContext": standins.authorization_context,
            "SalesforceSecretName": standins.secret_name,
            "CallCenterId": standins.call_center_id,
            "ConnectInstanceArn": standins.instance_arn,
            "ChatTranscriptsBucket": standins.transcripts_bucket,
            "ChatTranscriptsPrefix": standins.transcripts_prefix,
        } | overrides
        stack = cls(standins, name, parameters, code_uri=f"s3://{bucket}/package.zip")
        cloudformation = standins.moto.client("cloudformation")
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=json.dumps(render_template(parameters, stack.code_uri)),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        stack._read_stack()
        if parameters.get("CreateIntegrationAssociations", "true") == "true":
            for short in ("CreateMessagingSession", "Routing"):
                standins.connect.associate_lambda_function(stack.function_arns[short])
        stack._publish_flows()
        return stack

    def _read_stack(self) -> None:
        cloudformation = self.standins.moto.client("cloudformation")
        described = cloudformation.describe_stacks(StackName=self.name)["Stacks"][0]
        if described["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise RuntimeError(
                f"stack {self.name}: {described['StackStatus']} {described.get('StackStatusReason', '')}"
            )
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        self.function_arns = {
            short: outputs[f"{short}FunctionArn"]
            for short in ("CreateMessagingSession", "Routing", "TranscriptIngestion")
            if f"{short}FunctionArn" in outputs
        }
        self.dlq_url = outputs.get("TranscriptIngestionDLQUrl", "")
        resources = cloudformation.list_stack_resources(StackName=self.name)["StackResourceSummaries"]
        self.rule_name = next(
            (r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Events::Rule"), ""
        )

    def update(self, **parameters: str) -> None:
        """Update the stack with some parameters changed (``aws cloudformation update-stack``)."""
        self.parameters = self.parameters | parameters
        self.standins.moto.client("cloudformation").update_stack(
            StackName=self.name,
            TemplateBody=json.dumps(render_template(self.parameters, self.code_uri)),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        self._read_stack()

    # flows ------------------------------------------------------------------------------------------------

    def placeholder_values(self) -> dict[str, str]:
        """Placeholder of the shipped flows -> this deployment's value."""
        instance = self.standins.instance_arn
        self.fallback_queue_arn = self.fallback_queue_arn or self.standins.connect.put_queue(
            f"{instance}/queue/{uuid.uuid5(uuid.NAMESPACE_URL, instance + '#fallback')}", "Fallback"
        )
        self.task_fallback_queue_arn = self.task_fallback_queue_arn or self.standins.connect.put_queue(
            f"{instance}/queue/{uuid.uuid5(uuid.NAMESPACE_URL, instance + '#task')}", "Task fallback"
        )
        values = {
            "CreateMessagingSessionFunctionArn": self.function_arns["CreateMessagingSession"],
            "RoutingFunctionArn": self.function_arns["Routing"],
            "FallbackQueueArn": self.fallback_queue_arn,
            "TaskFallbackQueueArn": self.task_fallback_queue_arn,
            "ChannelAddressIdentifier": self.standins.channel_address_identifier,
        }
        for file_name, record in self.flows.items():
            self._resource_ids[logical_id(Path(file_name))] = record.flow_id
        out = {}
        for placeholder, meaning in PLACEHOLDERS.items():
            if meaning.kind == "resource":
                out[placeholder] = _resource_arn(meaning.template_value, instance, self._resource_ids)
            elif meaning.template_value in values:
                out[placeholder] = values[meaning.template_value]
        return out

    def flow_text(self, file_name: str) -> str:
        """A shipped flow's JSON with this deployment's values in place of the placeholders."""
        text = (FLOWS_DIR / file_name).read_text(encoding="utf-8")
        values = self.placeholder_values()
        for placeholder in sorted(values, key=len, reverse=True):
            text = text.replace(placeholder, values[placeholder])
        return text

    def publish(self, file_name: str, content: str | dict[str, Any] | None = None) -> FlowRecord:
        """Publish (or replace) a shipped flow in the Connect stand-in, optionally with other ``content``."""
        text = self.flow_text(file_name) if content is None else content
        parsed = json.loads(text) if isinstance(text, str) else text
        previous = self.flows.get(file_name)
        record = self.standins.connect.put_contact_flow(
            flow_name(parsed, file_name),
            text,
            flow_type(parsed, file_name),
            description=str((parsed.get("Metadata") or {}).get("description", ""))[:500],
            flow_id=previous.flow_id if previous else None,
        )
        self.flows[file_name] = record
        return record

    def _publish_flows(self) -> None:
        files = [
            p for p in default_flow_files() if flow_type(json.loads(p.read_text(encoding="utf-8")), p.name) != "MODULE"
        ]
        for path in files:  # ids first, so flows can name each other's ARNs
            self.flows[path.name] = self.standins.connect.put_contact_flow(path.stem, "{}", status="SAVED")
        for path in files:
            self.publish(path.name)

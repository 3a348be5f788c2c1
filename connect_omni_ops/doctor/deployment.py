"""What the doctor checks: the functions' environment variables, or a deployed stack.

A stack is read with CloudFormation ``DescribeStacks`` (parameters, outputs) and ``ListStackResources`` (the
functions, the transcript DLQ and the EventBridge rule SAM made for ``TranscriptIngestionFunction``); the
configuration checked is the one the deployed functions run with: their environment variables (Lambda
``GetFunctionConfiguration``), which the template sets from the stack's parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connect_omni.settings import Settings

#: The functions, by the short name the doctor prints -> their logical id in template.yaml.
FUNCTIONS: dict[str, str] = {
    "CreateMessagingSession": "CreateMessagingSessionFunction",
    "Routing": "RoutingFunction",
    "TranscriptIngestion": "TranscriptIngestionFunction",
}
#: The functions Amazon Connect flows invoke (associated with the instance, 8 s limit).
FLOW_FUNCTIONS = ("CreateMessagingSession", "Routing")
DLQ_LOGICAL_ID = "TranscriptIngestionDLQ"
#: SAM names the rule of an EventBridgeRule event <function logical id><event name>.
RULE_LOGICAL_ID = "TranscriptIngestionFunctionChatDisconnected"

_STACK_ARN = re.compile(r"^arn:aws[a-z-]*:cloudformation:([a-z0-9-]+):")


class DeploymentError(Exception):
    """The deployment could not be read (unknown stack, stack not deployed, ...); the message says why."""


@dataclass(frozen=True)
class Deployment:
    """The configuration under check.

    Attributes
    ----------
    target : str
        For the report: ``the environment`` or ``stack <name> (<region>)``.
    values : dict of str to str
        Environment variable -> value, as the functions would read them.
    stack_name, region : str or None
        Set for a stack.
    parameters : dict of str to str
        The stack's parameters (empty for the environment).
    function_arns : dict of str to str
        Short name (:data:`FUNCTIONS`) -> function ARN; empty for the environment.
    dlq_url, rule_name : str or None
        The transcript DLQ URL and the EventBridge rule name (stack only, when transcripts are on).
    """

    target: str
    values: dict[str, str]
    stack_name: str | None = None
    region: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    function_arns: dict[str, str] = field(default_factory=dict)
    dlq_url: str | None = None
    rule_name: str | None = None

    @property
    def is_stack(self) -> bool:
        """True when read from a stack."""
        return self.stack_name is not None


def variable_names() -> set[str]:
    """Every environment variable the functions read (the fields of :class:`Settings`)."""
    return {name.upper() for name in Settings.model_fields}


def from_environment(environ: Mapping[str, str]) -> Deployment:
    """The functions' variables found in ``environ`` (others are ignored)."""
    names = variable_names()
    return Deployment("the environment", {k: v for k, v in environ.items() if k in names})


def from_stack(stack_name: str, cloudformation: Any, lambda_client: Any) -> Deployment:
    """Read a deployed stack and the environment of its functions.

    Parameters
    ----------
    stack_name : str
        Stack name or id.
    cloudformation, lambda_client : botocore clients
        ``cloudformation`` and ``lambda`` clients of the stack's region.

    Raises
    ------
    DeploymentError
        Unknown stack, or a stack whose creation failed or is being deleted.
    botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError
        Any other AWS error (access denied, throttling, no credentials).
    """
    from botocore.exceptions import ClientError

    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationError":
            region = cloudformation.meta.region_name
            raise DeploymentError(f"no stack {stack_name!r} in {region}") from None
        raise
    status = stack.get("StackStatus", "")
    if status.endswith("_FAILED") or status in ("ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"):
        raise DeploymentError(f"stack {stack_name!r} is {status}: {stack.get('StackStatusReason') or 'see its events'}")
    match = _STACK_ARN.match(stack.get("StackId", ""))
    region = match[1] if match else cloudformation.meta.region_name
    parameters = {
        p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue", "")) for p in stack.get("Parameters", [])
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            resources[resource["LogicalResourceId"]] = resource.get("PhysicalResourceId", "")
    functions = {}
    for short, logical in FUNCTIONS.items():
        arn = outputs.get(f"{logical}Arn") or resources.get(logical)
        if arn:
            functions[short] = arn
    names = variable_names()
    values: dict[str, str] = {}
    for short in FUNCTIONS:  # TranscriptIngestion last: it alone has the CHAT_TRANSCRIPTS_* variables
        if short in functions:
            environment = lambda_client.get_function_configuration(FunctionName=functions[short]).get("Environment")
            variables = (environment or {}).get("Variables") or {}
            values |= {k: v for k, v in variables.items() if k in names}
    return Deployment(
        target=f"stack {stack['StackName']} ({region})",
        values=values,
        stack_name=stack["StackName"],
        region=region,
        parameters=parameters,
        function_arns=functions,
        dlq_url=outputs.get(f"{DLQ_LOGICAL_ID}Url") or resources.get(DLQ_LOGICAL_ID),
        rule_name=resources.get(RULE_LOGICAL_ID),
    )


def unqualified(function_arn: str) -> str:
    """A Lambda function ARN without its version or alias (``...:function:name:live`` -> ``...:function:name``)."""
    parts = function_arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 and parts[5] == "function" else function_arn

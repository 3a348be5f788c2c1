"""What every flow tool shares: flow types, transitions, Lambda function names, generated-file writing.

Flow language reference: https://docs.aws.amazon.com/connect/latest/APIReference/flow-language.html
(top level ``Version``/``StartAction``/``Metadata``/``Actions``) and
https://docs.aws.amazon.com/connect/latest/APIReference/flow-language-actions.html (each action's
``Identifier``/``Type``/``Parameters``/``Transitions``).

Flow types are spelled as the Connect API spells them (``ContactFlowType`` of CreateContactFlow,
https://docs.aws.amazon.com/connect/latest/APIReference/API_CreateContactFlow.html), plus ``MODULE`` for a flow
module (``AWS::Connect::ContactFlowModule``). Where a flow's type comes from is decided by
:mod:`localdev.flows.sources`; the console's ``Metadata.type`` spelling (``contactFlow``, ``agentWhisper`` ...) and
file names are mapped here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
FLOWS_DIR = REPO_ROOT / "contact_flows"

FLOW_TYPES = (
    "CONTACT_FLOW",
    "CUSTOMER_QUEUE",
    "CUSTOMER_HOLD",
    "CUSTOMER_WHISPER",
    "AGENT_HOLD",
    "AGENT_WHISPER",
    "OUTBOUND_WHISPER",
    "AGENT_TRANSFER",
    "QUEUE_TRANSFER",
    "CAMPAIGN",
    "MODULE",
)
"""CreateContactFlow ``Type`` values, and ``MODULE``."""

WHISPER_TYPES = frozenset({"CUSTOMER_WHISPER", "AGENT_WHISPER", "OUTBOUND_WHISPER"})
HOLD_TYPES = frozenset({"CUSTOMER_HOLD", "AGENT_HOLD"})
TRANSFER_TYPES = frozenset({"AGENT_TRANSFER", "QUEUE_TRANSFER"})

CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
"""``$.Channel`` values (contact ``Channel``, https://docs.aws.amazon.com/connect/latest/APIReference/API_Contact.html)."""

_TYPE_KEYS = {
    "contactflow": "CONTACT_FLOW",
    "inbound": "CONTACT_FLOW",
    "customerqueue": "CUSTOMER_QUEUE",
    "customerhold": "CUSTOMER_HOLD",
    "customerwhisper": "CUSTOMER_WHISPER",
    "agenthold": "AGENT_HOLD",
    "agentwhisper": "AGENT_WHISPER",
    "outboundwhisper": "OUTBOUND_WHISPER",
    "agenttransfer": "AGENT_TRANSFER",
    "queuetransfer": "QUEUE_TRANSFER",
    "campaign": "CAMPAIGN",
    "module": "MODULE",
    "flowmodule": "MODULE",
    "contactflowmodule": "MODULE",
}

#: file-name fragments (lower case, without ``-_ .``) -> flow type, first match wins; the last resort of
#: :func:`localdev.flows.sources.read_path` when nothing in the file says the type
FILENAME_TYPES: tuple[tuple[str, str], ...] = (
    ("agenttransfer", "AGENT_TRANSFER"),
    ("queuetransfer", "QUEUE_TRANSFER"),
    ("customerqueue", "CUSTOMER_QUEUE"),
    ("customerhold", "CUSTOMER_HOLD"),
    ("agenthold", "AGENT_HOLD"),
    ("customerwhisper", "CUSTOMER_WHISPER"),
    ("outboundwhisper", "OUTBOUND_WHISPER"),
    ("agentwhisper", "AGENT_WHISPER"),
    ("whisper", "AGENT_WHISPER"),
    ("module", "MODULE"),
)


def normalise_flow_type(raw: object) -> str | None:
    """Map ``CONTACT_FLOW``, ``contactFlow``, ``agent-whisper`` ... to a :data:`FLOW_TYPES` value (None if unknown)."""
    if not isinstance(raw, str):
        return None
    key = re.sub(r"[\s_\-]", "", raw).lower()
    return _TYPE_KEYS.get(key)


def flow_type_from_filename(filename: str | Path) -> str | None:
    """Guess a flow type from a file name (see :data:`FILENAME_TYPES`); None when nothing matches."""
    key = re.sub(r"[\s_\-.]", "", Path(filename).name).lower()
    return next((ftype for part, ftype in FILENAME_TYPES if part in key), None)


def flow_type(flow: dict[str, Any], filename: str | None = None) -> str:
    """Return the flow type of a parsed Flow language document: ``Metadata.type``, else the file name, else
    ``CONTACT_FLOW``. Sources that carry a type outside the document (wrapper, CloudFormation) go through
    :func:`localdev.flows.sources.read_path` instead."""
    meta = flow.get("Metadata") if isinstance(flow, dict) else None
    declared = normalise_flow_type(meta.get("type")) if isinstance(meta, dict) else None
    return declared or flow_type_from_filename(filename or "") or "CONTACT_FLOW"


def flow_name(flow: dict[str, Any], filename: str | None = None) -> str:
    """Return ``Metadata.name`` or the file stem."""
    meta = flow.get("Metadata") if isinstance(flow, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("name"), str):
        return meta["name"]
    return Path(filename or "flow").stem


def default_flow_files() -> list[Path]:
    """Return the shipped flows, ``contact_flows/*.json`` sorted by name."""
    return sorted(FLOWS_DIR.glob("*.json"))


def load_flow(path: str | Path) -> dict[str, Any]:
    """Parse one plain Flow language JSON file (raises ``json.JSONDecodeError`` / ``OSError``).

    For any other form (wrapper, CloudFormation) use :func:`localdev.flows.sources.load`.
    """
    import json

    return json.loads(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------------
# transitions
# --------------------------------------------------------------------------------------------------
def transitions(action: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(branch label, target identifier)`` for every outgoing edge of an action.

    Labels: ``"Success"`` for ``NextAction``, ``"<Operator> <operand>"`` for a condition (Loop conditions
    give just ``ContinueLooping`` / ``DoneLooping``), the ``ErrorType`` for an error.
    """
    t = action.get("Transitions")
    if not isinstance(t, dict):
        return
    if isinstance(t.get("NextAction"), str) and t["NextAction"]:
        yield "Success", t["NextAction"]
    for cond in t.get("Conditions") or []:
        if isinstance(cond, dict) and isinstance(cond.get("NextAction"), str):
            yield condition_label(action, cond), cond["NextAction"]
    for err in t.get("Errors") or []:
        if isinstance(err, dict) and isinstance(err.get("NextAction"), str):
            yield str(err.get("ErrorType", "?")), err["NextAction"]


def condition_label(action: dict[str, Any], cond: dict[str, Any]) -> str:
    """Label a condition: ``ContinueLooping`` for a Loop, else ``"<Operator> <operands>"``."""
    c = cond.get("Condition") or {}
    operands = c.get("Operands") or []
    text = " ".join(str(o) for o in operands)
    if action.get("Type") == "Loop":
        return text
    return f"{c.get('Operator', '?')} {text}".strip()


def error_types(action: dict[str, Any]) -> set[str]:
    """The ``ErrorType`` of every error branch of an action."""
    t = action.get("Transitions") if isinstance(action.get("Transitions"), dict) else {}
    return {e.get("ErrorType") for e in t.get("Errors") or [] if isinstance(e, dict)}


# --------------------------------------------------------------------------------------------------
# Lambda functions
# --------------------------------------------------------------------------------------------------
PROJECT_HANDLERS: dict[str, str] = {
    "CreateMessagingSessionFunction": "connect_omni.handlers.create_messaging_session.lambda_handler",
    "RoutingFunction": "connect_omni.handlers.routing.lambda_handler",
}
"""This project's flow Lambdas: function name -> dotted path of the handler (``template.yaml``)."""

_FUNCTION_ARN = re.compile(r":function:([^:/]+)")


def function_name(arn: object) -> str:
    """The function name a ``LambdaFunctionARN`` value names.

    ``arn:aws:lambda:us-east-1:111122223333:function:RoutingFunction[:alias]`` -> ``RoutingFunction``;
    ``${RoutingFunctionArn}`` / ``${RoutingFunction.Arn}`` (CloudFormation) -> ``RoutingFunction``; anything
    else is returned as text.
    """
    text = str(arn or "")
    m = _FUNCTION_ARN.search(text)
    if m:
        return m.group(1)
    m = re.fullmatch(r"\$\{([^}]+)\}", text)
    if m:
        ref = m.group(1).split(".")[0]
        return ref.removesuffix("Arn") if ref.endswith("Arn") and len(ref) > 3 else ref
    return text


def is_project_function(arn: object) -> bool:
    """True when ``arn`` names one of this project's flow Lambdas (:data:`PROJECT_HANDLERS`)."""
    return function_name(arn) in PROJECT_HANDLERS


# --------------------------------------------------------------------------------------------------
# generated files
# --------------------------------------------------------------------------------------------------
def generator_main(
    argv: Sequence[str] | None, *, command: str, description: str, path: Path, render: Callable[[], str]
) -> int:
    """The CLI of a generator (``python -m localdev.flows.diagram`` / ``template``): write ``render()`` to
    ``path``, or with ``--check`` compare. ``--help`` only prints. Returns the exit status (0 written or up to date,
    1 stale); argparse exits 2 on bad options."""
    import argparse

    parser = argparse.ArgumentParser(
        prog=command,
        description=description,
        epilog="Exit status: 0 written or up to date, 1 stale (--check), 2 usage.",
    )
    parser.add_argument("--check", action="store_true", help=f"only compare; exit 1 if {path.name} is stale")
    args = parser.parse_args(argv)
    what = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
    return write_or_check(path, render(), what=what, command=command, check=args.check)


def write_or_check(path: Path, text: str, *, what: str, command: str, check: bool) -> int:
    """Write a generated file, or with ``check`` compare it and report staleness.

    Parameters
    ----------
    path:
        The generated file.
    text:
        Its wanted content.
    what:
        How to name it in messages, e.g. ``contact_flows/template.yaml``.
    command:
        The command that regenerates it, named in the staleness message.
    check:
        Compare instead of writing.

    Returns
    -------
    int
        Exit status: 0 written or up to date, 1 stale.
    """
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{what} is stale: run {command}")
            return 1
        print(f"{what} is up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {what}")
    return 0

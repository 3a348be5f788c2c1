"""Shared helpers: load flow JSON, decide its flow type, walk its transitions.

Flow language reference: https://docs.aws.amazon.com/connect/latest/APIReference/flow-language.html
(top level ``Version``/``StartAction``/``Metadata``/``Actions``) and
https://docs.aws.amazon.com/connect/latest/APIReference/flow-language-actions.html (each action's
``Identifier``/``Type``/``Parameters``/``Transitions``).

Flow type
---------
The flow type (the ``Type`` of ``AWS::Connect::ContactFlow``, or ``MODULE`` for
``AWS::Connect::ContactFlowModule``) is taken from ``Metadata.type`` when present, accepting both the
console's camelCase spelling (``contactFlow``, ``agentTransfer``, ``queueTransfer``, ``customerQueue``,
``module`` ...) and the API's spelling (``CONTACT_FLOW``, ``AGENT_TRANSFER`` ...). Without it the file
name decides: ``*agent-transfer*`` -> AGENT_TRANSFER, ``*queue-transfer*`` -> QUEUE_TRANSFER,
``*customer-queue*`` -> CUSTOMER_QUEUE, ``*module*`` -> MODULE, anything else -> CONTACT_FLOW.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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

_METADATA_TYPES = {
    "contactflow": "CONTACT_FLOW",
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

_FILENAME_TYPES = (
    ("agent-transfer", "AGENT_TRANSFER"),
    ("queue-transfer", "QUEUE_TRANSFER"),
    ("customer-queue", "CUSTOMER_QUEUE"),
    ("module", "MODULE"),
)


def default_flow_files() -> list[Path]:
    """Return the shipped flows, ``contact_flows/*.json`` sorted by name."""
    return sorted(FLOWS_DIR.glob("*.json"))


def flow_type(flow: dict[str, Any], filename: str | None = None) -> str:
    """Return the flow type (one of :data:`FLOW_TYPES`) of a parsed flow.

    Parameters
    ----------
    flow : dict
        Parsed flow JSON.
    filename : str, optional
        Used only when ``Metadata.type`` is absent or unknown (see the module docstring).
    """
    meta = flow.get("Metadata") if isinstance(flow, dict) else None
    raw = meta.get("type") if isinstance(meta, dict) else None
    if isinstance(raw, str):
        key = raw.replace("_", "").replace("-", "").lower()
        if key in _METADATA_TYPES:
            return _METADATA_TYPES[key]
    name = Path(filename or "").name.lower()
    for part, ftype in _FILENAME_TYPES:
        if part in name:
            return ftype
    return "CONTACT_FLOW"


def flow_name(flow: dict[str, Any], filename: str | None = None) -> str:
    """Return ``Metadata.name`` or the file stem."""
    meta = flow.get("Metadata") if isinstance(flow, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("name"), str):
        return meta["name"]
    return Path(filename or "flow").stem


def load_flow(path: str | Path) -> dict[str, Any]:
    """Parse one flow JSON file (raises ``json.JSONDecodeError`` / ``OSError``)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def transitions(action: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(branch label, target identifier)`` for every outgoing edge of an action.

    Labels: ``"Success"`` for ``NextAction``, ``"<Operator> <operand>"`` for a condition (Loop conditions
    give just ``ContinueLooping`` / ``DoneLooping``), the ``ErrorType`` for an error.
    """
    t = action.get("Transitions")
    if not isinstance(t, dict):
        return
    if isinstance(t.get("NextAction"), str):
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

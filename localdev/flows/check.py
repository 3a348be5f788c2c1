"""Static checker for Amazon Connect flow language JSON.

Usage::

    python -m localdev.flows.check [FILES...]     # default: contact_flows/*.json

Prints one line per problem, ``<file>: <action id>: <message>`` (``-`` as the action id for problems of
the whole flow), and exits 1 if there is any, 0 otherwise.

The rules are tables: :data:`FLOW_RULES` (whole-flow checks), :data:`ACTION_RULES` (per action type,
``"*"`` for every action), :data:`ALLOWED_FLOW_TYPES` (where an action type may appear) and
:data:`VOICE_ONLY`. Add a function to one of them to add a rule. The flow type comes from
``Metadata.type`` or the file name (see :mod:`localdev.flows.model`).

Sources (Amazon Connect API Reference, "Amazon Connect Flow language"):

- structure, 250 actions: https://docs.aws.amazon.com/connect/latest/APIReference/flow-language.html
- Identifier rules (50 characters, forbidden characters):
  https://docs.aws.amazon.com/connect/latest/APIReference/flow-language-actions.html
- content <= 256,000 characters: ``Content`` of CreateContactFlow,
  https://docs.aws.amazon.com/connect/latest/APIReference/API_CreateContactFlow.html
- Loop: https://docs.aws.amazon.com/connect/latest/APIReference/flow-control-actions-loop.html
- UpdateContactAttributes (one unset JSONPath value fails the whole block; the runner's assumption, see
  :mod:`localdev.flows.runner`):
  https://docs.aws.amazon.com/connect/latest/APIReference/contact-actions-updatecontactattributes.html
- InvokeLambdaFunction:
  https://docs.aws.amazon.com/connect/latest/APIReference/interactions-invokelambdafunction.html
- Compare: https://docs.aws.amazon.com/connect/latest/APIReference/flow-control-actions-compare.html
- UpdateContactTargetQueue:
  https://docs.aws.amazon.com/connect/latest/APIReference/contact-actions-updatecontacttargetqueue.html
- InvokeFlowModule:
  https://docs.aws.amazon.com/connect/latest/APIReference/flow-language-actions-invoke-flow-module.html
- EndFlowExecution: https://docs.aws.amazon.com/connect/latest/APIReference/flow-control-actions-endflowexecution.html
- Return (EndFlowModuleExecution): https://docs.aws.amazon.com/connect/latest/adminguide/return-module.html
- TransferContactToAgent (voice only):
  https://docs.aws.amazon.com/connect/latest/APIReference/contact-actions-transfercontacttoagent.html
"""

from __future__ import annotations

import argparse
import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localdev.flows.model import condition_label, default_flow_files, flow_type, transitions

VERSION = "2019-10-30"
MAX_ACTIONS = 250
MAX_CONTENT_CHARS = 256_000
MAX_IDENTIFIER_CHARS = 50
FORBIDDEN_IDENTIFIER_CHARS = "%:(\\/)=$,;[]{}"
FORBIDDEN_IDENTIFIERS = frozenset(
    {
        "__proto__",
        "constructor",
        "__defineGetter__",
        "__defineSetter__",
        "toString",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "valueOf",
    }
)
TERMINAL_TYPES = frozenset({"DisconnectParticipant", "EndFlowExecution", "EndFlowModuleExecution"})
SINGLE_JSONPATH = re.compile(r"^\$\.[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")


@dataclass(frozen=True)
class Problem:
    """One finding: ``str(problem)`` is the ``<file>: <action id>: <message>`` line."""

    file: str
    action: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.action}: {self.message}"


@dataclass
class FlowContext:
    """What the rules see: the parsed flow, its type, its raw text and its actions by identifier."""

    file: str
    text: str
    flow: dict[str, Any]
    flow_type: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def reads_external(self) -> bool:
        """True when any action parameter references ``$.External``."""
        return any("$.External" in json.dumps(a.get("Parameters", {})) for a in self.actions)


Finding = tuple[str, str]  # (action id or "-", message)


# --------------------------------------------------------------------------------------------------
# whole-flow rules
# --------------------------------------------------------------------------------------------------
def rule_action_count(ctx: FlowContext) -> Iterable[Finding]:
    if len(ctx.actions) > MAX_ACTIONS:
        yield "-", f"{len(ctx.actions)} actions, more than the limit of {MAX_ACTIONS}"


def rule_content_size(ctx: FlowContext) -> Iterable[Finding]:
    if len(ctx.text) > MAX_CONTENT_CHARS:
        yield "-", f"content is {len(ctx.text)} characters, more than the limit of {MAX_CONTENT_CHARS:,}"


def rule_identifiers(ctx: FlowContext) -> Iterable[Finding]:
    seen: set[str] = set()
    for a in ctx.actions:
        ident = a.get("Identifier")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            yield ident, "duplicate Identifier"
        seen.add(ident)
        if len(ident) > MAX_IDENTIFIER_CHARS:
            yield ident, f"Identifier longer than {MAX_IDENTIFIER_CHARS} characters"
        bad = sorted({c for c in ident if c in FORBIDDEN_IDENTIFIER_CHARS})
        if bad:
            yield ident, f"Identifier contains forbidden characters {''.join(bad)!r}"
        if ident in FORBIDDEN_IDENTIFIERS:
            yield ident, "Identifier is a reserved word"


def rule_start_action(ctx: FlowContext) -> Iterable[Finding]:
    start = ctx.flow.get("StartAction")
    if isinstance(start, str) and start not in ctx.by_id:
        yield "-", f"StartAction {start!r} is not an action"


def rule_targets_exist(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.actions:
        for label, target in transitions(a):
            if target not in ctx.by_id:
                yield str(a.get("Identifier")), f"{label} transition goes to missing action {target!r}"


def rule_reachable(ctx: FlowContext) -> Iterable[Finding]:
    start = ctx.flow.get("StartAction")
    if start not in ctx.by_id:
        return
    seen = {start}
    todo = deque([start])
    while todo:
        for _, target in transitions(ctx.by_id[todo.popleft()]):
            if target in ctx.by_id and target not in seen:
                seen.add(target)
                todo.append(target)
    for a in ctx.actions:
        if a.get("Identifier") in ctx.by_id and a["Identifier"] not in seen:
            yield a["Identifier"], "unreachable from StartAction"


FLOW_RULES: list[Callable[[FlowContext], Iterable[Finding]]] = [
    rule_action_count,
    rule_content_size,
    rule_identifiers,
    rule_start_action,
    rule_targets_exist,
    rule_reachable,
]


# --------------------------------------------------------------------------------------------------
# per-action rules
# --------------------------------------------------------------------------------------------------
def _error_types(action: dict[str, Any]) -> set[str]:
    return {e.get("ErrorType") for e in (action.get("Transitions") or {}).get("Errors") or []}


def rule_has_exit(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    if a.get("Type") in TERMINAL_TYPES:
        return
    t = a.get("Transitions") or {}
    if not (t.get("NextAction") or t.get("Conditions") or t.get("Errors")):
        yield f"non-terminal {a.get('Type')} has no NextAction, Conditions or Errors"


def rule_allowed_in_flow_type(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    allowed = ALLOWED_FLOW_TYPES.get(a.get("Type", ""))
    if allowed is not None and ctx.flow_type not in allowed:
        yield f"{a['Type']} is not allowed in a {ctx.flow_type} flow (only {', '.join(sorted(allowed))})"


def rule_voice_only(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    if a.get("Type") in VOICE_ONLY:
        yield f"{a['Type']} is voice-only: a chat or task contact takes its error branch"


def rule_loop(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    conds = (a.get("Transitions") or {}).get("Conditions") or []
    got = sorted(condition_label({"Type": "Compare"}, c) for c in conds)
    if got != ["Equals ContinueLooping", "Equals DoneLooping"]:
        yield "Loop must have exactly the conditions Equals ContinueLooping and Equals DoneLooping"
    count = (a.get("Parameters") or {}).get("LoopCount")
    static_ok = isinstance(count, str) and count.isdigit() and 0 <= int(count) <= 100
    if not (static_ok or (isinstance(count, str) and count.startswith("$."))):
        yield f'LoopCount must be a string "0".."100" or a JSONPath, found {count!r}'


def rule_copy_all_or_nothing(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    """One UpdateContactAttributes copying several JSONPath values, whose NoMatchingError carries on to the
    same place as Success, treats a missing value as normal: but the block is all-or-nothing, so one unset
    value (e.g. no ``$.External.externalQueueId``) silently leaves the others (``psrId``) unset too."""
    attributes = (a.get("Parameters") or {}).get("Attributes") or {}
    dynamic = sorted(k for k, v in attributes.items() if isinstance(v, str) and v.startswith("$."))
    t = a.get("Transitions") or {}
    on_error = {e.get("NextAction") for e in t.get("Errors") or [] if e.get("ErrorType") == "NoMatchingError"}
    if len(dynamic) > 1 and t.get("NextAction") in on_error:
        yield (
            f"copies {len(dynamic)} JSONPath values ({', '.join(dynamic)}) in one block and its NoMatchingError "
            "goes on like Success: one unset value leaves all of them unset (all-or-nothing); "
            "use one block per optional value"
        )


def rule_invoke_lambda(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    p = a.get("Parameters") or {}
    if not p.get("LambdaFunctionARN"):
        yield "LambdaFunctionARN missing"
    limit = p.get("InvocationTimeLimitSeconds")
    if not (isinstance(limit, str) and limit.isdigit() and 1 <= int(limit) <= 8):
        yield f'InvocationTimeLimitSeconds must be a string "1".."8", found {limit!r}'
    rtype = (p.get("ResponseValidation") or {}).get("ResponseType")
    if ctx.reads_external and rtype != "STRING_MAP":
        yield (f"ResponseValidation.ResponseType must be STRING_MAP when the flow reads $.External, found {rtype!r}")
    if "NoMatchingError" not in _error_types(a):
        yield "no NoMatchingError branch"


def rule_compare(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    value = (a.get("Parameters") or {}).get("ComparisonValue")
    if not (isinstance(value, str) and SINGLE_JSONPATH.match(value)):
        yield f"ComparisonValue must be a single JSONPath, found {value!r}"
    if "NoMatchingCondition" not in _error_types(a):
        yield "no NoMatchingCondition branch"


def rule_target_queue(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    p = a.get("Parameters") or {}
    if ("QueueId" in p) == ("AgentId" in p):
        yield "exactly one of QueueId and AgentId must be set"
    if "NoMatchingError" not in _error_types(a):
        yield "no NoMatchingError branch"


def rule_transfer_to_queue(ctx: FlowContext, a: dict[str, Any]) -> Iterable[str]:
    missing = {"QueueAtCapacity", "NoMatchingError"} - _error_types(a)
    if missing:
        yield f"no {' / '.join(sorted(missing))} branch"


ACTION_RULES: dict[str, list[Callable[[FlowContext, dict[str, Any]], Iterable[str]]]] = {
    "*": [rule_has_exit, rule_allowed_in_flow_type, rule_voice_only],
    "Loop": [rule_loop],
    "UpdateContactAttributes": [rule_copy_all_or_nothing],
    "InvokeLambdaFunction": [rule_invoke_lambda],
    "Compare": [rule_compare],
    "UpdateContactTargetQueue": [rule_target_queue],
    "TransferContactToQueue": [rule_transfer_to_queue],
}

#: action type -> the flow types it may appear in (absent: no restriction known to the checker)
ALLOWED_FLOW_TYPES: dict[str, frozenset[str]] = {
    "EndFlowExecution": frozenset({"CUSTOMER_QUEUE", "CUSTOMER_WHISPER", "AGENT_WHISPER", "OUTBOUND_WHISPER"}),
    "EndFlowModuleExecution": frozenset({"MODULE"}),
    "UpdateContactTargetQueue": frozenset({"CONTACT_FLOW", "AGENT_TRANSFER", "QUEUE_TRANSFER"}),
    "InvokeFlowModule": frozenset({"CONTACT_FLOW"}),
    "TransferContactToQueue": frozenset({"CONTACT_FLOW", "AGENT_TRANSFER", "QUEUE_TRANSFER", "MODULE"}),
}

#: action types that only work for voice contacts; the sample flows are for chat and tasks
VOICE_ONLY: frozenset[str] = frozenset({"TransferContactToAgent"})


# --------------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------------
def _structure(label: str, text: str) -> tuple[FlowContext | None, list[Problem]]:
    """Parse and check the skeleton; return a context only if the action rules can run."""
    try:
        flow = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem(label, "-", f"invalid JSON: {exc.msg} (line {exc.lineno})")]
    if not isinstance(flow, dict):
        return None, [Problem(label, "-", "top level must be a JSON object")]
    problems: list[Problem] = []
    if flow.get("Version") != VERSION:
        problems.append(Problem(label, "-", f'Version must be "{VERSION}", found {flow.get("Version")!r}'))
    if not isinstance(flow.get("StartAction"), str):
        problems.append(Problem(label, "-", "StartAction missing"))
    actions = flow.get("Actions")
    if not isinstance(actions, list):
        problems.append(Problem(label, "-", "Actions must be a list"))
        return None, problems
    ctx = FlowContext(label, text, flow, flow_type(flow, label))
    for i, a in enumerate(actions):
        name = a.get("Identifier") if isinstance(a, dict) else None
        where = name if isinstance(name, str) else f"#{i}"
        if not isinstance(a, dict):
            problems.append(Problem(label, where, "action must be an object"))
            continue
        if not isinstance(name, str) or not name:
            problems.append(Problem(label, where, "Identifier missing"))
            continue
        ctx.by_id.setdefault(name, a)  # broken actions still count as transition targets
        ok = True
        for key, kind in (("Type", str), ("Parameters", dict), ("Transitions", dict)):
            if not isinstance(a.get(key), kind):
                what = "an object" if kind is dict else "a string"
                problems.append(Problem(label, where, f"{key} missing or not {what}"))
                ok = False
        if ok:
            ctx.actions.append(a)
    return ctx, problems


def check_text(label: str, text: str) -> list[Problem]:
    """Check one flow given as text; ``label`` is the file name used in the messages."""
    ctx, problems = _structure(label, text)
    if ctx is None:
        return problems
    for flow_rule in FLOW_RULES:
        problems += [Problem(label, where, msg) for where, msg in flow_rule(ctx)]
    for a in ctx.actions:
        for action_rule in ACTION_RULES["*"] + ACTION_RULES.get(a["Type"], []):
            problems += [Problem(label, a["Identifier"], msg) for msg in action_rule(ctx, a)]
    return problems


def check_file(path: str | Path) -> list[Problem]:
    """Check one flow file; problems are labelled with the path as given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [Problem(str(path), "-", f"cannot read: {exc.strerror}")]
    return check_text(str(path), text)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m localdev.flows.check",
        description="Check Amazon Connect flows (default: contact_flows/*.json).",
        epilog="Exit status: 0 no problems, 1 problems found, 2 usage.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH")
    args = parser.parse_args(argv)
    files = [Path(a) for a in args.paths] or default_flow_files()
    problems = [p for f in files for p in check_file(f)]
    for p in problems:
        print(p)
    if not problems:
        print(f"{len(files)} flow(s) OK")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

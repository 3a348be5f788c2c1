"""The checker's rules: one table (:data:`RULES`), each rule with its severity and the public source it follows.

Severities:

``error``
    Connect would refuse the flow (CreateContactFlow answers InvalidContactFlowException), or it cannot work: a
    transition to nothing, a Loop without its two branches, a Lambda limit over 8 s, an action its flow type does not
    allow, more than 250 actions.
``warning``
    Legal but risky: blocks nothing reaches, an error nobody handles, a block that cannot work on the channel the
    flow is checked for (``--channel``), a flow type guessed from the file name, and this project's own conventions.

A rule is a function of a :class:`FlowContext` yielding ``(action identifier or "-", message)``. To add one, write
the function and add a :class:`Rule` row to :data:`RULES` with the page it follows; ``python -m
localdev.flows.check --rules`` prints the table.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from localdev.flows import actions as docs
from localdev.flows.model import condition_label, error_types, is_project_function, transitions
from localdev.flows.sources import FlowDocument

VERSION = "2019-10-30"
MAX_ACTIONS = 250
MAX_CONTENT_CHARS = 256_000
MAX_IDENTIFIER_CHARS = 50
MAX_LAMBDA_SECONDS = 8
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
OPERATORS = frozenset(
    {
        "Equals",
        "TextStartsWith",
        "TextEndsWith",
        "TextContains",
        "NumberGreaterThan",
        "NumberGreaterOrEqualTo",
        "NumberLessThan",
        "NumberLessOrEqualTo",
    }
)
_NAME = r"(?:[A-Za-z0-9_\-]+|\['[^']+'\]|\[\"[^\"]+\"\])"
SINGLE_JSONPATH = re.compile(rf"^\$\.{_NAME}(?:\.{_NAME}|\['[^']+'\]|\[\"[^\"]+\"\])*$")
PLACEHOLDER = re.compile(r"^(\$\{[^}]+\}|\{\{[^}]+\}\}|%[A-Za-z0-9_]+%)$")
"""A whole value that a deployment tool fills in (``${X}`` CloudFormation, ``{{x}}`` / ``%X%`` templates)."""

Finding = tuple[str, str]
"""(action identifier or ``-``, message)"""


@dataclass
class FlowContext:
    """What the rules see.

    Attributes
    ----------
    doc : FlowDocument
    flow : dict
        The parsed Flow language.
    flow_type, type_source : str
        As :class:`~localdev.flows.sources.FlowDocument` has them.
    channel : str or None
        The channel the flow is checked for (``--channel``); None when unknown (channel rules do not run).
    requested_type : str or None
        ``--type``, to report a conflict with the type the file declares.
    actions : list of dict
        The actions with a string Identifier and Type (others are reported by the structure rule).
    by_id : dict
        Identifier -> action, for every action with an Identifier (broken ones still count as targets).
    """

    doc: FlowDocument
    flow: dict[str, Any]
    flow_type: str
    type_source: str
    channel: str | None = None
    requested_type: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of_type(self, *types: str) -> Iterator[dict[str, Any]]:
        return (a for a in self.actions if a["Type"] in types)

    @property
    def type_note(self) -> str:
        return {
            "file name": " (type guessed from the file name; pass --type)",
            "default": " (no type in the file; pass --type)",
        }.get(self.type_source, f" (type from {self.type_source})")


def params(action: dict[str, Any]) -> dict[str, Any]:
    p = action.get("Parameters")
    return p if isinstance(p, dict) else {}


def trans(action: dict[str, Any]) -> dict[str, Any]:
    t = action.get("Transitions")
    return t if isinstance(t, dict) else {}


def is_jsonpath(value: object) -> bool:
    return isinstance(value, str) and value.startswith("$.")


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and bool(PLACEHOLDER.match(value))


# --------------------------------------------------------------------------------------------------
# structure (errors)
# --------------------------------------------------------------------------------------------------
def rule_version(ctx: FlowContext) -> Iterable[Finding]:
    if ctx.flow.get("Version") != VERSION:
        yield "-", f'Version must be "{VERSION}", found {ctx.flow.get("Version")!r}'


def rule_start_action(ctx: FlowContext) -> Iterable[Finding]:
    start = ctx.flow.get("StartAction")
    if not isinstance(start, str):
        yield "-", "StartAction missing"
    elif start not in ctx.by_id:
        yield "-", f"StartAction {start!r} is not an action"


def rule_action_count(ctx: FlowContext) -> Iterable[Finding]:
    if len(ctx.by_id) > MAX_ACTIONS:
        yield "-", f"{len(ctx.by_id)} actions, more than the limit of {MAX_ACTIONS}"


def rule_content_size(ctx: FlowContext) -> Iterable[Finding]:
    if len(ctx.doc.text) > MAX_CONTENT_CHARS:
        yield "-", f"content is {len(ctx.doc.text):,} characters, more than the limit of {MAX_CONTENT_CHARS:,}"


def rule_action_shape(ctx: FlowContext) -> Iterable[Finding]:
    raw = ctx.flow.get("Actions")
    if not isinstance(raw, list):
        yield "-", "Actions must be a list"
        return
    for i, a in enumerate(raw):
        name = a.get("Identifier") if isinstance(a, dict) else None
        where = name if isinstance(name, str) and name else f"#{i}"
        if not isinstance(a, dict):
            yield where, "action must be an object"
            continue
        if not isinstance(name, str) or not name:
            yield where, "Identifier missing"
        if not isinstance(a.get("Type"), str) or not a.get("Type"):
            yield where, "Type missing or not a string"
        for key in ("Parameters", "Transitions"):
            if key in a and not isinstance(a[key], dict):
                yield where, f"{key} must be an object"


def rule_identifiers(ctx: FlowContext) -> Iterable[Finding]:
    seen: set[str] = set()
    for a in ctx.flow.get("Actions") or []:
        ident = a.get("Identifier") if isinstance(a, dict) else None
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


def rule_targets_exist(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.actions:
        for label, target in transitions(a):
            if target not in ctx.by_id:
                yield a["Identifier"], f"{label} transition goes to missing action {target!r}"


def rule_has_exit(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.actions:
        if a["Type"] in docs.MAY_HAVE_NO_TRANSITIONS:
            continue
        t = trans(a)
        if not (t.get("NextAction") or t.get("Conditions") or t.get("Errors")):
            yield a["Identifier"], f"{a['Type']} has no NextAction, Conditions or Errors: the flow stops here"


def rule_conditions(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.actions:
        for cond in trans(a).get("Conditions") or []:
            c = cond.get("Condition") if isinstance(cond, dict) else None
            if not isinstance(c, dict) or not isinstance(c.get("Operands"), list):
                yield a["Identifier"], "a condition needs a Condition object with an Operands list"
            elif c.get("Operator") not in OPERATORS:
                yield a["Identifier"], f"condition operator {c.get('Operator')!r} is not a Flow language operator"


def rule_allowed_in_flow_type(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.actions:
        allowed = docs.ALLOWED_FLOW_TYPES.get(a["Type"])
        if allowed is None or ctx.flow_type in allowed:
            continue
        if ctx.flow_type in ("MODULE", "CAMPAIGN") and a["Type"] not in docs.APPLIES_TO_MODULES:
            continue
        yield (
            a["Identifier"],
            (
                f"{a['Type']} is not allowed in a {ctx.flow_type} flow{ctx.type_note} "
                f"(only {', '.join(sorted(allowed))})"
            ),
        )


# --------------------------------------------------------------------------------------------------
# actions (errors)
# --------------------------------------------------------------------------------------------------
def rule_loop(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.of_type("Loop"):
        conds = trans(a).get("Conditions") or []
        got = sorted(condition_label({"Type": "Compare"}, c) for c in conds if isinstance(c, dict))
        if got != ["Equals ContinueLooping", "Equals DoneLooping"]:
            yield a["Identifier"], "Loop must have exactly the conditions Equals ContinueLooping and Equals DoneLooping"
        count = params(a).get("LoopCount")
        static_ok = isinstance(count, str) and count.isdigit() and 0 <= int(count) <= 100
        if not (static_ok or is_jsonpath(count) or is_placeholder(count)):
            yield a["Identifier"], f'LoopCount must be "0".."100" or a JSONPath, found {count!r}'


def rule_lambda(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.of_type("InvokeLambdaFunction"):
        p = params(a)
        if not p.get("LambdaFunctionARN"):
            yield a["Identifier"], "LambdaFunctionARN missing"
        limit = p.get("InvocationTimeLimitSeconds")
        if limit is None or is_placeholder(limit):
            continue
        text = str(limit)
        if not (text.isdigit() and 1 <= int(text) <= MAX_LAMBDA_SECONDS):
            yield (
                a["Identifier"],
                (
                    f"InvocationTimeLimitSeconds must be a whole number of seconds from 1 to {MAX_LAMBDA_SECONDS}, "
                    f"found {limit!r}"
                ),
            )


def rule_target_queue(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.of_type("UpdateContactTargetQueue"):
        p = params(a)
        if "QueueId" in p and "AgentId" in p:
            yield a["Identifier"], "QueueId and AgentId are both set: give one"
        elif not (p.get("QueueId") or p.get("AgentId")):
            yield a["Identifier"], "neither QueueId nor AgentId is set"


def rule_single_jsonpath(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.actions:
        for key in docs.JSONPATH_FIELDS.get(a["Type"], ()):
            value = params(a).get(key)
            if not (isinstance(value, str) and SINGLE_JSONPATH.match(value)):
                yield a["Identifier"], f"{key} must be a single JSONPath such as $.Attributes.name, found {value!r}"


def _operands(a: dict[str, Any]) -> list[str]:
    out = []
    for cond in trans(a).get("Conditions") or []:
        c = cond.get("Condition") if isinstance(cond, dict) else None
        if isinstance(c, dict) and c.get("Operator") == "Equals":
            out += [str(o) for o in c.get("Operands") or []]
    return out


def rule_wait_conditions(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.of_type("Wait"):
        wanted = {"WaitCompleted", *(str(e) for e in params(a).get("Events") or [])}
        missing = sorted(wanted - set(_operands(a)))
        if missing:
            yield a["Identifier"], f"Wait needs an Equals condition for {', '.join(missing)}"


def rule_hours_conditions(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.of_type("CheckHoursOfOperation"):
        if sorted(_operands(a)) != ["False", "True"]:
            yield a["Identifier"], "CheckHoursOfOperation needs the conditions Equals True and Equals False"


def rule_event_hooks(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.of_type("UpdateContactEventHooks"):
        hooks = params(a).get("EventHooks")
        if not isinstance(hooks, dict) or len(hooks) != 1:
            yield a["Identifier"], "EventHooks must hold exactly one hook"


# --------------------------------------------------------------------------------------------------
# warnings
# --------------------------------------------------------------------------------------------------
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
    for ident in ctx.by_id:
        if ident not in seen:
            yield ident, "unreachable from StartAction"


def rule_error_branches(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.actions:
        missing = sorted(docs.DOCUMENTED_ERRORS.get(a["Type"], frozenset()) - error_types(a))
        if missing:
            yield a["Identifier"], f"no {' / '.join(missing)} branch: if it happens, the flow stops here"


def rule_channel(ctx: FlowContext) -> Iterable[Finding]:
    if ctx.channel is None:
        return
    for a in ctx.actions:
        supported = docs.CHANNELS.get(a["Type"])
        if supported is not None and ctx.channel not in supported:
            yield (
                a["Identifier"],
                (
                    f"{a['Type']} does not work on {ctx.channel} contacts (only {', '.join(sorted(supported))}): "
                    "it takes its error branch"
                ),
            )


def rule_flow_type_known(ctx: FlowContext) -> Iterable[Finding]:
    if ctx.type_source in ("file name", "default"):
        how = "guessed from the file name" if ctx.type_source == "file name" else "taken as the default"
        yield "-", f"the file does not say its flow type; {ctx.flow_type} is {how}: pass --type to be sure"
    declared = ctx.doc.declared_type
    if ctx.requested_type and declared and ctx.requested_type != declared:
        yield "-", f"--type {ctx.requested_type} ignored: the file declares {declared} ({ctx.type_source})"


def rule_project_response_type(ctx: FlowContext) -> Iterable[Finding]:
    for a in ctx.of_type("InvokeLambdaFunction"):
        p = params(a)
        rtype = (p.get("ResponseValidation") or {}).get("ResponseType")
        if is_project_function(p.get("LambdaFunctionARN")) and rtype not in (None, "STRING_MAP"):
            yield (
                a["Identifier"],
                (f"this project's functions answer flat string maps: use ResponseType STRING_MAP (found {rtype!r})"),
            )


def rule_copy_all_or_nothing(ctx: FlowContext) -> Iterable[Finding]:
    """One UpdateContactAttributes copying several JSONPath values, whose NoMatchingError carries on to the
    same place as Success, treats a missing value as normal: but the block is all-or-nothing, so one unset
    value (e.g. no ``$.External.externalQueueId``) silently leaves the others (``psrId``) unset too."""
    for a in ctx.of_type("UpdateContactAttributes"):
        attributes = params(a).get("Attributes") or {}
        dynamic = sorted(k for k, v in attributes.items() if is_jsonpath(v))
        t = trans(a)
        on_error = {e.get("NextAction") for e in t.get("Errors") or [] if e.get("ErrorType") == "NoMatchingError"}
        if len(dynamic) > 1 and t.get("NextAction") in on_error:
            yield (
                a["Identifier"],
                (
                    f"copies {len(dynamic)} JSONPath values ({', '.join(dynamic)}) in one block and its "
                    "NoMatchingError "
                    "goes on like Success: one unset value leaves all of them unset (all-or-nothing); "
                    "use one block per optional value"
                ),
            )


# --------------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One rule: ``id`` (the ``rule`` field of a finding), severity, what it checks, and its public source."""

    id: str
    severity: str
    summary: str
    source: str
    check: Callable[[FlowContext], Iterable[Finding]]


def _on_content(ctx: FlowContext) -> Iterable[Finding]:
    return ()  # reported by the checker before the other rules, when the document has no content to give them


READ_RULES: dict[str, Rule] = {
    "json": Rule("json", "error", "the Flow language (Content) is valid JSON", docs.CREATE_CONTACT_FLOW, _on_content),
    "unevaluated": Rule(
        "unevaluated",
        "warning",
        "a template's Content is a string, Fn::Sub or Fn::Join (else it is not read)",
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-connect-contactflow.html",
        _on_content,
    ),
}
"""Rules about reading the flow at all (reported instead of the others when there is nothing to check)."""

_A = docs.DOCS
RULES: tuple[Rule, ...] = (
    Rule("action-shape", "error", "each action has an Identifier, a Type and object Parameters/Transitions",
         docs.ACTIONS_PAGE, rule_action_shape),
    Rule("version", "error", 'Version is "2019-10-30"', docs.API + "flow-language-example.html", rule_version),
    Rule("start-action", "error", "StartAction names an action", docs.API + "flow-language-example.html",
         rule_start_action),
    Rule("identifier", "error", "Identifiers are unique, at most 50 characters, without forbidden characters",
         docs.ACTIONS_PAGE, rule_identifiers),
    Rule("too-many-actions", "error", f"at most {MAX_ACTIONS} actions", docs.API + "flow-language-example.html",
         rule_action_count),
    Rule("content-size", "error", f"Content at most {MAX_CONTENT_CHARS:,} characters", docs.CREATE_CONTACT_FLOW,
         rule_content_size),
    Rule("dangling-target", "error", "every transition goes to an action of the flow", docs.ACTIONS_PAGE,
         rule_targets_exist),
    Rule("no-exit", "error", "a block that does not end the flow has somewhere to go", docs.ACTIONS_PAGE,
         rule_has_exit),
    Rule("condition", "error", "conditions use the Flow language operators", docs.ACTIONS_PAGE, rule_conditions),
    Rule("flow-type", "error", "the action is allowed in the flow's type (the action's Restrictions)",
         docs.ACTIONS_PAGE, rule_allowed_in_flow_type),
    Rule("loop", "error", "Loop: conditions ContinueLooping and DoneLooping, LoopCount 0..100", _A["Loop"],
         rule_loop),
    Rule("lambda", "error", f"InvokeLambdaFunction: an ARN, InvocationTimeLimitSeconds 1..{MAX_LAMBDA_SECONDS}",
         _A["InvokeLambdaFunction"], rule_lambda),
    Rule("target-queue", "error", "UpdateContactTargetQueue: QueueId or AgentId, not both",
         _A["UpdateContactTargetQueue"], rule_target_queue),
    Rule("jsonpath", "error", "Compare's ComparisonValue is a single JSONPath", _A["Compare"], rule_single_jsonpath),
    Rule("wait", "error", "Wait: an Equals condition for WaitCompleted and each event", _A["Wait"],
         rule_wait_conditions),
    Rule("hours", "error", "CheckHoursOfOperation: conditions Equals True and Equals False",
         _A["CheckHoursOfOperation"], rule_hours_conditions),
    Rule("event-hooks", "error", "UpdateContactEventHooks: one hook per block", _A["UpdateContactEventHooks"],
         rule_event_hooks),
    Rule("unreachable", "warning", "every block is reachable from StartAction", docs.ACTIONS_PAGE, rule_reachable),
    Rule("error-branch", "warning", "the errors an action's page documents have a branch", docs.ACTIONS_PAGE,
         rule_error_branches),
    Rule("channel", "warning", "with --channel: the action works on that channel", docs.CHANNEL_SOURCE,
         rule_channel),
    Rule("flow-type-unknown", "warning", "the file says its flow type (wrapper Type, CloudFormation, Metadata.type)",
         docs.API + "API_CreateContactFlow.html", rule_flow_type_known),
    Rule("project-string-map", "warning", "this project's functions are read as STRING_MAP",
         _A["InvokeLambdaFunction"], rule_project_response_type),
    Rule("all-or-nothing", "warning", "optional JSONPath copies each have their own UpdateContactAttributes",
         _A["UpdateContactAttributes"], rule_copy_all_or_nothing),
)  # fmt: skip
"""Every rule, in the order findings are reported."""

STRUCTURE_RULES = frozenset({"action-shape", "version"})
"""The rules that still run when ``Actions`` is not a list (the others need the actions)."""


def all_rules() -> list[Rule]:
    """:data:`READ_RULES` then :data:`RULES`: every rule a finding can name."""
    return [*READ_RULES.values(), *RULES]


def describe() -> str:
    """The rule table as text (``--rules``)."""
    rules = all_rules()
    width = max(len(r.id) for r in rules)
    return "\n".join(
        f"{r.id:<{width}}  {r.severity:<7}  {r.summary}\n{'':<{width}}  {'':<7}  {r.source}" for r in rules
    )


def dumps_rules() -> str:
    """The rule table as JSON (``--rules --format json``)."""
    rows = [{"rule": r.id, "severity": r.severity, "summary": r.summary, "source": r.source} for r in all_rules()]
    return json.dumps(rows, indent=2)

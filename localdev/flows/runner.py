"""Run one simulated chat (or task) contact through a flow, block by block.

This is an emulator, not Amazon Connect: it follows the documented behaviour of each action and states
its assumptions where the documentation is silent. Sources, all in the Amazon Connect API Reference
(flow language) unless noted:

- Loop (ContinueLooping N times, then DoneLooping once, then reset; keyed by Identifier):
  https://docs.aws.amazon.com/connect/latest/APIReference/flow-control-actions-loop.html
- Compare (single JSONPath, NoMatchingCondition):
  https://docs.aws.amazon.com/connect/latest/APIReference/flow-control-actions-compare.html
- InvokeLambdaFunction (1-8 s, STRING_MAP, NoMatchingError):
  https://docs.aws.amazon.com/connect/latest/APIReference/interactions-invokelambdafunction.html
- Lambda event / 32 KB response / $.External holds only the latest response:
  https://docs.aws.amazon.com/connect/latest/adminguide/connect-lambda-functions.html
- UpdateContactAttributes:
  https://docs.aws.amazon.com/connect/latest/APIReference/contact-actions-updatecontactattributes.html
- UpdateContactTargetQueue (QueueId or AgentId, static or single JSONPath):
  https://docs.aws.amazon.com/connect/latest/APIReference/contact-actions-updatecontacttargetqueue.html
- TransferContactToQueue (QueueAtCapacity, NoMatchingError):
  https://docs.aws.amazon.com/connect/latest/APIReference/contact-actions-transfercontacttoqueue.html
- MessageParticipant / DisconnectParticipant:
  https://docs.aws.amazon.com/connect/latest/APIReference/participant-actions-messageparticipant.html
- InvokeFlowModule: https://docs.aws.amazon.com/connect/latest/APIReference/flow-language-actions-invoke-flow-module.html
- TransferToFlow: https://docs.aws.amazon.com/connect/latest/APIReference/flow-control-actions-transfertoflow.html

Assumptions (documentation silent)
----------------------------------
- UpdateContactAttributes whose value is a JSONPath that resolves to nothing takes NoMatchingError and
  sets none of its attributes (all-or-nothing).
- A LambdaInvocationAttributes value whose JSONPath resolves to nothing is left out of ``Parameters``.
- After a failed Lambda invocation ``$.External`` is empty (no stale values from an earlier call).
- Timeout: the invoker runs to completion; if the measured wall time exceeds the block's
  ``InvocationTimeLimitSeconds`` the result is discarded and the block takes NoMatchingError, as Connect
  would have stopped waiting. Connect's own retries of throttled/5xx invocations are not emulated.
- The success of TransferContactToQueue ends the run (the contact is queued; the flow stops).
- A STRING_MAP response must be a flat ``dict[str, str]``; anything else is an error.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localdev.flows.model import FLOWS_DIR, REPO_ROOT, load_flow
from localdev.flows.placeholders import PLACEHOLDERS

FlowSource = str | Path | dict[str, Any]
"""A flow: path to its JSON file, or the parsed dict."""

Invoker = Callable[[str, dict[str, Any], float], dict[str, Any]]
"""``invoke(function_arn, event, timeout_s) -> response``; raise to signal a failed invocation."""

MAX_RESPONSE_BYTES = 32 * 1024
DEFAULT_MAX_STEPS = 1000
DEFAULT_INSTANCE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/00000000-0000-0000-0000-000000000000"

HANDLERS: dict[str, str] = {
    "CreateMessagingSessionFunction": "connect_omni.handlers.create_messaging_session.lambda_handler",
    "RoutingFunction": "connect_omni.handlers.routing.lambda_handler",
}
"""Function name (last part of the ARN) -> dotted path of the local handler the default invoker calls."""

DEFAULT_FLOWS: dict[str, FlowSource] = {
    arn: FLOWS_DIR / "contact-lens-transcription-subflow.json"
    for arn, ph in PLACEHOLDERS.items()
    if ph.template_value.startswith("ContactLensTranscriptionModule")
}
"""The shipped module, under its placeholder ARN: what ``run`` uses when no ``flows`` mapping is given."""

_QUEUE_ARN = re.compile(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[^/]+/queue/[^/]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PATH_PART = re.compile(r"\.([A-Za-z0-9_\-]+)|\['([^']+)'\]|\[\"([^\"]+)\"\]")


class RunnerError(Exception):
    """The flow uses something the runner cannot emulate (unknown action type, bad flow reference)."""


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


# --------------------------------------------------------------------------------------------------
# contact and result
# --------------------------------------------------------------------------------------------------
@dataclass
class Contact:
    """The simulated contact's data, as the flow and the Lambda event see it.

    ``agent`` is the ``$.Agent`` namespace (e.g. ``{"UserName": "jdoe"}``), set for agent transfers.
    ``queue`` is the current queue ARN (``None`` before one is set); for a queue transfer it is the
    quick connect's queue, already the working queue when the transfer flow starts.
    """

    contact_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    initial_contact_id: str | None = None
    previous_contact_id: str | None = None
    channel: str = "CHAT"
    initiation_method: str = "API"
    instance_arn: str = DEFAULT_INSTANCE_ARN
    queue: str | None = None
    customer_endpoint: dict[str, Any] | None = None
    system_endpoint: dict[str, Any] | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    agent: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.initial_contact_id is None:
            self.initial_contact_id = self.contact_id

    def transferred(self, *, agent_user_name: str | None = None, queue: str | None = None) -> Contact:
        """Return the new contact a transfer creates: new ContactId, PreviousContactId = this one,
        same InitialContactId and attributes, InitiationMethod TRANSFER (admin guide,
        contact-initiation-methods)."""
        return Contact(
            initial_contact_id=self.initial_contact_id,
            previous_contact_id=self.contact_id,
            channel=self.channel,
            initiation_method="TRANSFER",
            instance_arn=self.instance_arn,
            queue=queue,
            customer_endpoint=self.customer_endpoint,
            system_endpoint=self.system_endpoint,
            attributes=dict(self.attributes),
            agent={"UserName": agent_user_name} if agent_user_name else None,
        )


@dataclass
class LambdaCall:
    """One InvokeLambdaFunction: what was sent and what came back (``response`` or ``error``)."""

    function_arn: str
    parameters: dict[str, str]
    response: dict[str, Any] | None
    error: str | None
    elapsed_ms: float


@dataclass
class RunResult:
    """What happened.

    Attributes
    ----------
    path : list of (action id, action type, branch taken)
        Branch is ``Success``, an ErrorType, ``ContinueLooping``/``DoneLooping``, the matched Compare
        condition (``"TextStartsWith arn:"``) or ``end`` for a terminal action.
    attributes : dict[str, str]
        Contact attributes at the end.
    external : dict[str, str]
        ``$.External`` at the end (only the latest Lambda response).
    queue : str or None
        The queue the contact was transferred to (``agent:<user>`` for an agent queue), else None.
    outcome : str
        ``queued to <queue>``, ``disconnected``, ``ended``, ``returned`` (a module run on its own), or
        ``stuck at <id>: ...`` / ``step limit ...`` when the flow has no way on.
    messages : list of str
        Texts sent to the customer by MessageParticipant.
    lambda_calls : list of LambdaCall
    flow_logging : bool
    recording : list of dict
        Parameters of every recording/analytics behaviour block that ran.
    notes : list of (step index, text)
        Details shown by :meth:`format_trace`.
    """

    path: list[tuple[str, str, str]] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    external: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    outcome: str = ""
    messages: list[str] = field(default_factory=list)
    lambda_calls: list[LambdaCall] = field(default_factory=list)
    flow_logging: bool = False
    recording: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def chat_analytics(self) -> bool:
        """True if a recording block turned on Contact Lens chat analytics."""
        for params in self.recording:
            modes = ((params.get("AnalyticsBehavior") or {}).get("ChannelConfiguration") or {}).get("Chat") or {}
            chat = ((params.get("ChatBehavior") or {}).get("ChatAnalyticsBehavior") or {}).get("Enabled")
            if "ContactLens" in (modes.get("AnalyticsModes") or []) or chat == "True":
                return True
        return False

    def format_trace(self) -> str:
        """Return a readable, numbered trace of the run."""
        notes: dict[int, list[str]] = {}
        for i, text in self.notes:
            notes.setdefault(i, []).append(text)
        lines = []
        for i, (ident, typ, branch) in enumerate(self.path):
            lines.append(f"{i + 1:3d}. {ident:<28} {typ:<32} -> {branch}")
            lines += [f"       {n}" for n in notes.get(i, [])]
        lines.append(f"outcome: {self.outcome}")
        if self.messages:
            lines.append("messages: " + " | ".join(self.messages))
        lines.append("attributes: " + json.dumps(self.attributes, sort_keys=True))
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# default invoker: the project's handlers in-process
# --------------------------------------------------------------------------------------------------
class FakeLambdaContext:
    """The parts of the Lambda context object the handlers use; remaining time counts down from the
    block's InvocationTimeLimitSeconds in wall time."""

    def __init__(self, function_arn: str, timeout_s: float, memory_limit_in_mb: int = 256) -> None:
        self.function_name = function_arn.rsplit(":", 1)[-1]
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local/flow-runner"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _import_handler(dotted: str) -> Callable[[dict[str, Any], Any], Any]:
    module_name, attr = dotted.rsplit(".", 1)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        src = str(REPO_ROOT / "src")
        if src in sys.path:
            raise
        sys.path.insert(0, src)
        module = importlib.import_module(module_name)
    return getattr(module, attr)


def local_handler_invoker(handlers: Mapping[str, str] = HANDLERS) -> Invoker:
    """Return an invoker that calls the project's handlers in this process.

    The function name is the last ``:``-separated part of the ARN (``...:function:RoutingFunction``);
    it is looked up in ``handlers`` and the handler is imported on first use.
    """

    def invoke(function_arn: str, event: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        name = function_arn.rsplit(":", 1)[-1]
        if name not in handlers:
            raise RunnerError(f"no local handler for function {name!r} (known: {', '.join(handlers)})")
        handler = _import_handler(handlers[name])
        return handler(event, FakeLambdaContext(function_arn, timeout_s))

    return invoke


# --------------------------------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------------------------------
def _as_flow(source: FlowSource) -> dict[str, Any]:
    return source if isinstance(source, dict) else load_flow(source)


class _Run:
    def __init__(
        self,
        contact: Contact,
        invoker: Invoker,
        flows: Mapping[str, FlowSource],
        queues_at_capacity: frozenset[str],
        max_steps: int,
        clock: Callable[[], float],
    ) -> None:
        self.contact = contact
        self.invoker = invoker
        self.flows = flows
        self.queues_at_capacity = queues_at_capacity
        self.max_steps = max_steps
        self.clock = clock
        self.result = RunResult(attributes=dict(contact.attributes))
        self.loops: dict[str, int] = {}
        self.working_queue: str | None = contact.queue
        self.recorded = False  # set by actions that write their own path entry (nested flows)

    # ---- data ----------------------------------------------------------------------------------
    def namespace(self) -> dict[str, Any]:
        c = self.contact
        return {
            "Attributes": self.result.attributes,
            "External": self.result.external,
            "Agent": c.agent or {},
            "ContactId": c.contact_id,
            "InitialContactId": c.initial_contact_id,
            "PreviousContactId": c.previous_contact_id,
            "Channel": c.channel,
            "InitiationMethod": c.initiation_method,
            "InstanceARN": c.instance_arn,
            "Queue": self._queue_object(),
            "CustomerEndpoint": c.customer_endpoint,
            "SystemEndpoint": c.system_endpoint,
        }

    def _queue_object(self) -> dict[str, str] | None:
        if not self.working_queue:
            return None
        return {"ARN": self.working_queue, "Name": self.working_queue.rsplit("/", 1)[-1]}

    def resolve(self, value: Any) -> Any:
        """Static value, or a single JSONPath (``$.A.b``, ``$.Attributes['k']``) -> value or MISSING."""
        if not (isinstance(value, str) and value.startswith("$.")):
            return value
        node: Any = self.namespace()
        for m in _PATH_PART.finditer(value[1:]):
            key = next(g for g in m.groups() if g is not None)
            if not isinstance(node, dict) or node.get(key) is None:
                return MISSING
            node = node[key]
        return node

    def event(self, parameters: dict[str, str]) -> dict[str, Any]:
        c = self.contact
        return {
            "Name": "ContactFlowEvent",
            "Details": {
                "ContactData": {
                    "Attributes": dict(self.result.attributes),
                    "Channel": c.channel,
                    "ContactId": c.contact_id,
                    "CustomerEndpoint": c.customer_endpoint,
                    "InitialContactId": c.initial_contact_id,
                    "InitiationMethod": c.initiation_method,
                    "InstanceARN": c.instance_arn,
                    "PreviousContactId": c.previous_contact_id,
                    "Queue": self._queue_object(),
                    "SystemEndpoint": c.system_endpoint,
                },
                "Parameters": parameters,
            },
        }

    # ---- main loop -----------------------------------------------------------------------------
    def note(self, text: str) -> None:
        self.result.notes.append((len(self.result.path), text))

    def run_flow(self, flow: dict[str, Any]) -> str | None:
        """Run ``flow`` until it stops. Returns ``"returned"`` when it ends with EndFlowModuleExecution
        (the caller continues), otherwise None (the contact's run is over)."""
        actions = {a["Identifier"]: a for a in flow.get("Actions", [])}
        current: str | None = flow.get("StartAction")
        while current is not None:
            if len(self.result.path) >= self.max_steps:
                self.result.outcome = f"step limit of {self.max_steps} reached at {current}"
                return None
            action = actions.get(current)
            if action is None:
                self.result.outcome = f"stuck: action {current!r} does not exist"
                return None
            self.recorded = False
            branch, target = self.step(action)
            if not self.recorded:
                self.result.path.append((action["Identifier"], action["Type"], branch))
            if branch == "end":
                return target  # "returned" from a module, or None
            if target is None:
                self.result.outcome = f"stuck at {action['Identifier']}: no {branch} transition"
                return None
            current = target
        return None

    @staticmethod
    def follow(action: dict[str, Any], branch: str) -> tuple[str, str | None]:
        t = action.get("Transitions") or {}
        if branch == "Success":
            return branch, t.get("NextAction")
        for err in t.get("Errors") or []:
            if err.get("ErrorType") == branch:
                return branch, err.get("NextAction")
        for cond in t.get("Conditions") or []:
            if (cond.get("Condition") or {}).get("Operands") == [branch]:
                return branch, cond.get("NextAction")
        return branch, None

    def step(self, action: dict[str, Any]) -> tuple[str, str | None]:
        """Execute one action; return (branch taken, next identifier). Branch ``end`` stops the flow."""
        handler = getattr(self, "do_" + action["Type"], None)
        if handler is None:
            raise RunnerError(f"{action['Identifier']}: action type {action['Type']} is not emulated")
        return handler(action, action.get("Parameters") or {})

    # ---- flow control --------------------------------------------------------------------------
    def do_Loop(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        ident = action["Identifier"]
        count = int(self.resolve(p.get("LoopCount", "0")))
        done = self.loops.get(ident, 0)
        if done < count:
            self.loops[ident] = done + 1
            self.note(f"iteration {done + 1} of {count}")
            return self.follow(action, "ContinueLooping")
        self.loops.pop(ident, None)
        return self.follow(action, "DoneLooping")

    _OPERATORS: dict[str, Callable[[str, str], bool]] = {
        "Equals": lambda v, o: v == o,
        "TextStartsWith": lambda v, o: v.startswith(o),
        "TextEndsWith": lambda v, o: v.endswith(o),
        "TextContains": lambda v, o: o in v,
        "NumberGreaterThan": lambda v, o: float(v) > float(o),
        "NumberGreaterOrEqualTo": lambda v, o: float(v) >= float(o),
        "NumberLessThan": lambda v, o: float(v) < float(o),
        "NumberLessOrEqualTo": lambda v, o: float(v) <= float(o),
    }

    def do_Compare(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        value = self.resolve(p.get("ComparisonValue"))
        self.note(f"{p.get('ComparisonValue')} = {value!r}")
        if value is not MISSING:
            for cond in (action.get("Transitions") or {}).get("Conditions") or []:
                c = cond.get("Condition") or {}
                op = self._OPERATORS.get(c.get("Operator", ""))
                if op is None:
                    raise RunnerError(f"{action['Identifier']}: operator {c.get('Operator')} not emulated")
                operand = str((c.get("Operands") or [""])[0])
                try:
                    matched = op(str(value), operand)
                except ValueError:
                    matched = False
                if matched:
                    return f"{c['Operator']} {operand}", cond.get("NextAction")
        return self.follow(action, "NoMatchingCondition")

    def do_TransferToFlow(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        target = self.resolve(p.get("ContactFlowId"))
        if target not in self.flows:
            self.note(f"flow {target!r} not in the flows mapping")
            return self.follow(action, "NoMatchingError")
        self.note(f"-> {target} (does not return)")
        self.result.path.append((action["Identifier"], action["Type"], "Success"))
        self.run_flow(_as_flow(self.flows[target]))
        self.recorded = True
        return "end", None

    def do_InvokeFlowModule(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        target = self.resolve(p.get("FlowModuleId"))
        if target not in self.flows:
            self.note(f"module {target!r} not in the flows mapping")
            return self.follow(action, "NoMatchingError")
        self.note(f"module {target}")
        index = len(self.result.path)
        self.result.path.append((action["Identifier"], action["Type"], "(in module)"))
        returned = self.run_flow(_as_flow(self.flows[target]))
        self.recorded = True
        if returned != "returned":
            return "end", None
        self.result.path[index] = (action["Identifier"], action["Type"], "Success")
        return self.follow(action, "Success")

    def do_EndFlowModuleExecution(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.result.outcome = "returned"
        return "end", "returned"

    def do_EndFlowExecution(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.result.outcome = "ended"
        return "end", None

    # ---- contact actions -----------------------------------------------------------------------
    def do_UpdateFlowLoggingBehavior(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.result.flow_logging = p.get("FlowLoggingBehavior") == "Enabled"
        return self.follow(action, "Success")

    def do_UpdateContactRecordingBehavior(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.result.recording.append(p)
        return self.follow(action, "Success")

    do_UpdateContactRecordingAndAnalyticsBehavior = do_UpdateContactRecordingBehavior

    def do_UpdateContactAttributes(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        updates: dict[str, str] = {}
        for key, raw in (p.get("Attributes") or {}).items():
            value = self.resolve(raw)
            if value is MISSING:
                self.note(f"{key}: {raw} is not set -> error, no attribute updated")
                return self.follow(action, "NoMatchingError")
            updates[key] = str(value)
        self.result.attributes.update(updates)
        self.note("set " + ", ".join(f"{k}={v}" for k, v in updates.items()))
        return self.follow(action, "Success")

    def do_InvokeLambdaFunction(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        arn = str(p.get("LambdaFunctionARN"))
        limit = float(p.get("InvocationTimeLimitSeconds", "3"))
        params: dict[str, str] = {}
        for key, raw in (p.get("LambdaInvocationAttributes") or {}).items():
            value = self.resolve(raw)
            if value is not MISSING:
                params[key] = str(value)
        event = self.event(params)
        started = self.clock()
        response: Any = None
        error: str | None = None
        try:
            response = self.invoker(arn, event, limit)
        except RunnerError:
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        elapsed = self.clock() - started
        if error is None:
            if elapsed > limit:
                error = f"timeout: {elapsed:.3f} s > {limit:g} s"
            elif not (
                isinstance(response, dict)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in response.items())
            ):
                error = f"response is not a STRING_MAP: {json.dumps(response, default=str)[:200]}"
            elif len(json.dumps(response).encode("utf-8")) > MAX_RESPONSE_BYTES:
                error = "response larger than 32 KB"
        name = arn.rsplit(":", 1)[-1]
        self.result.lambda_calls.append(
            LambdaCall(arn, params, None if error else response, error, round(elapsed * 1000, 3))
        )
        if error:
            self.result.external = {}
            self.note(f"{name}({params}) failed: {error}")
            return self.follow(action, "NoMatchingError")
        self.result.external = dict(response)
        self.note(f"{name}({params}) -> {response}")
        return self.follow(action, "Success")

    def do_UpdateContactTargetQueue(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        if "AgentId" in p:
            agent = self.resolve(p["AgentId"])
            if agent is MISSING or not str(agent):
                self.note(f"AgentId {p['AgentId']} is not set")
                return self.follow(action, "NoMatchingError")
            self.working_queue = f"agent:{agent}"
        else:
            queue = self.resolve(p.get("QueueId"))
            if queue is MISSING or not (_QUEUE_ARN.match(str(queue)) or _UUID.match(str(queue))):
                self.note(f"QueueId {p.get('QueueId')} = {queue!r} is not a queue")
                return self.follow(action, "NoMatchingError")
            self.working_queue = str(queue)
        self.note(f"working queue {self.working_queue}")
        return self.follow(action, "Success")

    def do_TransferContactToQueue(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        if not self.working_queue:
            self.note("no working queue")
            return self.follow(action, "NoMatchingError")
        if self.working_queue in self.queues_at_capacity:
            self.note(f"{self.working_queue} at capacity")
            return self.follow(action, "QueueAtCapacity")
        self.result.queue = self.working_queue
        self.result.outcome = f"queued to {self.working_queue}"
        return "end", None

    def do_MessageParticipant(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        text = self.resolve(p.get("Text", ""))
        self.result.messages.append("" if text is MISSING else str(text))
        return self.follow(action, "Success")

    def do_DisconnectParticipant(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.result.outcome = "disconnected"
        return "end", None


def run(
    flow: FlowSource,
    contact: Contact | None = None,
    invoker: Invoker | None = None,
    *,
    flows: Mapping[str, FlowSource] | None = None,
    queues_at_capacity: frozenset[str] | set[str] = frozenset(),
    max_steps: int = DEFAULT_MAX_STEPS,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """Run ``contact`` through ``flow`` and report what happened.

    Parameters
    ----------
    flow : path or dict
        Flow language JSON (file path or parsed dict).
    contact : Contact, optional
        Defaults to a new chat contact started with StartChatContact (InitiationMethod API).
    invoker : callable, optional
        ``invoke(function_arn, event, timeout_s) -> dict``; defaults to :func:`local_handler_invoker`.
    flows : mapping, optional
        Flow/module ARN -> flow source, for InvokeFlowModule and TransferToFlow; default
        :data:`DEFAULT_FLOWS` (the shipped Contact Lens module under its placeholder ARN).
    queues_at_capacity : set of str
        Queues whose TransferContactToQueue takes QueueAtCapacity.
    max_steps : int
        Guard against infinite loops: at most this many actions are executed.
    clock : callable
        Seconds, used to time Lambda calls (inject a fake clock in tests).

    Returns
    -------
    RunResult
    """
    contact = contact or Contact()
    engine = _Run(
        contact,
        invoker or local_handler_invoker(),
        DEFAULT_FLOWS if flows is None else flows,
        frozenset(queues_at_capacity),
        max_steps,
        clock,
    )
    returned = engine.run_flow(_as_flow(flow))
    if returned == "returned":
        engine.result.outcome = "returned"
    return engine.result

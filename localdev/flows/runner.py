"""Run one simulated contact through a flow, block by block.

::

    from localdev.flows.runner import Contact, Scenario, run, run_hook

    result = run("contact_flows/inbound-chat-flow.json", Contact(), invoker, on_step=print)
    result.path          # [(identifier, type, branch taken), ...]
    result.terminal      # "queued", "disconnected", ... or None
    again = run_hook(result, "CustomerRemaining", flows=library, invoker=invoker,
                     scenario=Scenario(events=["CustomerReturned"]))

This is an emulator, not Amazon Connect: it follows the documented behaviour of each action (the Flow language
reference, https://docs.aws.amazon.com/connect/latest/APIReference/flow-language-actions.html and its per-action
pages, linked from :data:`localdev.flows.actions.DOCS`) and states its assumptions where the documentation is
silent. An action that does not work on the contact's channel (:data:`localdev.flows.actions.CHANNELS`) takes its
error branch, as the admin guide's table of block support by channel says; without one the flow stops.

What the customer and the world do is scripted by a :class:`Scenario`; where it scripts nothing, each block takes
its default: no customer input is a timeout, no Lex intent is ``NoMatchingCondition``, a Wait runs out
(``WaitCompleted``), hours are open, a view gets no answer (``TimeLimitExceeded``), DistributeByPercentage takes
its editor default (``NoMatchingCondition``), checks against an external system (customer profiles, cases, Voice
ID) succeed. ``Scenario.choices`` forces a branch at any block.

Assumptions (documentation silent)
----------------------------------
- UpdateContactAttributes whose value is a JSONPath that resolves to nothing takes NoMatchingError and
  sets none of its attributes (the block is all-or-nothing, contact-actions-updatecontactattributes).
- A LambdaInvocationAttributes value whose JSONPath resolves to nothing is left out of ``Parameters``.
- After a failed Lambda invocation ``$.External`` is empty (no stale values from an earlier call).
- Timeout: the invoker runs to completion; if the measured wall time exceeds the block's
  ``InvocationTimeLimitSeconds`` the result is discarded and the block takes NoMatchingError, as Connect
  would have stopped waiting. Connect's own retries of throttled/5xx invocations are not emulated.
- Without ``ResponseValidation`` (or with ``STRING_MAP``) a response must be a flat ``dict[str, str]``; with
  ``JSON`` any JSON object is accepted. Anything else is an error.
- A static queue, agent or flow value is taken as it is (placeholders included); a JSONPath value must resolve to
  a queue ARN or id.
- The success of TransferContactToQueue ends the run (the contact is queued; the flow stops).
- TransferToFlow to a flow the run was not given ends the run as "transferred to flow" (the contact left this
  flow); InvokeFlowModule of a module it was not given takes NoMatchingError.
- A stored GetParticipantInput (StoreInput True) without input takes Success with ``$.StoredCustomerInput`` =
  ``Timeout`` (the *Store customer input* block's documented behaviour).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

from localdev.flows import actions as docs
from localdev.flows.lambdas import (  # re-exported: the demo and tests import them from here
    FakeLambdaContext,
    Invoker,
    UnknownHandlerError,
    import_handler,
    local_handler_invoker,
)
from localdev.flows.model import FLOWS_DIR, PROJECT_HANDLERS, function_name
from localdev.flows.placeholders import PLACEHOLDERS
from localdev.flows.sources import FlowDocument, SourceError, load, read_paths

__all__ = [
    "DEFAULT_FLOWS",
    "EMULATED_ACTIONS",
    "HANDLERS",
    "TERMINAL_KINDS",
    "Contact",
    "FakeLambdaContext",
    "FlowLibrary",
    "FlowSource",
    "Invoker",
    "LambdaCall",
    "RunResult",
    "RunnerError",
    "Scenario",
    "Step",
    "import_handler",
    "local_handler_invoker",
    "run",
    "run_hook",
]

FlowSource = str | Path | dict[str, Any] | FlowDocument
"""A flow: a file (any form :mod:`localdev.flows.sources` reads; ``file#LogicalId`` for one template resource),
a parsed Flow language dict, or a :class:`~localdev.flows.sources.FlowDocument`."""

HANDLERS = PROJECT_HANDLERS
"""Function name -> dotted path of the local handler the default invoker calls."""

MAX_RESPONSE_BYTES = 32 * 1024
DEFAULT_MAX_STEPS = 1000
DEFAULT_INSTANCE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/00000000-0000-0000-0000-000000000000"

DEFAULT_FLOWS: dict[str, FlowSource] = {
    arn: FLOWS_DIR / "contact-lens-transcription-subflow.json"
    for arn, ph in PLACEHOLDERS.items()
    if ph.template_value.startswith("ContactLensTranscriptionModule")
}
"""The shipped module, under its placeholder ARN: what ``run`` uses when no ``flows`` mapping is given."""

TERMINAL_KINDS = (
    "disconnected",
    "queued",
    "transferred to agent",
    "transferred to flow",
    "transferred to number",
    "ended",
    "returned",
)
"""``RunResult.terminal`` values: how the contact left the flow."""

METRIC_DEFAULTS: dict[str, float] = {
    "NumberOfAgentsAvailable": 1,
    "NumberOfAgentsStaffed": 1,
    "NumberOfAgentsOnline": 1,
    "OldestContactInQueueAgeSeconds": 0,
    "NumberOfContactsInQueue": 0,
}
"""Queue metrics when a :class:`Scenario` scripts none: an open, staffed, empty queue."""

SETTING_ACTIONS: frozenset[str] = frozenset(
    {
        "UpdateFlowLoggingBehavior",
        "UpdateContactRecordingBehavior",
        "UpdateContactRecordingAndAnalyticsBehavior",
        "UpdateContactTextToSpeechVoice",
        "UpdateContactMediaStreamingBehavior",
        "UpdateContactRoutingBehavior",
        "UpdateContactRoutingCriteria",
        "UpdateContactData",
        "UpdateContactCallbackNumber",
        "UpdatePreviousContactParticipantState",
        "TagContact",
        "UnTagContact",
        "CreateWisdomSession",
        "CompleteOutboundCall",
        "CreateCallbackContact",
        "CreateTask",
        "CreateCase",
        "UpdateCase",
        "GetCase",
        "CreateCustomerProfile",
        "GetCustomerProfile",
        "UpdateCustomerProfile",
        "AssociateContactToCustomerProfile",
        "StartVoiceIdStream",
    }
)
"""Actions whose effect is on the contact's settings or on another system: the runner records their parameters
(``RunResult.settings``) and takes Success (a scenario choice can force an error branch)."""

_QUEUE_ARN = re.compile(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[^/]+/(queue|agent)/[^/]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PATH_PART = re.compile(r"\.([A-Za-z0-9_\-]+)|\['([^']+)'\]|\[\"([^\"]+)\"\]")
_EMBEDDED_PATH = re.compile(r"\$\.[A-Za-z][A-Za-z0-9_\-]*(?:(?:\.[A-Za-z0-9_\-]+)|(?:\['[^']+'\]))*")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")


class RunnerError(Exception):
    """The runner was misused (a flow it cannot load, an invoker without a handler): the run cannot start or go on.

    A flow that merely uses an action the runner does not emulate is not an error: the run ends with
    ``RunResult.terminal`` None and the outcome names the action.
    """


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


# --------------------------------------------------------------------------------------------------
# contact, scenario, result
# --------------------------------------------------------------------------------------------------
@dataclass
class Contact:
    """The simulated contact's data, as the flow and the Lambda event see it.

    ``agent`` is the ``$.Agent`` namespace (e.g. ``{"UserName": "jdoe"}``), set for agent transfers.
    ``queue`` is the current queue ARN (``None`` before one is set); for a queue transfer it is the
    quick connect's queue, already the working queue when the transfer flow starts.
    ``event_hooks`` are the flows set by UpdateContactEventHooks (``{"CustomerRemaining": flow ARN}``).
    ``segment_attributes`` are the contact's segment attributes as the Lambda event carries them
    (``{"connect:Subtype": {"ValueString": "connect:SMS"}}``, SegmentAttributeValue of the Connect API:
    https://docs.aws.amazon.com/connect/latest/APIReference/API_SegmentAttributeValue.html); None leaves them
    out of the event.
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
    event_hooks: dict[str, str] = field(default_factory=dict)
    segment_attributes: dict[str, Any] | None = None

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
            event_hooks=dict(self.event_hooks),
            segment_attributes=dict(self.segment_attributes) if self.segment_attributes is not None else None,
        )


@dataclass(frozen=True)
class Scenario:
    """What the customer does and how the world is, for one run (see the module docstring for defaults).

    Attributes
    ----------
    inputs : sequence of str
        What the customer enters at each GetParticipantInput, in order; none left = timeout.
    intents : sequence of str
        The Lex intent of each ConnectParticipantWithLexBot, in order; none left = ``NoMatchingCondition``.
    events : sequence of str
        Events that interrupt a Wait, in order (``CustomerReturned``); an event the Wait does not list is kept for
        the next one; none = ``WaitCompleted``.
    hours : str or mapping
        ``open`` / ``closed`` for every CheckHoursOfOperation, or hours of operation (id, ARN or name) -> ``open`` /
        ``closed``, ``"*"`` for the rest (default open).
    metrics : mapping of str to float
        CheckMetricData / GetMetricData values by MetricType (defaults :data:`METRIC_DEFAULTS`).
    choices : mapping of str to str
        Block identifier -> the branch it takes (``Success``, an ErrorType, a condition operand such as ``True``
        or ``1``, or a condition label ``"NumberLessThan 50"``), overriding everything else.
    queues_at_capacity : set of str
        Queues whose TransferContactToQueue takes QueueAtCapacity.
    """

    inputs: Sequence[str] = ()
    intents: Sequence[str] = ()
    events: Sequence[str] = ()
    hours: str | Mapping[str, str] = "open"
    metrics: Mapping[str, float] = field(default_factory=dict)
    choices: Mapping[str, str] = field(default_factory=dict)
    queues_at_capacity: frozenset[str] = frozenset()


@dataclass
class LambdaCall:
    """One InvokeLambdaFunction: what was sent and what came back (``response`` or ``error``)."""

    function_arn: str
    parameters: dict[str, str]
    response: dict[str, Any] | None
    error: str | None
    elapsed_ms: float


@dataclass(frozen=True)
class Step:
    """One block the contact went through.

    Attributes
    ----------
    index : int
        0-based position in the run.
    identifier, type : str
        The action's ``Identifier`` and ``Type``.
    branch : str
        ``Success``, an ErrorType, ``ContinueLooping``/``DoneLooping``, the matched condition
        (``"TextStartsWith arn:"``, ``"Equals True"``) or ``end`` for a block that ends the flow.
    flow : str
        Name of the flow the block belongs to.
    depth : int
        0 in the flow the run started with, 1 in a module it invoked or a flow it transferred to, and so on.
    notes : tuple of str
        What the block did (values read, attributes set, the Lambda call).
    lambda_call : LambdaCall or None
        The invocation an InvokeLambdaFunction block made.
    """

    index: int
    identifier: str
    type: str
    branch: str
    flow: str = ""
    depth: int = 0
    notes: tuple[str, ...] = ()
    lambda_call: LambdaCall | None = None


@dataclass
class RunResult:
    """What happened.

    Attributes
    ----------
    steps : list of Step
        Every block, in order (``path`` and ``notes`` are views of it).
    attributes : dict[str, str]
        Contact attributes at the end.
    external : dict
        ``$.External`` at the end (only the latest Lambda response).
    queue : str or None
        The queue the contact was transferred to (``agent:<user>`` for an agent queue), else None.
    terminal : str or None
        How the contact left the flow (one of :data:`TERMINAL_KINDS`), None when the run stopped short (stuck,
        step limit, an action the runner does not emulate).
    outcome : str
        ``queued to <queue>``, ``disconnected``, ``ended``, ``returned`` (a module run on its own),
        ``transferred to agent`` / ``flow <id>`` / ``number <number>``, or ``stuck at <id>: ...`` /
        ``step limit ...`` / ``cannot emulate ...`` when the flow has no way on.
    messages : list of str
        Texts sent to the customer by MessageParticipant (and the prompt texts of input blocks).
    lambda_calls : list of LambdaCall
    event_hooks : dict[str, str]
        Event hooks set by UpdateContactEventHooks (``{"CustomerRemaining": flow ARN}``), with the contact's own.
    contact : Contact or None
        The contact at the end: attributes, working queue, event hooks.
    flow_logging : bool
    recording : list of dict
        Parameters of every recording/analytics behaviour block that ran.
    settings : list of (action type, parameters)
        Every setting/other-system block that ran (see :data:`SETTING_ACTIONS`).
    """

    steps: list[Step] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    external: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None
    terminal: str | None = None
    outcome: str = ""
    messages: list[str] = field(default_factory=list)
    lambda_calls: list[LambdaCall] = field(default_factory=list)
    event_hooks: dict[str, str] = field(default_factory=dict)
    contact: Contact | None = None
    flow_logging: bool = False
    recording: list[dict[str, Any]] = field(default_factory=list)
    settings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def path(self) -> list[tuple[str, str, str]]:
        """``(identifier, type, branch)`` of every step."""
        return [(s.identifier, s.type, s.branch) for s in self.steps]

    @property
    def notes(self) -> list[tuple[int, str]]:
        """``(step index, text)`` of every note."""
        return [(s.index, n) for s in self.steps for n in s.notes]

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
        lines = []
        for s in self.steps:
            indent = "  " * s.depth
            lines.append(f"{s.index + 1:3d}. {indent}{s.identifier:<28} {s.type:<32} -> {s.branch}")
            lines += [f"       {indent}{n}" for n in s.notes]
        lines.append(f"outcome: {self.outcome}")
        if self.messages:
            lines.append("messages: " + " | ".join(self.messages))
        lines.append("attributes: " + json.dumps(self.attributes, sort_keys=True))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (``python -m localdev.flows.run --json``)."""
        return {
            "terminal": self.terminal,
            "outcome": self.outcome,
            "queue": self.queue,
            "path": [
                {"flow": s.flow, "depth": s.depth, "action": s.identifier, "type": s.type, "branch": s.branch}
                | ({"notes": list(s.notes)} if s.notes else {})
                for s in self.steps
            ],
            "attributes": self.attributes,
            "external": self.external,
            "messages": self.messages,
            "event_hooks": self.event_hooks,
            "lambda_calls": [
                {"function": c.function_arn, "parameters": c.parameters, "response": c.response, "error": c.error}
                for c in self.lambda_calls
            ],
        }


# --------------------------------------------------------------------------------------------------
# flows a run can reach
# --------------------------------------------------------------------------------------------------
class FlowLibrary:
    """Flows that TransferToFlow, InvokeFlowModule and event hooks can reach, looked up by reference.

    A reference (a ``ContactFlowId`` / ``FlowModuleId`` / hook value) is found by, in order: an exact key; its
    last ``/`` segment (the flow id of an ARN) against the keys' last segments; the block's display name (the
    flow designer's ``Metadata.ActionMetadata``) or the reference against each flow's name.

    Parameters
    ----------
    flows : mapping or iterable
        ``reference -> flow source`` (e.g. placeholder ARN -> file), and/or :class:`FlowDocument` objects (found
        by their ``references`` and name).
    """

    def __init__(self, flows: Mapping[str, FlowSource] | Iterable[FlowDocument] = ()) -> None:
        self.by_key: dict[str, FlowSource] = {}
        self.by_name: dict[str, FlowSource] = {}
        items = flows.items() if isinstance(flows, Mapping) else ((None, doc) for doc in flows)
        for key, source in items:
            if key is not None:
                self.by_key[key] = source
            if isinstance(source, FlowDocument):
                for ref in source.references:
                    self.by_key.setdefault(ref, source)
                self.by_name.setdefault(source.name.casefold(), source)

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path]) -> FlowLibrary:
        """Every flow in these files and directories (unreadable ones are skipped)."""
        flows, _errors = read_paths(paths)
        return cls([f for f in flows if f.content is not None])

    def find(self, reference: object, display_name: str | None = None) -> FlowSource | None:
        """The flow a reference names, or None."""
        ref = str(reference or "")
        if ref in self.by_key:
            return self.by_key[ref]
        tail = ref.rstrip("/").rsplit("/", 1)[-1]
        for key, source in self.by_key.items():
            if tail and key.rstrip("/").rsplit("/", 1)[-1] == tail:
                return source
        for name in (display_name, ref):
            if name and name.casefold() in self.by_name:
                return self.by_name[name.casefold()]
        return None

    def __len__(self) -> int:
        return len(self.by_key)


def _as_flow(source: FlowSource) -> tuple[dict[str, Any], str]:
    """(Flow language dict, name) of a flow source; RunnerError when it cannot be loaded."""
    if isinstance(source, FlowDocument):
        if source.content is None:
            raise RunnerError(f"{source.label}: {source.error}")
        return source.content, source.name
    if isinstance(source, dict):
        meta = source.get("Metadata") if isinstance(source.get("Metadata"), dict) else {}
        return source, str(meta.get("name") or "flow")
    try:
        doc = load(source)
    except SourceError as exc:
        raise RunnerError(str(exc)) from None
    return _as_flow(doc)


def _display_name(flow: dict[str, Any], ident: str, parameter: str) -> str | None:
    """The name the flow designer shows for a block's flow/module/hours/queue reference, if it recorded one."""
    meta = ((flow.get("Metadata") or {}).get("ActionMetadata") or {}).get(ident) or {}
    param = ((meta.get("parameters") or {}).get(parameter)) or {}
    if isinstance(param, dict) and isinstance(param.get("displayName"), str):
        return param["displayName"]
    for key in ("ContactFlow", "flowModule", "FlowModule", "Hours", "hoursOfOperation", "queue"):
        value = meta.get(key)
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return value["text"]
    return None


# --------------------------------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------------------------------
class _Stop(Exception):
    """The run is over (terminal or not); raised from deep inside nested flows."""


class _Run:
    def __init__(
        self,
        contact: Contact,
        invoker: Invoker,
        library: FlowLibrary,
        scenario: Scenario,
        max_steps: int,
        clock: Callable[[], float],
        on_step: Callable[[Step], None] | None,
    ) -> None:
        self.contact = contact
        self.invoker = invoker
        self.library = library
        self.scenario = scenario
        self.max_steps = max_steps
        self.clock = clock
        self.on_step = on_step
        self.result = RunResult(attributes=dict(contact.attributes), event_hooks=dict(contact.event_hooks))
        self.loops: dict[tuple[int, str], int] = {}
        self.working_queue: str | None = contact.queue
        self.inputs = deque(scenario.inputs)
        self.intents = deque(scenario.intents)
        self.events = list(scenario.events)
        self.lex: dict[str, Any] = {}
        self.stored_input: str | None = None
        self.flow_attributes: dict[str, str] = {}
        self.customer: dict[str, str] = {}
        # the block being executed
        self._notes: list[str] = []
        self._call: LambdaCall | None = None
        self._flow: dict[str, Any] = {}
        self._flow_name = ""
        self._depth = 0
        self._recorded = False
        self._seen: dict[str, int] = {}

    # ---- data ----------------------------------------------------------------------------------
    def namespace(self) -> dict[str, Any]:
        c = self.contact
        metrics = {**METRIC_DEFAULTS, **self.scenario.metrics}
        return {
            "Attributes": self.result.attributes,
            "External": self.result.external,
            "Lex": self.lex,
            "StoredCustomerInput": self.stored_input,
            "FlowAttributes": self.flow_attributes,
            "Customer": self.customer,
            "Metrics": {"Queue": metrics},
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
            "SegmentAttributes": c.segment_attributes,
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

    def interpolate(self, text: Any) -> str:
        """A text that may embed JSONPath references (``"Hi $.Attributes.name"``); unset ones become empty."""
        if not isinstance(text, str):
            return "" if text is None else str(text)
        if text.startswith("$.") and _EMBEDDED_PATH.fullmatch(text):
            value = self.resolve(text)
            return "" if value is MISSING else str(value)
        return _EMBEDDED_PATH.sub(lambda m: "" if (v := self.resolve(m.group(0))) is MISSING else str(v), text)

    def event(self, parameters: dict[str, str]) -> dict[str, Any]:
        c = self.contact
        data: dict[str, Any] = {
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
        }
        if c.segment_attributes is not None:
            data["SegmentAttributes"] = c.segment_attributes
        return {"Name": "ContactFlowEvent", "Details": {"ContactData": data, "Parameters": parameters}}

    # ---- main loop -----------------------------------------------------------------------------
    def note(self, text: str) -> None:
        self._notes.append(text)

    def finish(self, terminal: str | None, outcome: str) -> NoReturn:
        self.result.terminal = terminal
        self.result.outcome = outcome
        raise _Stop

    def record(self, action: dict[str, Any], branch: str) -> None:
        step = Step(
            index=len(self.result.steps),
            identifier=str(action.get("Identifier")),
            type=str(action.get("Type")),
            branch=branch,
            flow=self._flow_name,
            depth=self._depth,
            notes=tuple(self._notes),
            lambda_call=self._call,
        )
        self._notes, self._call = [], None
        self._recorded = True
        self.result.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    def run_flow(self, flow: dict[str, Any], name: str, depth: int) -> bool:
        """Run ``flow``; True when it returned (EndFlowModuleExecution), else the run is over (raises _Stop)."""
        saved = (self._flow, self._flow_name, self._depth)
        self._flow, self._flow_name, self._depth = flow, name, depth
        try:
            actions = {a.get("Identifier"): a for a in flow.get("Actions") or [] if isinstance(a, dict)}
            current: str | None = flow.get("StartAction")
            while True:
                if len(self.result.steps) >= self.max_steps:
                    self.finish(None, f"step limit of {self.max_steps} reached at {current}")
                action = actions.get(current)
                if action is None:
                    self.finish(None, f"stuck: action {current!r} does not exist")
                self.check_cycle(str(current))
                branch, target = self.step(action)
                if branch == "end":
                    return target == "returned"
                if target is None:
                    self.finish(None, f"stuck at {action['Identifier']}: no {branch} transition")
                current = target
        finally:
            self._flow, self._flow_name, self._depth = saved

    def check_cycle(self, current: str) -> None:
        """Stop when the run is back at a block in exactly the state it had there before: with nothing scripted
        to change, it would go round for ever."""
        state = json.dumps(
            [
                id(self._flow),
                current,
                self.result.attributes,
                self.result.external,
                self.lex,
                self.stored_input,
                self.flow_attributes,
                sorted((str(k), v) for k, v in self.loops.items()),
                self.working_queue,
                self.result.event_hooks,
                len(self.inputs),
                len(self.intents),
                len(self.events),
            ],
            sort_keys=True,
            default=str,
        )
        seen = self._seen.get(state)
        if seen is not None:
            self.finish(
                None,
                f"loops for ever: back at block {current} (step {len(self.result.steps) + 1}) in the state of step "
                f"{seen + 1}; script the customer or a branch (--choose BLOCK=BRANCH) to leave the loop",
            )
        self._seen[state] = len(self.result.steps)

    def step(self, action: dict[str, Any]) -> tuple[str, str | None]:
        """Execute one action and record it; return (branch taken, next identifier). Branch ``end`` stops the
        flow (target ``"returned"`` for a module's return)."""
        typ = str(action.get("Type"))
        ident = str(action.get("Identifier"))
        params = action.get("Parameters") if isinstance(action.get("Parameters"), dict) else {}
        forced = self.scenario.choices.get(ident)
        if forced is not None:
            self.note(f"branch {forced} chosen by the scenario")
            branch, target = self.follow(action, forced)
            if target is None:
                self.finish(None, f"stuck at {ident}: the scenario chose {forced!r}, which the block does not have")
            self.record(action, branch)
            return branch, target
        handler = getattr(self, "do_" + typ, None)
        if handler is None and typ in SETTING_ACTIONS:
            handler = self.do_setting
        if handler is None:
            self.record(action, "not emulated")
            self.finish(None, f"cannot emulate action type {typ} (block {ident})")
        self._recorded = False
        supported = docs.CHANNELS.get(typ)
        if supported is not None and self.contact.channel not in supported:
            self.note(f"{typ} does not work on {self.contact.channel} contacts: error branch")
            branch, target = self.error_or_end(action, f"{typ} does not work on {self.contact.channel} contacts")
        else:
            branch, target = handler(action, params)
        if not self._recorded:
            self.record(action, branch)
        return branch, target

    # ---- transitions ---------------------------------------------------------------------------
    @staticmethod
    def follow(action: dict[str, Any], branch: str) -> tuple[str, str | None]:
        """Target of ``branch``: ``Success`` (NextAction), an ErrorType, a condition operand or label."""
        t = action.get("Transitions") if isinstance(action.get("Transitions"), dict) else {}
        if branch == "Success":
            return branch, t.get("NextAction") or None
        for err in t.get("Errors") or []:
            if err.get("ErrorType") == branch:
                return branch, err.get("NextAction")
        for cond in t.get("Conditions") or []:
            c = cond.get("Condition") or {}
            label = f"{c.get('Operator')} {' '.join(str(o) for o in c.get('Operands') or [])}"
            if c.get("Operands") == [branch] or label == branch:
                return (branch if action.get("Type") == "Loop" else label), cond.get("NextAction")
        return branch, None

    def error(self, action: dict[str, Any], *candidates: str) -> tuple[str, str | None]:
        """The first of ``candidates`` the block has as an error branch (else the last candidate, unmatched)."""
        have = {e.get("ErrorType") for e in (action.get("Transitions") or {}).get("Errors") or []}
        for name in candidates:
            if name in have:
                return self.follow(action, name)
        return candidates[-1], None

    def error_or_end(self, action: dict[str, Any], why: str) -> tuple[str, str | None]:
        """NoMatchingError if the block has it, else the flow stops here (the contact is ended)."""
        branch, target = self.error(action, "NoMatchingError")
        if target is not None:
            return branch, target
        self.note(f"{why}; no error branch, so the flow stops")
        self.record(action, "end")
        self.finish("ended", f"ended at {action['Identifier']}: {why}")

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

    def match(self, action: dict[str, Any], value: Any) -> tuple[str, str | None] | None:
        """The first condition ``value`` satisfies: (label, target), or None. Conditions are evaluated in order
        (flow-language-actions, "The Condition object")."""
        if value is MISSING or value is None:
            return None
        for cond in (action.get("Transitions") or {}).get("Conditions") or []:
            c = cond.get("Condition") or {}
            op = self._OPERATORS.get(str(c.get("Operator")))
            operand = str((c.get("Operands") or [""])[0])
            if op is None:
                self.note(f"operator {c.get('Operator')} is not emulated: condition skipped")
                continue
            try:
                matched = op(str(value), operand)
            except ValueError:
                matched = False
            if matched:
                return f"{c['Operator']} {operand}", cond.get("NextAction")
        return None

    def conditional(
        self, action: dict[str, Any], value: Any, otherwise: str = "NoMatchingCondition"
    ) -> tuple[str, str | None]:
        """The first condition ``value`` meets; else the ``otherwise`` error branch, else NoMatchingError, else the
        NextAction (the designer writes the no-match target there too)."""
        found = self.match(action, value)
        if found is not None:
            return found
        branch, target = self.error(action, otherwise, "NoMatchingError")
        if target is None and (action.get("Transitions") or {}).get("NextAction"):
            return self.follow(action, "Success")
        return branch, target

    # ---- flow control --------------------------------------------------------------------------
    def do_Loop(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        key = (id(self._flow), action["Identifier"])
        raw = self.resolve(p.get("LoopCount", "0"))
        try:
            count = int(str(raw))
        except ValueError:
            self.note(f"LoopCount {p.get('LoopCount')!r} is not a number: 0")
            count = 0
        done = self.loops.get(key, 0)
        if done < count:
            self.loops[key] = done + 1
            self.note(f"iteration {done + 1} of {count}")
            return self.follow(action, "ContinueLooping")
        self.loops.pop(key, None)
        return self.follow(action, "DoneLooping")

    def do_Compare(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        value = self.resolve(p.get("ComparisonValue"))
        self.note(f"{p.get('ComparisonValue')} = {value!r}")
        return self.conditional(action, value)

    def do_DistributeByPercentage(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.note("no percentage scripted: the editor's default branch (NoMatchingCondition)")
        return self.error(action, "NoMatchingCondition")

    def do_CheckHoursOfOperation(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        hours_id = self.resolve(p.get("HoursOfOperationId")) if "HoursOfOperationId" in p else None
        if hours_id is None and not self.working_queue:
            self.note("no HoursOfOperationId and no working queue")
            return self.error(action, "NoMatchingError")
        hours = self.scenario.hours
        name = _display_name(self._flow, action["Identifier"], "HoursOfOperationId")
        if isinstance(hours, Mapping):
            ref = str(hours_id or "")
            keys = (ref, ref.rsplit("/", 1)[-1], name or "", "*")
            state = next((hours[k] for k in keys if k and k in hours), "open")
        else:
            state = hours
        self.note(f"hours {name or hours_id or 'of the working queue'}: {state}")
        return self.conditional(action, "True" if state == "open" else "False", "NoMatchingError")

    def do_CheckMetricData(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        metric = str(p.get("MetricType", ""))
        value = {**METRIC_DEFAULTS, **self.scenario.metrics}.get(metric, 0)
        self.note(f"{metric} = {value:g}")
        return self.conditional(action, f"{value:g}")

    def do_GetMetricData(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.note("queue metrics loaded into $.Metrics")
        return self.follow(action, "Success")

    def do_Wait(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        listed = p.get("Events") or []
        event = next((e for e in self.events if e in listed), None)
        if event is not None:
            self.events.remove(event)
            self.note(f"interrupted by {event}")
        else:
            seconds = p.get("TimeoutSeconds", p.get("TimeLimitSeconds"))
            self.note(f"waited {seconds} s: WaitCompleted")
            event = "WaitCompleted"
        return self.conditional(action, event, "NoMatchingError")

    def do_TransferToFlow(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        ref = self.resolve(p.get("ContactFlowId"))
        if ref is MISSING:
            self.note(f"ContactFlowId {p.get('ContactFlowId')} is not set")
            return self.error(action, "NoMatchingError")
        name = _display_name(self._flow, action["Identifier"], "ContactFlowId")
        source = self.library.find(ref, name)
        if source is None:
            self.note(f"flow {name or ref} not loaded (--flows DIR follows it)")
            self.record(action, "end")
            self.finish("transferred to flow", f"transferred to flow {name or ref}")
        flow, flow_name = _as_flow(source)
        self.note(f"-> {flow_name} (does not return)")
        self.record(action, "Success")
        if self.run_flow(flow, flow_name, self._depth + 1):
            self.finish("ended", f"ended: {flow_name}, reached by TransferToFlow, returned")

    def do_InvokeFlowModule(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        ref = self.resolve(p.get("FlowModuleId"))
        name = _display_name(self._flow, action["Identifier"], "FlowModuleId")
        source = None if ref is MISSING else self.library.find(ref, name)
        if source is None:
            self.note(f"module {name or ref!r} not in the flows mapping")
            return self.error(action, "NoMatchingError")
        flow, flow_name = _as_flow(source)
        self.note(f"module {flow_name}")
        self.record(action, "Success")
        self.run_flow(flow, flow_name, self._depth + 1)  # returns only through EndFlowModuleExecution
        _branch, target = self.follow(action, "Success")
        if target is None:
            self.finish(None, f"stuck at {action['Identifier']}: no Success transition after the module returned")
        return "Success", target

    def do_EndFlowModuleExecution(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        return "end", "returned"

    def do_EndFlowExecution(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.record(action, "end")
        self.finish("ended", "ended")

    # ---- contact actions -----------------------------------------------------------------------
    def do_UpdateFlowLoggingBehavior(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.result.flow_logging = p.get("FlowLoggingBehavior") == "Enabled"
        return self.follow(action, "Success")

    def do_UpdateContactRecordingBehavior(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.result.recording.append(p)
        return self.follow(action, "Success")

    do_UpdateContactRecordingAndAnalyticsBehavior = do_UpdateContactRecordingBehavior

    def do_setting(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.result.settings.append((str(action.get("Type")), p))
        if action.get("Type") == "UpdateContactCallbackNumber":
            number = self.resolve(p.get("CallbackNumber"))
            if number is MISSING or not _E164.match(str(number)):
                self.note(f"callback number {p.get('CallbackNumber')} = {number!r} is not E.164")
                return self.error(action, "InvalidCallbackNumber", "NoMatchingError")
        self.note("recorded; Success")
        return self.follow(action, "Success")

    def do_UpdateFlowAttributes(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        for key, spec in (p.get("FlowAttributes") or {}).items():
            value = self.resolve(spec.get("Value") if isinstance(spec, dict) else spec)
            if value is MISSING:
                self.note(f"{key}: not set -> error")
                return self.error(action, "NoMatchingError")
            self.flow_attributes[key] = str(value)
        self.note("flow attributes " + ", ".join(self.flow_attributes))
        return self.follow(action, "Success")

    def do_UpdateContactEventHooks(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        hooks = p.get("EventHooks") or {}
        for event, ref in hooks.items():
            value = self.resolve(ref)
            if value is MISSING:
                self.note(f"{event}: {ref} is not set")
                return self.error(action, "NoMatchingError")
            self.result.event_hooks[event] = str(value)
            self.contact.event_hooks[event] = str(value)
            self.note(f"{event} -> {_display_name(self._flow, action['Identifier'], event) or value}")
        return self.follow(action, "Success")

    def do_UpdateContactAttributes(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        updates: dict[str, str] = {}
        for key, raw in (p.get("Attributes") or {}).items():
            value = self.resolve(raw)
            if value is MISSING:
                self.note(f"{key}: {raw} is not set -> error, no attribute updated")
                return self.follow(action, "NoMatchingError")
            updates[key] = json.dumps(value) if isinstance(value, dict | list) else str(value)
        self.result.attributes.update(updates)
        self.note("set " + ", ".join(f"{k}={v}" for k, v in updates.items()))
        return self.follow(action, "Success")

    def do_InvokeLambdaFunction(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        arn = str(self.resolve(p.get("LambdaFunctionARN")))
        try:
            limit = float(p.get("InvocationTimeLimitSeconds", "3"))
        except (TypeError, ValueError):
            limit = 3.0
        json_response = (p.get("ResponseValidation") or {}).get("ResponseType") == "JSON"
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
        except (RunnerError, UnknownHandlerError):
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        elapsed = self.clock() - started
        if error is None:
            if elapsed > limit:
                error = f"timeout: {elapsed:.3f} s > {limit:g} s"
            elif json_response and not isinstance(response, dict):
                error = f"response is not a JSON object: {json.dumps(response, default=str)[:200]}"
            elif not json_response and not (
                isinstance(response, dict)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in response.items())
            ):
                error = f"response is not a STRING_MAP: {json.dumps(response, default=str)[:200]}"
            elif len(json.dumps(response).encode("utf-8")) > MAX_RESPONSE_BYTES:
                error = "response larger than 32 KB"
        name = function_name(arn)
        self._call = LambdaCall(arn, params, None if error else response, error, round(elapsed * 1000, 3))
        self.result.lambda_calls.append(self._call)
        if error:
            self.result.external = {}
            self.note(f"{name}({params}) failed: {error}")
            return self.follow(action, "NoMatchingError")
        self.result.external = dict(response)
        self.note(f"{name}({params}) -> {response}")
        return self.follow(action, "Success")

    def _target(self, action: dict[str, Any], p: dict[str, Any]) -> str | None:
        """The queue (or ``agent:<id>``) a QueueId/AgentId parameter names; None (noted) when it names none."""
        key = "AgentId" if "AgentId" in p else "QueueId"
        raw = p.get(key)
        value = self.resolve(raw)
        dynamic = isinstance(raw, str) and raw.startswith("$.")
        if value is MISSING or not str(value):
            self.note(f"{key} {raw} is not set")
            return None
        text = str(value)
        if key == "AgentId":
            return f"agent:{text}"
        if dynamic and not (_QUEUE_ARN.match(text) or _UUID.match(text)):
            self.note(f"QueueId {raw} = {text!r} is not a queue")
            return None
        return text

    def do_UpdateContactTargetQueue(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        target = self._target(action, p)
        if target is None:
            return self.follow(action, "NoMatchingError")
        self.working_queue = target
        self.note(f"working queue {self.working_queue}")
        return self.follow(action, "Success")

    def _queue(self, action: dict[str, Any], target: str | None) -> tuple[str, str | None]:
        if not target:
            self.note("no working queue")
            return self.follow(action, "NoMatchingError")
        if target in self.scenario.queues_at_capacity:
            self.note(f"{target} at capacity")
            return self.follow(action, "QueueAtCapacity")
        self.working_queue = target
        self.result.queue = target
        self.record(action, "end")
        self.finish("queued", f"queued to {target}")

    def do_TransferContactToQueue(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        return self._queue(action, self.working_queue)

    def do_DequeueContactAndTransferToQueue(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        target = self._target(action, p) if ("QueueId" in p or "AgentId" in p) else self.working_queue
        return self._queue(action, target)

    def do_TransferContactToAgent(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.record(action, "end")
        self.finish("transferred to agent", "transferred to agent")

    # ---- participant actions -------------------------------------------------------------------
    def _say(self, p: dict[str, Any]) -> None:
        for key in ("Text", "SSML"):
            if key in p:
                self.result.messages.append(self.interpolate(p[key]))
                return
        if "PromptId" in p:
            self.note(f"prompt {p['PromptId']}")

    def do_MessageParticipant(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self._say(p)
        return self.follow(action, "Success")

    def do_MessageParticipantIteratively(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        for message in p.get("Messages") or []:
            if isinstance(message, dict):
                self._say(message)
        found = self.follow(action, "MessagesInterrupted")
        if found[1] is not None:
            self.note(f"interrupted after {p.get('InterruptFrequencySeconds')} s")
            return found
        self.record(action, "end")
        self.finish("ended", "ended: the messages loop until the contact leaves the queue or hold")

    def do_GetParticipantInput(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self._say(p)
        store = str(p.get("StoreInput")) == "True"
        if not self.inputs:
            self.note(f"no input within {p.get('InputTimeLimitSeconds')} s")
            if store:  # Store customer input: "the contact takes the Success branch" with the value Timeout
                self.stored_input = "Timeout"
                return self.follow(action, "Success")
            return self.error(action, "InputTimeLimitExceeded", "NoMatchingError")
        entered = self.inputs.popleft()
        self.note(f"customer entered {entered!r}")
        if store:
            phone = ((p.get("InputValidation") or {}).get("PhoneNumberValidation")) or None
            if phone is not None and not _valid_phone(entered, phone):
                return self.error(action, "InvalidPhoneNumber", "NoMatchingError")
            self.stored_input = entered
            return self.follow(action, "Success")
        return self.conditional(action, entered)

    def do_ConnectParticipantWithLexBot(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self._say(p)
        if not self.intents:
            self.note("no intent scripted: NoMatchingCondition")
            self.lex = {}
            return self.error(action, "NoMatchingCondition", "NoMatchingError")
        intent = self.intents.popleft()
        self.lex = {"IntentName": intent, "Slots": {}, "SessionAttributes": dict(p.get("LexSessionAttributes") or {})}
        self.note(f"intent {intent}")
        return self.conditional(action, intent)

    def do_ShowView(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        view = (p.get("ViewResource") or {}).get("Id")
        self.note(f"view {view}: no answer scripted")
        return self.error(action, "TimeLimitExceeded", "NoMatchingCondition", "NoMatchingError")

    def do_CheckVoiceId(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.note("no Voice ID result scripted")
        return self.error(action, "NoMatchingCondition", "NoMatchingError")

    def do_CheckOutboundCallStatus(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        return self.conditional(action, "CallAnswered", "NoMatchingError")

    def do_TransferParticipantToThirdParty(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        number = self.interpolate(p.get("ThirdPartyPhoneNumber"))
        if str(p.get("ContinueFlowExecution", "True")) == "False":
            self.record(action, "end")
            self.finish("transferred to number", f"transferred to number {number}")
        self.note(f"called {number}; the third party hung up, the flow continues")
        return self.follow(action, "Success")

    def do_DisconnectParticipant(self, action: dict[str, Any], p: dict[str, Any]) -> tuple[str, str | None]:
        self.record(action, "end")
        self.finish("disconnected", "disconnected")


EMULATED_ACTIONS: frozenset[str] = frozenset(
    {name[3:] for name in dir(_Run) if name.startswith("do_") and name != "do_setting"} | SETTING_ACTIONS
)
"""Every action type the runner emulates."""


def _valid_phone(entered: str, rule: dict[str, Any]) -> bool:
    if rule.get("NumberFormat") == "E164":
        return bool(_E164.match(entered))
    return entered.isdigit() and 4 <= len(entered) <= 15


# --------------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------------
def _library(flows: Mapping[str, FlowSource] | FlowLibrary | Iterable[FlowDocument] | None) -> FlowLibrary:
    if flows is None:
        return FlowLibrary(DEFAULT_FLOWS)
    return flows if isinstance(flows, FlowLibrary) else FlowLibrary(flows)


def run(
    flow: FlowSource,
    contact: Contact | None = None,
    invoker: Invoker | None = None,
    *,
    flows: Mapping[str, FlowSource] | FlowLibrary | Iterable[FlowDocument] | None = None,
    scenario: Scenario | None = None,
    on_step: Callable[[Step], None] | None = None,
    queues_at_capacity: Iterable[str] = (),
    max_steps: int = DEFAULT_MAX_STEPS,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """Run ``contact`` through ``flow`` and report what happened.

    Parameters
    ----------
    flow : FlowSource
        A file in any form (``file#LogicalId`` for one resource of a template), a parsed dict, or a FlowDocument.
    contact : Contact, optional
        Defaults to a new chat contact started with StartChatContact (InitiationMethod API). It is not changed;
        ``RunResult.contact`` is the contact at the end.
    invoker : callable, optional
        ``invoke(function_arn, event, timeout_s) -> response``; defaults to
        :func:`localdev.flows.lambdas.local_handler_invoker` (the project's handlers in-process).
    flows : mapping, FlowLibrary or FlowDocuments, optional
        Flows InvokeFlowModule and TransferToFlow can reach (see :class:`FlowLibrary`); default
        :data:`DEFAULT_FLOWS` (the shipped Contact Lens module under its placeholder ARN).
    scenario : Scenario, optional
        What the customer does (defaults: see the module docstring).
    on_step : callable, optional
        Called with each :class:`Step` as soon as its block has run (before the next block runs).
    queues_at_capacity : iterable of str
        Added to ``scenario.queues_at_capacity``.
    max_steps : int
        Guard against infinite loops: at most this many blocks are run; the outcome then says so.
    clock : callable
        Seconds, used to time Lambda calls (inject a fake clock in tests).

    Returns
    -------
    RunResult

    Raises
    ------
    RunnerError
        The flow cannot be loaded, or a nested flow's Content is not valid JSON.
    UnknownHandlerError
        The invoker has no handler for a function (see :func:`local_handler_invoker`).
    """
    start = replace(contact) if contact is not None else Contact()
    start.attributes = dict(start.attributes)
    start.event_hooks = dict(start.event_hooks)
    scenario = scenario or Scenario()
    if queues_at_capacity:
        full = frozenset(scenario.queues_at_capacity) | set(queues_at_capacity)
        scenario = replace(scenario, queues_at_capacity=full)
    engine = _Run(
        start,
        invoker or local_handler_invoker(),
        _library(flows),
        scenario,
        max_steps,
        clock,
        on_step,
    )
    content, name = _as_flow(flow)
    try:
        if engine.run_flow(content, name, 0):
            engine.result.terminal, engine.result.outcome = "returned", "returned"
    except _Stop:
        pass
    start.queue = engine.working_queue
    start.attributes = dict(engine.result.attributes)
    engine.result.contact = start
    return engine.result


def run_hook(
    previous: RunResult,
    event: str,
    *,
    flows: Mapping[str, FlowSource] | FlowLibrary | Iterable[FlowDocument],
    contact: Contact | None = None,
    **kwargs: Any,
) -> RunResult:
    """Run the flow an event hook names for the contact a previous run left.

    Parameters
    ----------
    previous : RunResult
        The run that set the hook (``previous.event_hooks[event]``).
    event : str
        The hook, e.g. ``CustomerRemaining`` (the disconnect flow: the agent left, the chat goes on).
    flows : mapping or FlowLibrary
        Where the hook's flow is found (by ARN, id or name, see :class:`FlowLibrary`).
    contact : Contact, optional
        Defaults to ``previous.contact`` (same ContactId, attributes and working queue).
    **kwargs
        Passed to :func:`run` (``invoker``, ``scenario``, ``on_step``, ...).

    Raises
    ------
    RunnerError
        When the previous run set no such hook, or its flow is not in ``flows``.
    """
    ref = previous.event_hooks.get(event)
    if ref is None:
        raise RunnerError(f"no {event} event hook was set (hooks: {', '.join(previous.event_hooks) or 'none'})")
    library = _library(flows)
    source = library.find(ref)
    if source is None:
        raise RunnerError(f"{event} hook names flow {ref!r}, which is not in the flows given")
    return run(source, contact or previous.contact, flows=library, **kwargs)

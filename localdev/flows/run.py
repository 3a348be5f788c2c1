"""``python -m localdev.flows.run``: run one contact through a flow file, offline, and show the blocks it takes.

::

    python -m localdev.flows.run contact_flows/inbound-chat-flow.json
    python -m localdev.flows.run my-export.json --input 1 --intent CheckBalance --hours closed
    python -m localdev.flows.run stack.yaml#InboundFlow --flows exported/ --lambda Lookup='{"tier":"gold"}'
    python -m localdev.flows.run contact_flows/inbound-chat-flow.json --standins      # the real handlers
    python -m localdev.flows.run FLOW --json

FLOW is a file in any form :mod:`localdev.flows.sources` reads (plain Flow language, the ``ContactFlow`` wrapper,
a CloudFormation template as ``template.yaml#LogicalId``). Lambdas answer ``{}`` unless ``--lambda`` says
otherwise; with ``--standins`` this project's own functions run for real against the local Salesforce and AWS
stand-ins (:mod:`localdev.standins`). What the customer does is scripted (``--input``, ``--intent``, ``--event``);
anything not scripted takes the block's default branch (see :mod:`localdev.flows.runner`).

Exit status: 0 when the contact reaches a terminal state (disconnected, queued, transferred, flow ended), 1 when
the run stops short (stuck, a loop, the step limit, an action the runner cannot emulate), 2 for bad options or an
unreadable flow.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from localdev.flows.lambdas import LambdaError, StubInvoker, local_handler_invoker
from localdev.flows.model import CHANNELS, FLOW_TYPES
from localdev.flows.placeholders import replace_values
from localdev.flows.runner import (
    DEFAULT_FLOWS,
    Contact,
    FlowLibrary,
    RunnerError,
    RunResult,
    Scenario,
    Step,
    run,
)
from localdev.flows.sources import FlowDocument, SourceError, load, read_paths


def _pair(text: str, what: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{what} must be NAME=VALUE, got {text!r}")
    return key, value


def _lambda(text: str) -> tuple[str, Any]:
    name, value = _pair(text, "--lambda")
    if value == "error":
        return name, LambdaError(f"{name} failed (--lambda {name}=error)")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"--lambda {name}: not JSON and not 'error': {exc.msg}") from None


def _metric(text: str) -> tuple[str, float]:
    name, value = _pair(text, "--metric")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--metric {name}: {value!r} is not a number") from None


def _hours(text: str) -> tuple[str, str]:
    name, sep, state = text.rpartition("=")
    name, state = (name, state) if sep else ("*", text)
    if state not in ("open", "closed"):
        raise argparse.ArgumentTypeError(f"--hours must be open, closed or HOURS=open|closed, got {text!r}")
    return name, state


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m localdev.flows.run",
        description="Run one simulated contact through an Amazon Connect flow and print the blocks it takes.",
        epilog="Exit status: 0 terminal state reached, 1 run stopped short, 2 usage or unreadable flow.",
    )
    p.add_argument("flow", metavar="FLOW", help="flow file (JSON export, ContactFlow wrapper, or template.yaml#Id)")
    p.add_argument(
        "--flows",
        metavar="DIR",
        action="append",
        default=[],
        help="files/directories of flows and modules that TransferToFlow, InvokeFlowModule and event hooks reach",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--type",
        choices=FLOW_TYPES,
        metavar="TYPE",
        help=f"flow type when the file does not say: {', '.join(FLOW_TYPES)}",
    )
    p.add_argument("--channel", choices=CHANNELS, default="CHAT", help="the contact's channel (default CHAT)")
    p.add_argument(
        "--queue", metavar="QUEUE", help="the contact's working queue at the start (a transfer or disconnect flow)"
    )
    repeatable = [
        ("--lambda", "lambdas", "NAME=JSON|NAME=error", _lambda, "what function NAME (name or ARN) answers; others {}"),
        ("--input", "inputs", "TEXT", str, "what the customer enters at the next GetParticipantInput"),
        ("--intent", "intents", "NAME", str, "the intent of the next Lex interaction"),
        ("--event", "events", "NAME", str, "an event that interrupts a Wait (CustomerReturned)"),
        ("--hours", "hours", "open|closed|HOURS=open|closed", _hours, "hours of operation (default open)"),
        ("--metric", "metric", "NAME=VALUE", _metric, "a queue metric (CheckMetricData MetricType)"),
        ("--attribute", "attribute", "K=V", lambda t: _pair(t, "--attribute"), "a contact attribute at the start"),
        ("--choose", "choose", "BLOCK=BRANCH", lambda t: _pair(t, "--choose"),
         "force a block's branch (Success, an error type, a condition operand)"),
        ("--queue-at-capacity", "queue_at_capacity", "QUEUE", str, "a queue that is at capacity"),
    ]  # fmt: skip
    for flag, dest, metavar, kind, help_text in repeatable:
        p.add_argument(flag, dest=dest, metavar=metavar, type=kind, action="append", default=[], help=help_text)
    p.add_argument(
        "--standins", action="store_true", help="run this project's functions for real against the local stand-ins"
    )
    p.add_argument("--max-steps", type=int, default=1000, metavar="N", help="stop after N blocks (default 1000)")
    return p


def scenario_from(args: argparse.Namespace) -> Scenario:
    """The :class:`Scenario` the options describe."""
    hours = dict(args.hours)
    return Scenario(
        inputs=tuple(args.inputs),
        intents=tuple(args.intents),
        events=tuple(args.events),
        hours=hours if set(hours) - {"*"} else hours.get("*", "open"),
        metrics=dict(args.metric),
        choices=dict(args.choose),
        queues_at_capacity=frozenset(args.queue_at_capacity),
    )


@contextlib.contextmanager
def _standins_wiring(enabled: bool) -> Iterator[tuple[dict[str, str], str | None]]:
    """With ``--standins``: start the stand-ins, set the handlers' environment, and yield the values that replace
    the shipped flows' placeholders (channel address identifier, fallback queues) and the stand-in instance ARN."""
    if not enabled:
        yield {}, None
        return
    from localdev.demo import placeholder_values
    from localdev.standins import Standins

    with Standins.start() as standins, standins.environment():
        yield placeholder_values(standins), standins.instance_arn


def _wired(doc: FlowDocument, values: dict[str, str]) -> FlowDocument:
    """``doc`` with the shipped flows' placeholders replaced by the stand-ins' values."""
    if not values or doc.content is None:
        return doc
    text = replace_values(doc.text, values)
    return dataclasses.replace(doc, text=text, content=json.loads(text))


def format_step(step: Step) -> str:
    """One block as the text output prints it (notes on the following lines)."""
    indent = "  " * step.depth
    lines = [f"{step.index + 1:3d}. {indent}{step.identifier:<36} {step.type:<32} -> {step.branch}"]
    lines += [f"       {indent}{note}" for note in step.notes]
    return "\n".join(lines)


def summary(result: RunResult) -> list[str]:
    """The lines after the blocks: outcome, queue, messages, attributes."""
    lines = [f"outcome: {result.outcome}" + ("" if result.terminal else "   [not a terminal state]")]
    if result.queue:
        lines.append(f"queue: {result.queue}")
    if result.event_hooks:
        lines.append("event hooks: " + json.dumps(result.event_hooks, sort_keys=True))
    if result.messages:
        lines.append("messages: " + " | ".join(result.messages))
    lines.append("attributes: " + json.dumps(result.attributes, sort_keys=True))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status (0 terminal, 1 stopped short, 2 usage or unreadable)."""
    args = parser().parse_args(argv)
    if args.max_steps < 1:
        print("--max-steps must be at least 1", file=sys.stderr)
        return 2
    try:
        doc = load(args.flow, flow_type=args.type)
    except SourceError as exc:
        print(exc, file=sys.stderr)
        return 2
    library_docs, errors = read_paths(args.flows)
    for error in errors:
        print(f"--flows: {error}", file=sys.stderr)
    if errors:
        return 2
    contact = Contact(channel=args.channel, attributes=dict(args.attribute), queue=args.queue)
    if not args.json:
        print(f"flow: {doc.label} ({doc.name}; {doc.flow_type} from {doc.type_source}), {args.channel} contact")
    on_step = None if args.json else (lambda step: print(format_step(step), flush=True))
    try:
        with _standins_wiring(args.standins) as (values, instance_arn):
            if instance_arn:
                contact.instance_arn = instance_arn
            defaults = {ref: _wired(load(path), values) for ref, path in DEFAULT_FLOWS.items()}
            library = FlowLibrary([_wired(d, values) for d in library_docs if d.content is not None])
            library.by_key.update({k: v for k, v in defaults.items() if k not in library.by_key})
            invoker = StubInvoker(dict(args.lambdas), real=local_handler_invoker() if args.standins else None)
            result = run(
                _wired(doc, values),
                contact,
                invoker,
                flows=library,
                scenario=scenario_from(args),
                on_step=on_step,
                max_steps=args.max_steps,
            )
    except RunnerError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.json:
        head = {"flow": doc.label, "name": doc.name, "type": doc.flow_type, "type_source": doc.type_source}
        print(json.dumps(head | {"channel": args.channel} | result.to_json(), indent=2, default=str))
    else:
        print("\n".join(summary(result)))
    return 0 if result.terminal else 1


if __name__ == "__main__":
    raise SystemExit(main())

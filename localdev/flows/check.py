"""``python -m localdev.flows.check``: a linter for Amazon Connect flows, in every form they come in.

::

    python -m localdev.flows.check                          # contact_flows/ (the flows and the nested template)
    python -m localdev.flows.check my-export.json flows/ stack.yaml
    python -m localdev.flows.check --format json --type AGENT_WHISPER whisper.json
    python -m localdev.flows.check --channel CHAT inbound.json
    python -m localdev.flows.check --rules                  # the rules, their severity and sources

Reads plain Flow language, the ``ContactFlow`` wrapper and CloudFormation templates (every
``AWS::Connect::ContactFlow`` / ``ContactFlowModule``, named ``<file>#<LogicalId>``), and directories of them
(:mod:`localdev.flows.sources`); applies :data:`localdev.flows.rules.RULES`.

Output: one line per finding, ``<file>: <action>: <severity>: <rule>: <message>`` (``-`` as the action for the
whole flow), or with ``--format json`` a list of ``{"file", "action", "severity", "rule", "message"}``. A summary
goes to stderr. Exit status: 0 no errors (warnings allowed), 1 any error, 2 usage or an unreadable path.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from localdev.flows.model import CHANNELS, FLOW_TYPES, FLOWS_DIR
from localdev.flows.rules import READ_RULES, RULES, STRUCTURE_RULES, FlowContext, describe, dumps_rules
from localdev.flows.sources import FlowDocument, SourceError, read_paths, read_text

SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Finding:
    """One finding; ``str()`` is the text line ``<file>: <action>: <severity>: <rule>: <message>``."""

    file: str
    action: str
    severity: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.action}: {self.severity}: {self.rule}: {self.message}"


Problem = Finding
"""Former name, kept for callers that have not moved yet."""


def check_flow(doc: FlowDocument, *, channel: str | None = None, requested_type: str | None = None) -> list[Finding]:
    """Every finding of one flow.

    Parameters
    ----------
    doc : FlowDocument
        From :func:`localdev.flows.sources.read_path` (or ``read_text``).
    channel : str, optional
        ``VOICE``, ``CHAT``, ``TASK`` or ``EMAIL``: also apply the channel rule.
    requested_type : str, optional
        The caller's ``--type``, reported when the file declares another.
    """
    if doc.content is None:
        rule = READ_RULES["unevaluated" if doc.unevaluated else "json"]
        return [Finding(doc.label, "-", rule.severity, rule.id, str(doc.error))]
    flow = doc.content
    ctx = FlowContext(doc, flow, doc.flow_type, doc.type_source, channel, requested_type)
    raw = flow.get("Actions") if isinstance(flow.get("Actions"), list) else []
    for a in raw:
        if isinstance(a, dict) and isinstance(a.get("Identifier"), str) and a["Identifier"]:
            ctx.by_id.setdefault(a["Identifier"], a)
            if isinstance(a.get("Type"), str) and a["Type"]:
                ctx.actions.append(a)
    applicable = RULES if isinstance(flow.get("Actions"), list) else [r for r in RULES if r.id in STRUCTURE_RULES]
    return [Finding(doc.label, where, r.severity, r.id, msg) for r in applicable for where, msg in r.check(ctx)]


def check_text(label: str, text: str, *, flow_type: str | None = None, channel: str | None = None) -> list[Finding]:
    """Check one file's text (any form); ``label`` names it in the findings.

    Raises
    ------
    SourceError
        When the text is not a flow in any supported form.
    """
    return [f for doc in read_text(text, label, flow_type=flow_type) for f in check_flow(doc, channel=channel)]


def check_paths(
    paths: Iterable[str | Path], *, flow_type: str | None = None, channel: str | None = None
) -> tuple[list[FlowDocument], list[Finding], list[SourceError]]:
    """Read and check files and directories: (flows read, findings, unreadable paths)."""
    docs, errors = read_paths(paths, flow_type=flow_type)
    findings = [f for doc in docs for f in check_flow(doc, channel=channel, requested_type=flow_type)]
    return docs, findings, errors


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m localdev.flows.check",
        description=(
            "Check Amazon Connect flows: plain exports, ContactFlow wrappers, CloudFormation templates, or "
            "directories of them (default: contact_flows/)."
        ),
        epilog="Exit status: 0 no errors (warnings allowed), 1 any error, 2 usage or an unreadable path.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: contact_flows/)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.add_argument(
        "--type",
        choices=FLOW_TYPES,
        metavar="TYPE",
        help=f"flow type for files that do not declare one: {', '.join(FLOW_TYPES)}",
    )
    p.add_argument("--channel", choices=CHANNELS, help="also check that every block works on this channel")
    p.add_argument("--rules", action="store_true", help="print the rules, their severity and sources, and exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status (0 no errors, 1 errors, 2 usage or unreadable)."""
    args = parser().parse_args(argv)
    if args.rules:
        print(dumps_rules() if args.format == "json" else describe())
        return 0
    paths = args.paths or [FLOWS_DIR]
    docs, findings, errors = check_paths(paths, flow_type=args.type, channel=args.channel)
    if args.format == "json":
        print(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        for f in findings:
            print(f)
    for error in errors:
        print(error, file=sys.stderr)
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    files = len({d.path for d in docs})
    print(
        f"{len(docs)} flow(s) in {files} file(s): {counts['error']} error(s), {counts['warning']} warning(s)"
        + (f", {len(errors)} unreadable path(s)" if errors else ""),
        file=sys.stderr,
    )
    if errors:
        return 2
    return 1 if counts["error"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

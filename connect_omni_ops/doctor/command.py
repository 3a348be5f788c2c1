"""The ``doctor`` subcommand of ``connect-omni``: options, output and exit status.

Exit status: 0 when no check failed (skipped checks are not findings), 1 when one did, 2 for usage errors.
The table (or ``--json``) goes to stdout; progress lines and, with ``--verbose``, the runtime's own log lines go to
stderr. Nothing printed carries a token, a key or a secret value.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

from connect_omni_ops.doctor.context import Context
from connect_omni_ops.doctor.deployment import Deployment, from_environment, from_stack
from connect_omni_ops.doctor.report import MARKS_TEXT, render_table
from connect_omni_ops.doctor.runner import CHECKS, run_checks

DESCRIPTION = """\
Check a connect-omni deployment link by link: the Salesforce secret, the JWT bearer grant, the org, the
Interaction Service headers, CallCenterRoutingMap and its Connect queues, the Lambda associations and
timeouts, the published contact flows, chat transcript storage, the EventBridge rule and the DLQ.
Nothing is created or changed anywhere.

Reads the variables the functions read (SALESFORCE_*, CALL_CENTER_ID, CONNECT_INSTANCE_ARN,
CHAT_TRANSCRIPTS_*) from the environment, or, with --stack, from the deployed stack: its outputs and
resources, and its functions' environment. Checks that need what was not given (the functions, without
--stack) are reported as skipped, never as failed."""

EPILOG = (
    "checks, in order:\n"
    + "\n".join(f"  {c.name:<21} {c.summary}" for c in CHECKS)
    + """

exit status: 0 no check failed, 1 a check failed, 2 usage error.

examples:
  connect-omni doctor --stack connect-omni --region eu-west-2
  connect-omni doctor --json | jq '.checks[] | select(.ok == false)'
  python -m localdev.doctor_demo --break lambda-timeout      # on the local stand-ins"""
)


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    """Register ``doctor`` on an ``add_subparsers()`` object; returns its parser (``func`` set to :func:`run`)."""
    parser = subcommands.add_parser(
        "doctor",
        help="check a deployment and say how to fix what is wrong",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", metavar="NAME", help="the deployed stack to check (CloudFormation DescribeStacks)")
    parser.add_argument("--region", help="AWS region of the stack (default: AWS_REGION / your profile's)")
    parser.add_argument("--json", action="store_true", help='print {"ok", "target", "checks": [...]}, not a table')
    parser.add_argument(
        "--timeout", type=float, default=20.0, metavar="SECONDS", help="time allowed to each check (default 20)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print the runtime's log lines on stderr")
    parser.set_defaults(func=run, parser=parser)
    return parser


@contextlib.contextmanager
def _runtime_output(verbose: bool) -> Iterator[None]:
    """The functions' Powertools logger writes JSON to stdout: send it to stderr, and only with ``--verbose``.

    Restores the logger's level and streams afterwards (the doctor may run inside another program's process), and
    drops the metrics the adapters counted (``TokenGrants``...): the doctor publishes none.
    """
    from connect_omni.observability import logger, metrics

    handlers = [h for h in logging.getLogger(logger.name).handlers if isinstance(h, logging.StreamHandler)]
    streams = [h.stream for h in handlers]
    level = logger.log_level
    for handler in handlers:
        handler.setStream(sys.stderr)
    logger.setLevel("INFO" if verbose else "CRITICAL")
    try:
        yield
    finally:
        metrics.clear_metrics()
        logger.setLevel(level)
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)


def _can_print(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def run(args: argparse.Namespace) -> int:
    """Run the checks for parsed ``args`` and print the report; returns the exit status."""
    parser: argparse.ArgumentParser = args.parser
    if not 0 < args.timeout <= 300:
        parser.error("--timeout: expected seconds between 0 and 300")
    if args.stack is None and not from_environment(os.environ).values:
        parser.error(
            "nothing to check: none of the functions' variables (SALESFORCE_ORG_ID, ...) is set; "
            "set them or pass --stack NAME"
        )

    def load(ctx: Context) -> Deployment:
        if args.stack is None:
            return from_environment(os.environ)
        return from_stack(args.stack, ctx.aws("cloudformation"), ctx.aws("lambda"))

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"doctor: {line}", file=sys.stderr, flush=True)

    ctx = Context(load_deployment=load, timeout_s=args.timeout, region=args.region, progress=progress)
    with _runtime_output(args.verbose):
        report = run_checks(ctx)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        sys.stdout.write(render_table(report, ascii_only=not _can_print(MARKS_TEXT)))
    return 0 if report.ok else 1

"""``connect-omni``: the project's console script (pyproject ``[project.scripts]``).

::

    connect-omni doctor [--stack NAME] [--region REGION] [--json] [--timeout SECONDS] [--quiet] [--verbose]

``--help`` only prints; usage errors exit 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from connect_omni_ops.doctor import command as doctor


def build_parser() -> argparse.ArgumentParser:
    """The ``connect-omni`` argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="connect-omni",
        description="Operator commands for connect-omni (Amazon Connect chat to Salesforce Omni-Channel).",
    )
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    doctor.add_parser(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 success, 1 findings, 2 usage error)."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())

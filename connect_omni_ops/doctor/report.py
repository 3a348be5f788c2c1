"""What the doctor found: one :class:`CheckResult` per check, printed as a table or as JSON."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of a check. ``SKIPPED``: it could not run with what it was given (never a finding)."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome.

    Attributes
    ----------
    name : str
        Stable check name, e.g. ``token-grant``.
    status : Status
    detail : str
        What was found (identifiers, counts, Salesforce's or AWS's error code); never a secret or token.
    hint : str
        How to fix it (failed checks), or what the check needs to run (skipped checks); may be empty.
    """

    name: str
    status: Status
    detail: str
    hint: str = ""

    @property
    def ok(self) -> bool | None:
        """True passed, False failed, None skipped."""
        return None if self.status is Status.SKIPPED else self.status is Status.PASSED

    def to_json(self) -> dict[str, Any]:
        """``{"name", "ok", "status", "detail", "hint"}``; ``ok`` is null for a skipped check."""
        return {"name": self.name, "ok": self.ok, "status": str(self.status), "detail": self.detail, "hint": self.hint}


@dataclass(frozen=True)
class Report:
    """Every check's result, in the order they ran.

    Attributes
    ----------
    target : str
        What was checked, e.g. ``stack connect-omni (us-east-1)`` or ``the environment``.
    checks : tuple of CheckResult
    """

    target: str
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed (skipped checks are not findings)."""
        return all(c.status is not Status.FAILED for c in self.checks)

    def count(self, status: Status) -> int:
        """How many checks ended with ``status``."""
        return sum(1 for c in self.checks if c.status is status)

    def to_json(self) -> dict[str, Any]:
        """``{"ok": bool, "target": str, "checks": [CheckResult.to_json(), ...]}``."""
        return {"ok": self.ok, "target": self.target, "checks": [c.to_json() for c in self.checks]}

    def summary(self) -> str:
        """E.g. ``2 failed, 9 passed, 2 skipped``."""
        return ", ".join(f"{self.count(s)} {s}" for s in (Status.FAILED, Status.PASSED, Status.SKIPPED))


def plural(count: int, noun: str) -> str:
    """``1 problem``, ``2 problems`` (nouns that take an ``s``)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


_MARKS = {Status.PASSED: "\u2714", Status.FAILED: "\u2718", Status.SKIPPED: "\u2013"}  # ✔ ✘ en dash
_ASCII_MARKS = {Status.PASSED: "ok", Status.FAILED: "FAIL", Status.SKIPPED: "skip"}
_HEADERS = ("check", "", "found", "how to fix")


MARKS_TEXT = "".join(_MARKS.values())


def render_table(report: Report, *, width: int | None = None, ascii_only: bool = False) -> str:
    """The report as a text table: check, ✔/✘ (an en dash for skipped), what it found, how to fix it.

    Parameters
    ----------
    report : Report
    width : int, optional
        Total width in characters; the terminal's (at least 100) when omitted.
    ascii_only : bool, optional
        Marks ``ok`` / ``FAIL`` / ``skip`` instead of ✔ / ✘ / en dash (for terminals that cannot print them).

    Returns
    -------
    str
        The table, then a summary line, newline-terminated.
    """
    width = width or max(100, shutil.get_terminal_size((120, 24)).columns)
    marks = _ASCII_MARKS if ascii_only else _MARKS
    name_w = max(len(_HEADERS[0]), *(len(c.name) for c in report.checks)) if report.checks else 5
    mark_w = max(len(m) for m in marks.values())
    free = max(40, width - name_w - mark_w - 6)
    found_w = free // 2
    hint_w = free - found_w
    lines = [f"doctor: {report.target}", ""]

    def row(cells: tuple[str, str, str, str]) -> None:
        found = textwrap.wrap(cells[2], found_w, break_on_hyphens=False) or [""]
        fix = textwrap.wrap(cells[3], hint_w, break_on_hyphens=False) or [""]
        for i in range(max(len(found), len(fix))):
            first = i == 0
            lines.append(
                "  ".join(
                    (
                        (cells[0] if first else "").ljust(name_w),
                        (cells[1] if first else "").ljust(mark_w),
                        (found[i] if i < len(found) else "").ljust(found_w),
                        fix[i] if i < len(fix) else "",
                    )
                ).rstrip()
            )

    row(_HEADERS)
    lines.append("  ".join(("-" * name_w, "-" * mark_w, "-" * found_w, "-" * hint_w)))
    for check in report.checks:
        row((check.name, marks[check.status], check.detail, check.hint))
    lines += ["", f"{'OK' if report.ok else 'NOT OK'}: {report.summary()}"]
    return "\n".join(lines) + "\n"

"""Reading the README (and other Markdown) the way the docs tests need: sections, tables, code spans."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

_HEADING = re.compile(r"^(#{1,6}) (.+?)\s*$")
_CODE = re.compile(r"`([^`]+)`")


@cache
def text(path: Path = README) -> str:
    return path.read_text(encoding="utf-8")


def section(title: str, path: Path = README) -> str:
    """The text under the heading ``title`` (exact), up to the next heading of the same or a higher level."""
    lines = text(path).splitlines()
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if m and m[2] == title:
            level = len(m[1])
            body = []
            for rest in lines[i + 1 :]:
                n = _HEADING.match(rest)
                if n and len(n[1]) <= level:
                    break
                body.append(rest)
            return "\n".join(body)
    raise AssertionError(f"{path.name}: no heading {title!r}")


def tables(body: str) -> list[list[list[str]]]:
    """Every Markdown table in ``body``: a list of rows (header row first, separator left out) of cells."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*body.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def table(body: str, first_header: str) -> list[list[str]]:
    """The rows (without the header) of the table whose first header cell is ``first_header``."""
    for t in tables(body):
        if t[0][0] == first_header:
            return t[1:]
    raise AssertionError(f"no table with first column {first_header!r}")


def code_spans(cell: str) -> list[str]:
    return _CODE.findall(cell)

"""What the Lambda code emits, found by reading its syntax tree (no grep, no running it).

- :func:`metrics`: every metric name passed to ``count(...)`` / ``metrics.add_metric(name=...)`` in ``src/``.
  An f-string is a family: ``count(f"TranscriptsSkipped{reason}")`` -> ``TranscriptsSkipped<Reason>``; a
  conditional picks both branches. Any other argument is reported as unreadable, so a test can insist on
  literal names.
- :func:`log_messages`: every ``logger.<level>(message, ...)`` and ``log_failure(message, exc)`` call, as
  ``(level, message)`` with an f-string's replacement fields shown as ``…``.
- :func:`log_fields`: the keys of every ``extra={...}`` dict and ``logger.append_keys(...)`` call.
- :func:`string_constants`: every string literal and the literal parts of every f-string.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "connect_omni"
LEVELS = {
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARNING",
    "error": "ERROR",
    "exception": "ERROR",
    "critical": "CRITICAL",
}


@dataclass(frozen=True)
class Found:
    value: str
    where: str  # path:line


@cache
def _trees() -> tuple[tuple[str, ast.Module], ...]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        out.append((str(path.relative_to(REPO)), ast.parse(path.read_text(encoding="utf-8"), str(path))))
    return tuple(out)


def _calls() -> Iterator[tuple[str, ast.Call]]:
    for rel, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield rel, node


def _family(node: ast.JoinedStr, placeholder: str) -> str:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif placeholder == "<>":
            expr = value.value if isinstance(value, ast.FormattedValue) else value
            name = expr.id if isinstance(expr, ast.Name) else expr.attr if isinstance(expr, ast.Attribute) else "x"
            parts.append(f"<{name[:1].upper()}{name[1:]}>")
        else:
            parts.append(placeholder)
    return "".join(parts)


def _names(node: ast.expr | None, placeholder: str) -> list[str] | None:
    """The string(s) an argument can be, or None when it is not a literal, an f-string or a conditional."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [_family(node, placeholder)]
    if isinstance(node, ast.IfExp):
        a, b = _names(node.body, placeholder), _names(node.orelse, placeholder)
        return None if a is None or b is None else a + b
    return None


def _func_name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _receiver(call: ast.Call) -> str:
    f = call.func
    return f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""


def metrics() -> tuple[set[Found], list[str]]:
    """``(names found, places whose name is not a literal)``."""
    found: set[Found] = set()
    unreadable: list[str] = []
    for rel, call in _calls():
        name = _func_name(call)
        arg: ast.expr | None = None
        if name == "count" and not isinstance(call.func, ast.Attribute):
            arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "name"), None)
        elif name in ("add_metric", "single_metric"):
            arg = next((k.value for k in call.keywords if k.arg == "name"), call.args[0] if call.args else None)
        else:
            continue
        values = _names(arg, "<>")
        if values is None:
            unreadable.append(f"{rel}:{call.lineno}")
            continue
        found |= {Found(v, f"{rel}:{call.lineno}") for v in values}
    return {f for f in found if f.value and f.where.split(":")[0] != "src/connect_omni/observability.py"}, [
        u for u in unreadable if not u.startswith("src/connect_omni/observability.py")
    ]


def uses_cold_start_metric() -> bool:
    """True when a handler wrapper asks Powertools for its ``ColdStart`` metric."""
    for _, call in _calls():
        if _func_name(call) == "log_metrics":
            for k in call.keywords:
                if k.arg == "capture_cold_start_metric" and isinstance(k.value, ast.Constant) and k.value.value:
                    return True
    return False


def log_messages() -> set[tuple[str, str]]:
    """``(level, message)`` of every log call in ``src/`` (f-string fields shown as ``…``)."""
    out: set[tuple[str, str]] = set()
    for _, call in _calls():
        name = _func_name(call)
        if name in LEVELS and _receiver(call) == "logger" and call.args:
            level = LEVELS[name]
        elif name == "log_failure" and call.args:
            level = "ERROR"
        else:
            continue
        for text in _names(call.args[0], "…") or []:
            out.add((level, text))
    return out


def log_fields() -> set[str]:
    """Keys of every ``extra={...}`` literal and ``logger.append_keys(...)`` call in ``src/``."""
    keys: set[str] = set()
    for _, call in _calls():
        if _func_name(call) == "append_keys" and _receiver(call) == "logger":
            keys |= {k.arg for k in call.keywords if k.arg}
        for k in call.keywords:
            if k.arg == "extra" and isinstance(k.value, ast.Dict):
                keys |= {key.value for key in k.value.keys if isinstance(key, ast.Constant)}
    return keys


def exception_classes() -> set[str]:
    """Names of the exception classes defined in ``src/``."""
    names: set[str] = set()
    for _, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and (node.name.endswith("Error") or node.name.endswith("Exception")):
                names.add(node.name)
    return names


def string_constants() -> set[str]:
    """Every string literal in ``src/``, and the literal parts of every f-string."""
    out: set[str] = set()
    for _, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add(node.value)
    return out

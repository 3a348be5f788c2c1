"""The README's tables say what the code does: stack parameters, environment variables, metrics, log lines.

When one of these fails you added (or renamed) something without telling the reader: add the row to the README
(``Deploy > 2. The stack`` for parameters and variables, ``Troubleshooting > Metrics`` / ``Log messages``).
"""

from __future__ import annotations

import re

from connect_omni.settings import Settings
from tests.docs import codescan, readme

# Set by the template to fixed values, not something a reader configures.
FIXED_POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
REQUIRED = "\u2013"  # the README's en dash: no default
# Keys every Powertools log line carries, and the ones the handler wrappers append.
POWERTOOLS_KEYS = {
    "level",
    "location",
    "message",
    "timestamp",
    "service",
    "cold_start",
    "function_name",
    "function_request_id",
    "correlation_id",
    "xray_trace_id",
}


def stack_rows() -> list[tuple[list[str], list[str], str]]:
    """(parameters, variables, default) of each row of the README's stack table."""
    rows = readme.table(readme.section("2. The stack"), "stack parameter")
    out = []
    for row in rows:
        params = [c for c in readme.code_spans(row[0]) if re.fullmatch(r"[A-Z][A-Za-z0-9]+", c)]
        variables = [c for c in readme.code_spans(row[1]) if re.fullmatch(r"[A-Z][A-Z0-9_]+", c)]
        out.append((params, variables, row[2]))
    return out


def template_variables(template: dict) -> dict[str, object]:
    """Environment variable -> its value in the template (Globals and every function)."""
    found = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            found.update(resource.get("Properties", {}).get("Environment", {}).get("Variables", {}))
    return found


def test_every_stack_parameter_is_documented_and_no_other(template):
    documented = {p for params, _, _ in stack_rows() for p in params}
    real = set(template["Parameters"])
    assert documented == real, (
        "README 'Deploy > 2. The stack' lists other parameters than template.yaml: "
        f"missing {sorted(real - documented)}, unknown {sorted(documented - real)}"
    )


def test_every_environment_variable_is_documented_and_no_other(template):
    documented = {v for _, variables, _ in stack_rows() for v in variables}
    settings = {name.upper() for name in Settings.model_fields}
    configurable = {v for v in template_variables(template) if v not in FIXED_POWERTOOLS}
    expected = settings | configurable
    assert documented == expected, (
        f"README variables: missing {sorted(expected - documented)}, unknown {sorted(documented - expected)}"
    )


def test_parameter_and_variable_of_a_row_are_wired_together_in_the_template(template):
    wired = {
        name: value["Ref"]
        for name, value in template_variables(template).items()
        if isinstance(value, dict) and value.get("Ref") in template["Parameters"]
    }
    pairs = set()
    for params, variables, _ in stack_rows():
        if params and variables:
            assert len(params) == len(variables), f"row {params} / {variables}: pair them one to one"
            pairs |= set(zip(variables, params, strict=True))
    assert pairs == set(wired.items())


def _norm(value: object) -> str:
    text = str(value).strip().strip("`")
    if text in ("empty", "None", ""):
        return ""
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def test_documented_defaults_are_the_real_ones(template):
    fields = {name.upper(): field for name, field in Settings.model_fields.items()}
    for params, variables, default in stack_rows():
        if len(params) > 1 or len(variables) > 1:
            continue  # a row about several things states their common default
        if params:
            spec = template["Parameters"][params[0]]
            real = spec.get("Default")
            shown = REQUIRED if real is None else _norm(real)
        else:
            field = fields[variables[0]]
            shown = REQUIRED if field.is_required() else _norm(field.default)
        assert _norm(default) == shown, (params, variables, default, shown)


def test_metric_table_matches_every_metric_the_code_emits():
    found, unreadable = codescan.metrics()
    assert unreadable == [], f"metric names must be literals or f-strings (found at {unreadable})"
    emitted = {f.value for f in found} | ({"ColdStart"} if codescan.uses_cold_start_metric() else set())
    rows = readme.table(readme.section("Metrics"), "metric")
    documented = {name for row in rows for name in readme.code_spans(row[0])}
    where = {f.value: f.where for f in found}
    missing = sorted(f"{m} ({where.get(m, 'Powertools')})" for m in emitted - documented)
    assert not missing, f"metrics emitted but not in README 'Troubleshooting > Metrics': {missing}"
    assert documented <= emitted, f"README documents metrics nothing emits: {sorted(documented - emitted)}"


def test_log_message_table_matches_every_log_line_of_the_code():
    emitted = {(level, message) for level, message in codescan.log_messages() if level != "DEBUG"}
    rows = readme.table(readme.section("Log messages"), "level")
    documented = set()
    for row in rows:
        spans = readme.code_spans(row[1])
        assert len(spans) == 1, f"one message per row: {row}"
        documented.add((row[0], spans[0]))
    missing, unknown = sorted(emitted - documented), sorted(documented - emitted)
    assert not missing, f"log lines not in README 'Troubleshooting > Log messages': {missing}"
    assert not unknown, f"README documents log lines the code does not write: {unknown}"


def test_symptom_table_names_real_messages_fields_and_error_types():
    messages = {message for _, message in codescan.log_messages()}
    fields = codescan.log_fields() | POWERTOOLS_KEYS
    errors = codescan.exception_classes()
    rows = readme.table(readme.section("Symptoms"), "symptom")
    assert rows
    for row in rows:
        looked_for = readme.code_spans(row[1])
        assert looked_for and all(m in messages for m in looked_for), f"not a log message of the code: {row[1]}"
        for span in readme.code_spans(row[2]):
            name, _, value = span.partition("=")
            assert name in fields, f"{row[1]}: no log line carries a field {name!r}"
            if name == "error_type" and value:
                assert value in errors, f"{row[1]}: {value!r} is not an exception type of connect_omni"

"""The fault matrix of issue 7: every dependency by every fault, and the outcome each cell must have.

This table is the single source: ``tests/faults/test_fault_matrix.py`` runs every cell against the stand-ins,
and the table in ``docs/failures.md`` (between the ``matrix`` markers) is rendered from it; a test fails when
the page is stale. ``python -m tests.faults.matrix --write`` rewrites it.

Outcomes: ``answered`` (the flow gets its answer), ``answered, fallback queue`` (Routing answers without
``externalQueueId``, the flow's fallback queue takes over), ``ingested``, ``partial`` (a batch Salesforce refused
for good: counted, logged, not retried), ``flow Error branch: <Error>`` (a project exception inside the budget;
the flow's retry loop takes over), ``Lambda retries: <Error>`` (the ingestion raises; Lambda retries, then the
DLQ). Every cell also runs the retry (the flow's loop, or Lambda's) with the fault gone, which must succeed, and
checks: at most one PSR per conversation and routing type, at most one EntryInteraction per conversation, every
transcript message stored exactly once.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "failures.md"
BEGIN, END = "<!-- matrix:begin -->", "<!-- matrix:end -->"


@dataclass(frozen=True)
class Dependency:
    """A dependency: where its requests go, which function exercises it, how its errors look."""

    key: str
    title: str
    function: str  # "create-session" | "create-session-interactions" | "route" | "route-cold-map" | "ingest"
    target: str  # "salesforce" | "secretsmanager" | "s3" | "connect"
    path: str
    method: str | None
    family: str  # error body family: "scrt", "oauth", "rest", "aws-json", "aws-rest-json", "aws-xml"


DEPENDENCIES = (
    Dependency("token", "token endpoint", "create-session", "salesforce", "/services/oauth2/token", None, "oauth"),
    Dependency(
        "conversation", "`POST /conversation`", "create-session", "salesforce", "/api/v1/conversation", None, "scrt"
    ),
    Dependency(
        "interactions",
        "`POST /interactions`",
        "create-session-interactions",
        "salesforce",
        "/api/v1/interactions",
        None,
        "scrt",
    ),
    Dependency("route", "`POST /route`", "route", "salesforce", "/api/v1/route", "POST", "scrt"),
    Dependency("soql", "SOQL `CallCenterRoutingMap`", "route-cold-map", "salesforce", "/services/data/", None, "rest"),
    Dependency(
        "history", "`POST /conversationHistory`", "ingest", "salesforce", "/api/v1/conversationHistory", None, "scrt"
    ),
    Dependency(
        "secrets", "Secrets Manager `GetSecretValue`", "create-session", "secretsmanager", "/", None, "aws-json"
    ),
    Dependency("s3", "S3 `ListObjectsV2` / `GetObject`", "ingest", "s3", "/", None, "aws-xml"),
    Dependency(
        "connect", "Connect `GetContactAttributes`", "ingest", "connect", "/contact/attributes", None, "aws-rest-json"
    ),
)

FAULTS = (
    ("500", "500"),
    ("503", "503"),
    ("429", "429 + `Retry-After: 1`"),
    ("401", "401"),
    ("403", "403"),
    ("400", "400 with the service's code"),
    ("drop", "connection dropped"),
    ("hang", "hang past the budget"),
    ("slow", "answer after 2 s"),
    ("trickle", "answer trickling at 8 B/s"),
    ("not-json", "200, body not JSON"),
    ("empty", "200, empty body"),
    ("html-200", "200, HTML body"),
    ("html-error", "502 HTML error page"),
    ("late-commit", "late commit (done, then the connection drops)"),
    ("503-always", "503 on every try"),
)

OK = "answered"
FALLBACK = "answered, fallback queue"
INGESTED = "ingested"
PARTIAL = "partial"


def flow_error(name: str) -> str:
    return f"flow Error branch: {name}"


def lambda_retries(name: str) -> str:
    return f"Lambda retries: {name}"


UNAVAILABLE = "SalesforceUnavailableError"
AUTH = "SalesforceAuthError"
SF = "SalesforceError"
AWS = "AwsCallError"

#: Cells whose outcome is not the row's default.
_ROWS: dict[str, tuple[str, dict[str, str]]] = {
    "token": (
        OK,
        {
            "401": flow_error(AUTH),
            "403": flow_error(AUTH),
            "400": flow_error(AUTH),
            "hang": flow_error(UNAVAILABLE),
            "trickle": flow_error(UNAVAILABLE),
            "503-always": flow_error(UNAVAILABLE),
        },
    ),
    "conversation": (
        OK,
        {
            "400": flow_error(SF),
            "hang": flow_error(UNAVAILABLE),
            "trickle": flow_error(UNAVAILABLE),
            "503-always": flow_error(UNAVAILABLE),
        },
    ),
    "interactions": (
        OK,
        {
            "400": flow_error(SF),
            "hang": flow_error(UNAVAILABLE),
            "trickle": flow_error(UNAVAILABLE),
        },
    ),
    "route": (
        OK,
        {
            "400": flow_error(SF),
            "hang": flow_error(UNAVAILABLE),
            "trickle": flow_error(UNAVAILABLE),
            "503-always": flow_error(UNAVAILABLE),
        },
    ),
    "soql": (
        OK,
        {
            "403": FALLBACK,
            "400": FALLBACK,
            "hang": FALLBACK,
            "trickle": FALLBACK,
            "503-always": FALLBACK,
        },
    ),
    "history": (
        INGESTED,
        {
            "400": PARTIAL,
            "hang": lambda_retries(UNAVAILABLE),
            "trickle": lambda_retries(UNAVAILABLE),
            "503-always": lambda_retries(UNAVAILABLE),
        },
    ),
    "secrets": (
        OK,
        {
            "401": flow_error(AWS),
            "403": flow_error(AWS),
            "400": flow_error(AWS),
            "hang": flow_error(AWS),
            "trickle": flow_error(AWS),
            "503-always": flow_error(AWS),
        },
    ),
    "s3": (
        INGESTED,
        {
            "401": lambda_retries(AWS),
            "403": lambda_retries(AWS),
            "400": lambda_retries(AWS),
            "hang": lambda_retries(AWS),
            "trickle": lambda_retries(AWS),
            "503-always": lambda_retries(AWS),
        },
    ),
    "connect": (
        INGESTED,
        {
            "401": lambda_retries(AWS),
            "403": lambda_retries(AWS),
            "400": lambda_retries(AWS),
            "hang": lambda_retries(AWS),
            "trickle": lambda_retries(AWS),
            "503-always": lambda_retries(AWS),
        },
    ),
}


@dataclass(frozen=True)
class Cell:
    dependency: Dependency
    fault: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.dependency.key}-{self.fault}"

    @property
    def budget_ms(self) -> int:
        """The Lambda context's budget for the faulted invocation: small where the fault eats the budget (the
        ingestion's larger: its earlier steps, Connect, S3, token, /conversation, must fit before the fault)."""
        if self.fault in ("hang", "trickle"):
            return 4000 if self.dependency.function == "ingest" else 2000
        return 8000


CELLS = tuple(
    Cell(dep, fault, _ROWS[dep.key][1].get(fault, _ROWS[dep.key][0])) for dep in DEPENDENCIES for fault, _ in FAULTS
)


def markdown() -> str:
    """The matrix as a Markdown table (rows: faults, columns: dependencies)."""
    short = {OK: "ok", FALLBACK: "ok, fallback queue", INGESTED: "ingested", PARTIAL: "partial (refused, counted)"}

    def text(outcome: str) -> str:
        if outcome in short:
            return short[outcome]
        kind, _, error = outcome.partition(": ")
        return f"Error branch: `{error}`" if kind.startswith("flow") else f"raised, Lambda retries: `{error}`"

    head = "| fault | " + " | ".join(d.title for d in DEPENDENCIES) + " |"
    rule = "|---" * (len(DEPENDENCIES) + 1) + "|"
    by_id = {c.id: c for c in CELLS}
    rows = [
        f"| {title} | " + " | ".join(text(by_id[f"{d.key}-{fault}"].expected) for d in DEPENDENCIES) + " |"
        for fault, title in FAULTS
    ]
    note = "<!-- GENERATED from tests/faults/matrix.py by `python -m tests.faults.matrix --write` -- do not edit. -->"
    return "\n".join([note, "", head, rule, *rows])


def page_section(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {DOC.name}")
    args = parser.parse_args(argv)
    if not args.write:
        print(markdown())
        return 0
    text = DOC.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + markdown() + "\n" + text[end:])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fault matrix (tests/faults/matrix.py): every dependency by every fault, run against the stand-ins.

Each cell is run by :func:`tests.faults.measure.measure` (also ``python -m tests.faults.measure``, which prints
the matrix as measured): a fresh chat on the stand-ins (Salesforce emulator; moto and the Connect stand-in behind
fault proxies), one fault injected into the dependency, the function invoked as Connect or EventBridge would; the
outcome must be the table's. Then the retry (the flow's loop, or Lambda's) runs with the fault gone and must
succeed, and what Salesforce recorded must hold: at most one PSR per conversation and routing type, at most one
EntryInteraction per conversation, every transcript message stored exactly once.

No wall-clock assertion: a hang or a trickle lasts past the budget, so the expected outcome (the handler's own
error) shows that the handler gave up by itself, and the invocation's deadline is checked as computed (the Lambda
context's remaining time minus the margin, ``measure.deadline_problem``), never as measured. Waits between retries
are recorded, not slept (``transport.SLEEP``, ``aws.SLEEP``), and a ``Retry-After`` cell asserts the wait asked
for. ``FAULT_MATRIX_JSON=path`` writes the outcome and time of every cell (the time is a record, not a check).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest

from localdev.standins import Standins
from tests.faults import matrix
from tests.faults.matrix import CELLS, Cell
from tests.faults.measure import World, measure

REPORT: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
def world(module_standins: Standins) -> Iterator[World]:
    w = World(module_standins)
    try:
        yield w
    finally:
        w.stop()


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_cell(world: World, cell: Cell) -> None:
    measured = measure(world, cell)
    REPORT.append(asdict(measured))
    assert not measured.problems, "\n".join(measured.problems)


def test_docs_table_matches_the_matrix() -> None:
    assert matrix.page_section(matrix.DOC.read_text()) == matrix.markdown(), (
        "docs/failures.md is stale: run python -m tests.faults.matrix --write"
    )


def test_write_the_report() -> None:
    if os.environ.get("FAULT_MATRIX_JSON") and REPORT:
        with open(os.environ["FAULT_MATRIX_JSON"], "w") as handle:
            json.dump(REPORT, handle, indent=1)

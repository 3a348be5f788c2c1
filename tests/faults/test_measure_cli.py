"""``python -m tests.faults.measure``: --help only prints, bad options exit 2, a cell that differs exits 1, and two
real cells on the stand-ins print what was measured (the whole matrix is ``test_fault_matrix.py``'s job).

No timing assertion: the seconds are checked to be there, not how many.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.readme import REPO
from tests.docs.test_cli_help import run as run_guarded
from tests.faults import measure
from tests.faults.matrix import CELLS

MODULE = "tests.faults.measure"


def test_help_only_prints(tmp_path: Path) -> None:
    done = run_guarded([sys.executable, "-m", MODULE, "--help"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"usage: python -m {MODULE} ")
    assert "Exit status" in done.stdout and done.stderr == ""


@pytest.mark.parametrize("argv", [["--no-such-option"], ["--only", "nothing"], ["--fault", "418"]])
def test_bad_options_are_usage_errors(tmp_path: Path, argv: list[str]) -> None:
    done = run_guarded([sys.executable, "-m", MODULE, *argv], tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "usage:" in done.stderr and done.stdout == ""


def test_select_takes_dependencies_and_faults() -> None:
    assert [c.id for c in measure.select(["token"], ["500", "hang"])] == ["token-500", "token-hang"]
    assert len(measure.select([], [])) == len(CELLS)


def test_a_cell_that_differs_exits_1_and_is_named(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """The stand-ins and the cell are replaced: only the command's verdict is under test."""
    cell = CELLS[0]
    judged = measure.Measurement(
        cell=cell.id,
        dependency=cell.dependency.key,
        fault=cell.fault,
        function=cell.dependency.function,
        expected=cell.expected,
        outcome=f"{measure.NON_PROJECT}: KeyError",
        detail="KeyError: 'x'",
        seconds=0.1,
        budget_seconds=8.0,
        retry="answered",
        retry_detail="",
        sent=[],
        waits_asked=[],
        psrs=0,
        duplicate_psrs=0,
        interactions=0,
        duplicate_interactions=0,
        transcript_messages=0,
        history=0,
        history_before_retry=0,
        transcripts_lost=0,
        transcripts_duplicated=0,
        non_project_exceptions=1,
        after_budget=False,
        problems=["token-500: non-project exception: KeyError"],
    )
    monkeypatch.setattr(measure.Standins, "start", classmethod(lambda cls: contextlib.nullcontext()))
    monkeypatch.setattr(measure, "World", lambda standins: type("W", (), {"stop": lambda self: None})())
    monkeypatch.setattr(measure, "measure", lambda world, c: judged)
    assert measure.main(["--only", "token", "--fault", "500", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["violations"]["non_project_exceptions"] == 1
    assert out["summary"]["matching"] == 0 and out["cells"][0]["cell"] == "token-500"


@pytest.mark.standins
def test_two_cells_on_the_standins() -> None:
    argv = [sys.executable, "-m", MODULE, "--json", "--only", "route", "--fault", "400", "--fault", "late-commit"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    cells = {c["cell"]: c for c in out["cells"]}
    assert sorted(cells) == ["route-400", "route-late-commit"]
    assert cells["route-400"]["outcome"] == "flow Error branch: SalesforceError"
    assert cells["route-400"]["detail"].startswith("SalesforceError: ")
    assert cells["route-400"]["retry"] == "answered"
    assert cells["route-late-commit"]["outcome"] == "answered"
    assert all(c["psrs"] == 1 and c["budget_seconds"] == 8.0 and c["seconds"] >= 0 for c in cells.values())
    assert out["summary"]["cells"] == out["summary"]["matching"] == 2
    assert set(out["summary"]["violations"].values()) == {0}
    assert "[2/2] route-late-commit" in done.stderr

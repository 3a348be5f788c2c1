"""The README's ``python -m localdev.doctor_demo`` lines, with the exit status they document."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from localdev.doctor_demo import BREAKAGES, main

pytestmark = pytest.mark.standins
REPO = Path(__file__).resolve().parents[2]


def test_list_names_every_breakage_and_its_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [[b.name, b.check] for b in BREAKAGES.values()]


def test_an_unknown_breakage_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--break", "everything"])
    assert done.value.code == 2
    assert "invalid choice: 'everything'" in capsys.readouterr().err


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    """The README's command line, as a user runs it (its own process: moto's state is per process)."""
    command = [sys.executable, "-m", "localdev.doctor_demo", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


def test_a_good_deployment_exits_0_and_a_seeded_mistake_exits_1() -> None:
    good = _demo()
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.rstrip().endswith("OK: 0 failed, 13 passed, 0 skipped")
    broken = _demo("--break", "lambda-timeout")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Routing times out after 10 s" in broken.stdout
    assert "seeding lambda-timeout" in broken.stderr

"""The benchmark commands behave as CLIs: --help only prints (exit 0), bad arguments exit 2, nothing started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", ["localdev.bench_handlers", "localdev.bench_transcripts", "localdev.simulate_scale"])
def test_help_prints_and_exits_0(module: str) -> None:
    done = _run(module, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("localdev.bench_handlers", "--runs", "0"),
        ("localdev.bench_handlers", "--tracing", "sometimes"),
        ("localdev.bench_transcripts", "--messages", "0"),
        ("localdev.bench_transcripts", "--concurrency", "0"),
        ("localdev.simulate_scale", "--chats", "0"),
        ("localdev.simulate_scale", "--history-concurrency", "0"),
    ],
)
def test_bad_arguments_exit_2(args: tuple[str, ...]) -> None:
    done = _run(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "error:" in done.stderr

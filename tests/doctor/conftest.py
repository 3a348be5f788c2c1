"""Fixtures: the stand-ins with template.yaml deployed into them (one stack per test module), and a way to run
``connect-omni doctor`` in-process and read its JSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from connect_omni_ops.cli import main
from localdev.local_stack import LocalStack
from localdev.standins import Standins


@dataclass(frozen=True)
class DoctorRun:
    """One doctor run: exit status, stdout, stderr, and the JSON report when ``--json`` was given."""

    status: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.out)

    @property
    def checks(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.report["checks"]}

    def with_status(self, status: str) -> list[str]:
        return [c["name"] for c in self.report["checks"] if c["status"] == status]


@pytest.fixture(scope="module")
def local_stack() -> Iterator[LocalStack]:
    """Stand-ins with the project's stack deployed (unique name: moto's backends are process-global)."""
    standins = Standins.start()
    try:
        yield LocalStack.deploy(standins, name=f"connect-omni-test-{uuid.uuid4().hex[:8]}")
    finally:
        standins.stop()


@pytest.fixture
def doctor(capsys: pytest.CaptureFixture[str]) -> Callable[..., DoctorRun]:
    """Run ``connect-omni doctor ARGS`` in-process (inside the caller's environment)."""

    def run(*args: str) -> DoctorRun:
        capsys.readouterr()
        status = main(["doctor", *args])
        captured = capsys.readouterr()
        return DoctorRun(status, captured.out, captured.err)

    return run

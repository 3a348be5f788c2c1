"""Scenario fixtures: the shipped flows, run by the flow runner with the real handlers, against the stand-ins.

One set of stand-ins per test module (started in well under a second), reset before every test. Nothing here
uses ``moto.mock_aws``: entering or leaving it in this process would wipe the stand-ins' moto data (the
secret), so these tests must not share a module with tests that do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localdev.demo import DemoInvoker, local_flow
from localdev.flows.runner import Contact, RunResult, run
from localdev.standins import Standins


@pytest.fixture
def standins(module_standins: Standins) -> Iterator[Standins]:
    """The stand-ins with runtime state reset (emulator, Connect, transcript bucket) and the handlers'
    environment set; the container is reset on entry and exit, so every test starts with cold handlers."""
    module_standins.reset()
    with module_standins.environment():
        yield module_standins


@pytest.fixture
def invoker(standins: Standins) -> DemoInvoker:
    """The runner's default invoker (the real handlers in-process), with their log output captured."""
    return DemoInvoker(standins)


class Runner:
    """Runs a shipped flow (wired to the stand-ins) for a contact of the stand-in instance."""

    def __init__(self, standins: Standins, invoker: DemoInvoker) -> None:
        self.standins = standins
        self.invoker = invoker

    def chat(self, **attributes: str) -> Contact:
        return Contact(instance_arn=self.standins.instance_arn, attributes=dict(attributes))

    def __call__(self, name: str, contact: Contact, **kwargs: Any) -> RunResult:
        limit = kwargs.pop("invocation_time_limit_s", None)
        return run(local_flow(name, self.standins, invocation_time_limit_s=limit), contact, self.invoker, **kwargs)


@pytest.fixture
def flow(standins: Standins, invoker: DemoInvoker) -> Runner:
    return Runner(standins, invoker)

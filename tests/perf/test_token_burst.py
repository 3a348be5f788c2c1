"""localdev.bench_token_burst on a small burst: cold containers released at once grant once with the shared token
store, once each without it. Counts only; nothing here depends on how fast the machine is."""

from __future__ import annotations

import pytest

from localdev.bench_handlers import XRayDaemonStandin
from localdev.bench_token_burst import burst


@pytest.fixture(scope="module")
def standins():
    from localdev.standins import Standins

    xray = XRayDaemonStandin()
    with Standins.start() as s:
        yield s, xray.address
    xray.stop()


def test_a_burst_with_the_store_grants_once_and_every_chat_is_answered(standins):
    s, xray = standins
    row = burst(s, "CreateMessagingSession", 4, True, xray)
    assert (row["grants"], row["secret_reads"], row["failed"], row["store_unavailable"]) == (1, 1, 0, 0)
    assert row["store_reads"] >= 4  # every container read the store at least once


def test_a_burst_without_the_store_grants_per_container(standins):
    s, xray = standins
    row = burst(s, "CreateMessagingSession", 2, False, xray)
    assert (row["grants"], row["secret_reads"], row["store_reads"], row["failed"]) == (2, 2, 0, 0)

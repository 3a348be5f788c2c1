"""``python -m localdev.bench_ctr``: a good CLI (help, usage errors, JSON) whose counts are right on a small run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.docs.readme import REPO

pytestmark = pytest.mark.standins


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localdev.bench_ctr", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_help_only_prints():
    done = bench("--help")
    assert done.returncode == 0 and "--ctrs" in done.stdout and "SCC-AC" in done.stdout


@pytest.mark.parametrize("args", [["--ctrs", "0"], ["--delay-ms", "-1"], ["--runs", "x"], ["--nope"]])
def test_bad_options_exit_2(args):
    done = bench(*args)
    assert done.returncode == 2 and "usage:" in done.stderr


def test_a_small_run_counts_requests_invocations_and_secret_reads():
    done = bench("--ctrs", "7", "--batch-size", "5", "--runs", "1", "--delay-ms", "0", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # nothing but the JSON document on stdout
    ours, sccac = result["ours"], result["sccac"]
    # ours: two batches (5 + 2 records), each one SOQL read and one upsert
    assert ours["salesforceRequests"]["median"] == 4 and ours["lambdaInvocations"]["median"] == 2
    assert ours["secretsManagerReads"]["median"] == 0
    # SCC-AC: per CTR two invocations, one secret read, one upsert
    assert sccac["salesforceRequests"]["median"] == 7 and sccac["lambdaInvocations"]["median"] == 14
    assert sccac["secretsManagerReads"]["median"] == 7
    assert ours["notStored"] == sccac["notStored"] == 0
    assert result["ratio"]["salesforceRequests"] == 7 / 4
    assert "run 1/1" in done.stderr

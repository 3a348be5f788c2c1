"""A burst of cold containers: how many token grants, store reads and secret reads N new containers cost.

::

    python -m localdev.bench_token_burst [--containers 20 50] [--function CreateMessagingSession|Routing]
                                         [--store on|off|both] [--json]

For each N, N fresh processes (a Lambda-like environment, as ``localdev.bench_handlers`` sets it) import the
handler (the init phase) and wait; when all are ready they are released at once and each answers one new chat's
invocation against the local stand-ins (Salesforce emulator, moto with the state table). ``--store on`` is the
stack as deployed (``STATE_TABLE_NAME`` set: the fleet's shared token); ``off`` is a stack without it (every
container on its own, as before issue 8). Before each burst the state table is emptied, so the fleet starts with
no token (the worst case: the first minute after a deployment, or after the token was revoked).

This machine runs all N on its own few CPUs, where Lambda gives each container its own; so each container's
time limit is Lambda's 8 s times ⌈N / CPUs⌉ (printed), and the shared token store's bound
(``TOKEN_STORE_TIMEOUT_MS``, 1 s) alike, lest CPU contention be taken for a slow Salesforce or an unreachable
store.
The containers are initialised before the release (``AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency``),
so the wait for the others is not counted as init time. Neither changes what is counted.

Printed per burst: token grants (requests the emulator's token endpoint received), reads of the shared token
item (metric ``TokenStoreReads``), Secrets Manager reads (``SecretReads``), containers that waited for another's
grant (``TokenGrantWaits``), store failures (``TokenStoreUnavailable``), failed invocations, and the first
invocation's time across the containers (min/median/max, s). Target: 1 grant per burst with the store.

Exit status: 0 ran (every invocation answered), 1 an invocation failed or a process did not start, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from localdev.bench_handlers import HANDLERS, Scenario, XRayDaemonStandin, lambda_environment

#: Counters read from each process's CloudWatch embedded metric format output.
COUNTERS = ("TokenGrants", "TokenStoreReads", "SecretReads", "TokenGrantWaits", "TokenStoreUnavailable", "Failures")

#: A cold container that imports its handler, says READY, waits for GO on stdin, then answers one invocation.
CHILD = """
import importlib, json, os, sys, time
class Context:
    function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:111122223333:function:bench"
    aws_request_id = "burst"
    def __init__(self):
        self._deadline = time.monotonic() + float(os.environ["BENCH_BUDGET_S"])
    def get_remaining_time_in_millis(self):
        return int((self._deadline - time.monotonic()) * 1000)
handler = importlib.import_module(os.environ["BENCH_MODULE"]).lambda_handler
print("READY", flush=True)
sys.stdin.readline()
t = time.perf_counter()
try:
    answer, error = handler(json.loads(os.environ["BENCH_EVENT"]), Context()), None
except Exception as exc:
    answer, error = {}, f"{type(exc).__name__}: {exc}"
print("BENCH " + json.dumps({"invoke_s": time.perf_counter() - t, "answer": sorted(answer), "error": error}),
      flush=True)
"""


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _metrics(output: str) -> dict[str, float]:
    """Sum the count metrics of the EMF lines Powertools printed."""
    totals = dict.fromkeys(COUNTERS, 0.0)
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        for name in COUNTERS:
            value = doc.get(name)
            if isinstance(value, list):
                totals[name] += sum(value)
            elif isinstance(value, int | float):
                totals[name] += value
    return totals


def budget_s(n: int) -> float:
    """The first invocation's time limit (s) for a burst of ``n``: Lambda's 8 s, stretched by how many
    containers share each of this machine's CPUs (Lambda gives each container its own)."""
    return 8.0 * max(1, math.ceil(n / (os.cpu_count() or 1)))


def burst(standins: Any, function: str, n: int, store: bool, xray: str) -> dict[str, Any]:
    """Release ``n`` cold containers at once; what they cost (see the module docstring).

    Raises
    ------
    RuntimeError
        A process exited before it was ready.
    """
    module, service = HANDLERS[function]
    env = lambda_environment(standins.env, service, False, xray)
    env["BENCH_MODULE"] = module
    # Initialised before they are released, as provisioned concurrency does: the wait for the others is not
    # taken off the first invocation's budget (with on-demand it would be, as init time).
    env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "provisioned-concurrency"
    env["BENCH_BUDGET_S"] = str(budget_s(n))
    env["TOKEN_STORE_TIMEOUT_MS"] = str(round(1000 * budget_s(n) / 8.0))  # the store bound, stretched alike
    if not store:
        env.pop("STATE_TABLE_NAME", None)
    standins.clear_state_table()
    scenario = Scenario(standins, function)
    sf = standins.salesforce
    processes = []
    for _ in range(n):
        child_env = dict(env, BENCH_EVENT=json.dumps(scenario.event()))
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", CHILD],
                env=child_env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    for i, p in enumerate(processes):
        assert p.stdout
        line = p.stdout.readline()
        while line and not line.startswith("READY"):
            line = p.stdout.readline()
        if not line:
            raise RuntimeError(f"container {i} exited before it was ready:\n{p.communicate()[0][-2000:]}")
    before = len([r for r in sf.requests if r.path.startswith("/services/oauth2/token")])
    released = time.perf_counter()
    for p in processes:
        assert p.stdin
        p.stdin.write("GO\n")
        p.stdin.flush()
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    wall_s = time.perf_counter() - released
    grants = len([r for r in sf.requests if r.path.startswith("/services/oauth2/token")]) - before
    totals = dict.fromkeys(COUNTERS, 0.0)
    invoke_s, errors = [], []
    for out in outputs:
        for name, value in _metrics(out).items():
            totals[name] += value
        bench = [line for line in out.splitlines() if line.startswith("BENCH ")]
        report = json.loads(bench[-1][6:]) if bench else {"error": "no report", "invoke_s": None}
        if report.get("error"):
            errors.append(report["error"])
        if report.get("invoke_s") is not None:
            invoke_s.append(report["invoke_s"])
    return {
        "function": function,
        "containers": n,
        "store": "on" if store else "off",
        "grants": grants,
        "store_reads": int(totals["TokenStoreReads"]),
        "secret_reads": int(totals["SecretReads"]),
        "waited_for_grant": int(totals["TokenGrantWaits"]),
        "store_unavailable": int(totals["TokenStoreUnavailable"]),
        "failed": len(errors),
        "errors": sorted(set(errors))[:5],
        "first_invocation_s": {
            "min": min(invoke_s, default=0.0),
            "median": statistics.median(invoke_s) if invoke_s else 0.0,
            "max": max(invoke_s, default=0.0),
        },
        "burst_wall_s": wall_s,
        "budget_s": budget_s(n),
        "target_grants": 1 if store else None,
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    head = ("function", "N", "store", "grants", "store reads", "secret reads", "waited", "store errors", "failed")
    print(" | ".join(head) + " | first invocation s (min/median/max) | time limit s | target")
    for r in rows:
        t = r["first_invocation_s"]
        target = "1 grant: " + ("met" if r["grants"] == 1 else "NOT met") if r["store"] == "on" else "-"
        print(
            f"{r['function']} | {r['containers']} | {r['store']} | {r['grants']} | {r['store_reads']} | "
            f"{r['secret_reads']} | {r['waited_for_grant']} | {r['store_unavailable']} | {r['failed']} | "
            f"{t['min']:.2f}/{t['median']:.2f}/{t['max']:.2f} | {r['budget_s']:.0f} | {target}"
        )
        for e in r["errors"]:
            print(f"    error: {e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localdev.bench_token_burst",
        description="Release N cold containers of a flow function at once against the local stand-ins and count "
        "the token grants, shared-token reads and secret reads they cost.",
        epilog="Exit status: 0 every invocation answered, 1 an invocation failed, 2 bad arguments.",
    )
    parser.add_argument("--containers", type=int, nargs="+", default=[20, 50], help="burst sizes (default 20 50)")
    parser.add_argument("--function", choices=tuple(HANDLERS), default="CreateMessagingSession")
    parser.add_argument(
        "--store", choices=("on", "off", "both"), default="both", help="shared token store (default both)"
    )
    parser.add_argument("--json", action="store_true", help="print the bursts as JSON")
    args = parser.parse_args(argv)
    if any(n < 1 or n > 500 for n in args.containers):
        parser.error("--containers: each burst size must be 1..500")

    from localdev.standins import Standins

    modes = {"on": [True], "off": [False], "both": [False, True]}[args.store]
    rows = []
    xray = XRayDaemonStandin()
    try:
        _progress("starting the stand-ins")
        with Standins.start() as standins:
            for store in modes:
                for n in args.containers:
                    _progress(f"  {args.function}: {n} cold containers, shared token store {'on' if store else 'off'}")
                    rows.append(burst(standins, args.function, n, store, xray.address))
    except RuntimeError as exc:
        print(f"bench_token_burst: {exc}", file=sys.stderr)
        return 1
    finally:
        xray.stop()
    if args.json:
        print(json.dumps({"bursts": rows}, indent=2))
    else:
        print_table(rows)
    return 1 if any(r["failed"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["burst", "main"]

"""Benchmark of the two flow Lambdas in a Lambda-like environment, each figure against a floor of the same run.

::

    python -m localdev.bench_handlers [--runs 7] [--warm 200] [--tracing off|on|both] [--latency-ms 0] [--json]

Every measured process runs with the variables Lambda sets (``LAMBDA_TASK_ROOT``, ``AWS_LAMBDA_FUNCTION_NAME``,
``AWS_LAMBDA_INITIALIZATION_TYPE=on-demand``, ``AWS_EXECUTION_ENV=AWS_Lambda_python3.12``, ``_X_AMZN_TRACE_ID``)
and the template's (``SALESFORCE_*``, ``POWERTOOLS_*``, tracing on or off as the ``Tracing`` stack parameter
sets it), against the local stand-ins (Salesforce emulator over HTTPS with keep-alive, moto). With tracing on,
an X-Ray daemon stand-in (UDP on 127.0.0.1) counts the segments the functions emit.

For CreateMessagingSession and Routing, with the floor each is compared to:

``import``
    a fresh process importing the handler (Lambda's init phase) vs ``python -c "import boto3, requests"``.
    Target ≤ 1.00.
``cold``
    a fresh process importing the handler and answering one invocation (a cold container's first call) vs a
    process that imports boto3 and requests and sends one HTTPS POST of the function's main request.
    Target ≤ 1.50. The token path each cold process took is printed: ``grant`` (secret read + JWT bearer grant)
    or ``shared`` (a shared-token hit: no grant). One uncounted cold process runs first, so that a shared token
    store, when the stack has one, already holds a token.
``peak``
    the peak memory (RSS) of those two processes. Target ≤ 1.20.
``warm p50`` / ``warm p95``
    warm invocations of the handler vs a bare ``requests.Session().post`` of the same request body, in the
    same process, interleaved. Target ≤ 1.10 at p50. ``--latency-ms`` adds a network's round trip to both.

Whole-process times are measured from start to exit by this process; ratios are taken pair by pair (A and
floor run in turn) and printed as min / median / max. Loopback times show the code's own cost; against a
real org add the network round trips. Exit status: 0 when it ran (targets are reported, not enforced), 2 on
bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = {
    "CreateMessagingSession": ("connect_omni.handlers.create_messaging_session", "create-messaging-session"),
    "Routing": ("connect_omni.handlers.routing", "routing"),
}
TARGETS = {"import": 1.00, "cold": 1.50, "peak": 1.20, "warm p50": 1.10}
#: An X-Ray trace header as Lambda sets it for a sampled invocation.
TRACE_HEADER = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"

_CONTEXT = """
class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:111122223333:function:bench"
    def __init__(self):
        import time, uuid
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + 8.0
    def get_remaining_time_in_millis(self):
        import time
        return int((self._deadline - time.monotonic()) * 1000)
"""

#: A cold container: import the handler, answer the first event (BENCH_EVENT), report.
COLD_CHILD = (
    _CONTEXT
    + """
import importlib, json, os, time
t0 = time.perf_counter()
handler = importlib.import_module(os.environ["BENCH_MODULE"]).lambda_handler
t1 = time.perf_counter()
answer = handler(json.loads(os.environ["BENCH_EVENT"]), Context())
t2 = time.perf_counter()
print("BENCH " + json.dumps({"import_s": t1 - t0, "invoke_s": t2 - t1, "answer": sorted(answer)}))
"""
)

#: The floor of a cold container: import what every function needs and send one HTTPS POST.
FLOOR_CHILD = """
import boto3, requests, json, os
r = requests.post(os.environ["BENCH_URL"], data=os.environ["BENCH_BODY"].encode(),
                  headers=json.loads(os.environ["BENCH_HEADERS"]), timeout=10)
print("BENCH " + json.dumps({"status": r.status_code}))
"""

#: Warm invocations interleaved with the bare POST floor, in one container.
WARM_CHILD = (
    _CONTEXT
    + """
import importlib, json, os, time, requests
plan = json.load(open(os.environ["BENCH_PLAN"]))
handler = importlib.import_module(os.environ["BENCH_MODULE"]).lambda_handler
handler(plan["first_event"], Context())
floor = requests.Session()
ours, bare = [], []
for event, body in zip(plan["events"], plan["floor_bodies"]):
    t = time.perf_counter(); answer = handler(event, Context()); ours.append(time.perf_counter() - t)
    assert answer, "the handler answered nothing"
    t = time.perf_counter()
    r = floor.post(plan["floor_url"], data=body.encode(), headers=plan["floor_headers"], timeout=10)
    bare.append(time.perf_counter() - t)
    assert r.status_code < 300, r.status_code
print("BENCH " + json.dumps({"ours_s": ours, "floor_s": bare}))
"""
)


@dataclass
class Run:
    """One finished process: wall seconds (start to reaped), peak RSS (MiB), what it printed after BENCH."""

    wall_s: float
    peak_mib: float
    report: dict[str, Any]


#: A small process that starts each measured process and reaps it with ``os.wait4``. Linux carries a process's
#: peak RSS across ``execve``, and a child spawned by this (large) benchmark process would report the
#: benchmark's own peak: spawned from this launcher (``python -S``, a few MiB), it reports its own.
LAUNCHER = r"""
import json, os, select, sys, time
for line in sys.stdin:
    job = json.loads(line)
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    pid = os.posix_spawn(sys.executable, [sys.executable, "-c", job["code"]], job["env"], file_actions=[
        (os.POSIX_SPAWN_CLOSE, read_fd), (os.POSIX_SPAWN_DUP2, write_fd, 1), (os.POSIX_SPAWN_DUP2, write_fd, 2)])
    os.close(write_fd)
    out, deadline, killed = [], time.monotonic() + job["timeout"], False
    while True:
        ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, 9)
            killed = True
            break
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        out.append(chunk)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    os.close(read_fd)
    text = b"".join(out).decode(errors="replace")
    bench = [l for l in text.splitlines() if l.startswith("BENCH ")]
    print(json.dumps({"wall_s": wall, "maxrss_kib": usage.ru_maxrss, "exit": os.waitstatus_to_exitcode(status),
                      "killed": killed, "bench": bench[-1][6:] if bench else None, "tail": text[-3000:]}), flush=True)
"""


class Launcher:
    """Starts measured processes through :data:`LAUNCHER` (see there why); one per benchmark run."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-E", "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )

    def run(self, code: str, env: dict[str, str], timeout_s: float = 60.0) -> Run:
        """Run ``python -c code`` with exactly ``env``; its wall time from start to exit and its peak RSS.

        Raises
        ------
        RuntimeError
            The process failed, timed out or printed no ``BENCH`` line (its output's end is included).
        """
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"code": code, "env": env, "timeout": timeout_s}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if answer["killed"]:
            raise RuntimeError(f"benchmark process timed out after {timeout_s} s:\n{answer['tail']}")
        if answer["exit"] or answer["bench"] is None:
            raise RuntimeError(f"benchmark process failed (exit {answer['exit']}):\n{answer['tail']}")
        return Run(answer["wall_s"], answer["maxrss_kib"] / 1024, json.loads(answer["bench"]))

    def close(self) -> None:
        """End the launcher (it exits when its input closes)."""
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)


# ------------------------------------------------------------------------------------------- statistics


def spread(values: list[float]) -> dict[str, float]:
    """min / median / max of ``values``."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


@dataclass
class Figure:
    """One measured quantity of one function next to its floor; ``unit`` is ``s``, ``ms`` or ``MiB``."""

    function: str
    tracing: str
    name: str
    unit: str
    ours: list[float]
    floor: list[float]
    ratios: list[float]
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> float | None:
        return TARGETS.get(self.name)

    def as_dict(self) -> dict[str, Any]:
        ratio = spread(self.ratios)
        target = self.target
        return {
            "function": self.function,
            "tracing": self.tracing,
            "figure": self.name,
            "unit": self.unit,
            "ours": spread(self.ours),
            "floor": spread(self.floor),
            "ratio": ratio,
            "target": target,
            "met": None if target is None else ratio["median"] <= target,
            "note": self.note,
            **self.extra,
        }


# ------------------------------------------------------------------------------------------- environment


class XRayDaemonStandin:
    """A UDP socket on 127.0.0.1 that counts the segment documents the X-Ray SDK sends (and drops them)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.segments = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="xray-standin", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self.segments += data.count(b'"trace_id"')

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def lambda_environment(standins_env: dict[str, str], service: str, tracing: bool, xray: str) -> dict[str, str]:
    """The variables a deployed function sees (Lambda's, the template's), pointed at the stand-ins."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(ROOT / "src"),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_LAMBDA_FUNCTION_NAME": f"bench-{service}",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_LOG_FORMAT": "Text",
        "_X_AMZN_TRACE_ID": TRACE_HEADER,
        "AWS_XRAY_DAEMON_ADDRESS": xray,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        # template.yaml Globals and per-function variables
        "SESSION_CREATION_MODE": "conversation",
        "ROUTING_MAP_CACHE_TTL_SECONDS": "300",
        "POWERTOOLS_METRICS_NAMESPACE": "ConnectOmniChannel",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
    }
    env.update({k: v for k, v in standins_env.items() if k not in ("POWERTOOLS_SERVICE_NAME",)})
    return env


TOKEN_PATH = "/services/oauth2/token"


def token_path(paths: list[str]) -> str:
    """How a cold process got its token, from the Salesforce requests it sent: ``grant`` (a JWT bearer grant)
    or ``shared`` (none: the shared token store had one)."""
    return "grant" if TOKEN_PATH in paths else "shared"


# ------------------------------------------------------------------------------------------- scenarios


def _flow_event(contact_id: str, attributes: dict[str, str], parameters: dict[str, str]) -> dict[str, Any]:
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "ContactId": contact_id,
                "InitialContactId": contact_id,
                "Channel": "CHAT",
                "InitiationMethod": "API",
                "Attributes": attributes,
            },
            "Parameters": parameters,
        },
    }


class Scenario:
    """Events and floor requests for one function against the running stand-ins."""

    def __init__(self, standins: Any, function: str) -> None:
        self.standins = standins
        self.function = function
        sf = standins.salesforce
        self.token = sf.issue_token()
        self.headers = {
            "Authorization": f"Bearer {self.token}",
            "OrgId": sf.org_id_15,
            "AuthorizationContext": standins.authorization_context,
            "Content-Type": "application/json",
            "RequestId": str(uuid.uuid4()),
        }
        path = "/api/v1/conversation" if function == "CreateMessagingSession" else "/api/v1/route"
        self.url = f"{sf.base_url}{path}"

    def _conversation(self) -> str:
        import requests

        client = str(uuid.uuid4())
        response = requests.post(
            f"{self.standins.salesforce.base_url}/api/v1/conversation",
            json=self._conversation_body(client),
            headers=self.headers,
            verify=self.standins.salesforce.ca_file,
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["conversationIdentifier"]

    def _conversation_body(self, client_id: str) -> dict[str, Any]:
        return {
            "channelAddressIdentifier": self.standins.channel_address_identifier,
            "participants": [{"subject": client_id, "role": "EndUser", "appType": "custom"}],
        }

    def event(self) -> dict[str, Any]:
        """A flow event for a new chat (CreateMessagingSession) or a new conversation to route (Routing)."""
        contact = str(uuid.uuid4())
        if self.function == "CreateMessagingSession":
            return _flow_event(contact, {"channelAddressIdentifier": self.standins.channel_address_identifier}, {})
        return _flow_event(contact, {"conversationIdentifier": self._conversation()}, {"routingType": "Initial"})

    def floor_body(self) -> str:
        """The body of the function's main request, for the floor's bare POST."""
        if self.function == "CreateMessagingSession":
            return json.dumps(self._conversation_body(str(uuid.uuid4())))
        return json.dumps({"conversationIdentifier": self._conversation(), "routingType": "Initial"})


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(
    standins: Any,
    launcher: Launcher,
    function: str,
    tracing: bool,
    runs: int,
    warm: int,
    xray: XRayDaemonStandin,
    latency_ms: float = 0.0,
) -> list[Figure]:
    """Every figure of one function with tracing on or off (see the module docstring)."""
    module, service = HANDLERS[function]
    mode = "on" if tracing else "off"
    env = lambda_environment(standins.env, service, tracing, xray.address)
    env["BENCH_MODULE"] = module
    scenario = Scenario(standins, function)
    floor_env = dict(env, BENCH_URL=scenario.url, BENCH_HEADERS=json.dumps(scenario.headers))
    import_code = f"import {module}\nprint('BENCH {{}}')"
    floor_import = "import boto3, requests\nprint('BENCH {}')"
    sf = standins.salesforce

    imports, import_floors = [], []
    colds, cold_floors = [], []
    paths: list[list[str]] = []
    # One cold process first, not counted: with a shared token store it leaves a token there, so the measured
    # cold processes take the path of a fleet that already has one (a shared-token hit); without a store each
    # grants its own.
    launcher.run(COLD_CHILD, dict(env, BENCH_EVENT=json.dumps(scenario.event())))
    for i in range(runs):
        _progress(f"  {function}, tracing {mode}: cold processes {i + 1}/{runs}")
        imports.append(launcher.run(import_code, env))
        import_floors.append(launcher.run(floor_import, env))
        event = json.dumps(scenario.event())  # (Routing's creates its conversation: not the function's request)
        before = len(sf.requests)
        cold = launcher.run(COLD_CHILD, dict(env, BENCH_EVENT=event))
        paths.append([r.path.split("?")[0] for r in sf.requests[before:]])
        floor = launcher.run(FLOOR_CHILD, dict(floor_env, BENCH_BODY=scenario.floor_body()))
        if floor.report["status"] >= 300:
            raise RuntimeError(f"the floor's POST got HTTP {floor.report['status']}")
        colds.append(cold)
        cold_floors.append(floor)
    figures = [
        Figure(
            function,
            mode,
            "import",
            "s",
            [r.wall_s for r in imports],
            [r.wall_s for r in import_floors],
            [a.wall_s / b.wall_s for a, b in zip(imports, import_floors, strict=True)],
            note='fresh process importing the handler vs python -c "import boto3, requests"',
        ),
        Figure(
            function,
            mode,
            "cold",
            "s",
            [r.wall_s for r in colds],
            [r.wall_s for r in cold_floors],
            [a.wall_s / b.wall_s for a, b in zip(colds, cold_floors, strict=True)],
            note="first invocation of a fresh process; floor: import boto3, requests + one HTTPS POST",
            extra={
                "token_path": ", ".join(f"{k} x{n}" for k, n in sorted(Counter(token_path(p) for p in paths).items())),
                "salesforce_requests": sorted({" ".join(p) for p in paths}),
                "handler_import_s": spread([r.report["import_s"] for r in colds]),
                "handler_invoke_s": spread([r.report["invoke_s"] for r in colds]),
            },
        ),
        Figure(
            function,
            mode,
            "peak",
            "MiB",
            [r.peak_mib for r in colds],
            [r.peak_mib for r in cold_floors],
            [a.peak_mib / b.peak_mib for a, b in zip(colds, cold_floors, strict=True)],
            note="peak RSS of the cold process vs the floor process",
        ),
    ]

    _progress(f"  {function}, tracing {mode}: {warm} warm invocations and {warm} bare POSTs")
    plan = {
        "first_event": scenario.event(),
        "events": [scenario.event() for _ in range(warm)],
        "floor_bodies": [scenario.floor_body() for _ in range(warm)],
        "floor_url": scenario.url,
        "floor_headers": scenario.headers,
    }
    plan_file = Path(standins.salesforce.state_dir) / f"bench-{function}-{mode}.json"
    plan_file.write_text(json.dumps(plan))
    before_requests, before_connections = len(sf.requests), sf.connections_accepted
    if latency_ms:
        sf.delay("/api/v1", latency_ms / 1000.0)  # both the function's call and the floor's POST
    try:
        warm_run = launcher.run(WARM_CHILD, dict(env, BENCH_PLAN=str(plan_file)), timeout_s=600)
    finally:
        sf.clear_faults()
    per_call = (len(sf.requests) - before_requests - 1) / max(1, 2 * warm)  # rough: ours + floor, first excluded
    ours = [s * 1000 for s in warm_run.report["ours_s"]]
    bare = [s * 1000 for s in warm_run.report["floor_s"]]
    for name, q in (("warm p50", 0.50), ("warm p95", 0.95)):
        figures.append(
            Figure(
                function,
                mode,
                name,
                "ms",
                [percentile(ours, q)],
                [percentile(bare, q)],
                [percentile(ours, q) / percentile(bare, q)],
                note=f"{warm} warm invocations vs {warm} bare requests.Session().post of the same body"
                + (f", {latency_ms:g} ms added to every Salesforce answer" if latency_ms else ", loopback"),
                extra={
                    "added_latency_ms": latency_ms,
                    "connections_opened": sf.connections_accepted - before_connections,
                    "requests_per_call": round(per_call, 2),
                },
            )
        )
    return figures


def _fmt(values: dict[str, float], unit: str) -> str:
    scale, digits = (1000.0, 0) if unit == "s" else (1.0, 2 if unit == "ms" else 1)
    shown = "ms" if unit == "s" else unit
    parts = [f"{values[k] * scale:.{digits}f}" for k in ("min", "median", "max")]
    return f"{'/'.join(parts)} {shown}"


def print_table(figures: list[dict[str, Any]]) -> None:
    """Human-readable figures: ours and the floor as min/median/max, the ratio, the target."""
    print(
        f"{'function':23} {'tracing':7} {'figure':9} {'ours min/med/max':>24} {'floor min/med/max':>24} "
        f"{'ratio min/med/max':>19} {'target':>7}"
    )
    for f in figures:
        ratio = "/".join(f"{f['ratio'][k]:.2f}" for k in ("min", "median", "max"))
        target = "" if f["target"] is None else f"≤ {f['target']:.2f} {'met' if f['met'] else 'NOT met'}"
        print(
            f"{f['function']:23} {f['tracing']:7} {f['figure']:9} {_fmt(f['ours'], f['unit']):>24} "
            f"{_fmt(f['floor'], f['unit']):>24} {ratio:>19} {target:>7}"
        )
    for f in figures:
        if f["figure"] == "cold":
            print(
                f"  {f['function']} (tracing {f['tracing']}) cold: token path {f['token_path']}; Salesforce "
                f"requests {f['salesforce_requests']}; in-process import {_fmt(f['handler_import_s'], 's')}, "
                f"first invocation {_fmt(f['handler_invoke_s'], 's')}"
            )
        if f["figure"] == "warm p50":
            print(
                f"  {f['function']} (tracing {f['tracing']}) warm: {f['connections_opened']} connection(s) "
                f"opened for all warm calls and floor POSTs (keep-alive)"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localdev.bench_handlers",
        description="Cold start, peak memory and warm path of the flow Lambdas in a Lambda-like environment, "
        "each against a floor measured in the same run (min/median/max and ratios).",
        epilog="Figures and targets are described in the module docstring (pydoc localdev.bench_handlers). "
        "Exit status: 0 ran (targets are reported, not enforced), 1 a measurement failed, 2 bad arguments.",
    )
    parser.add_argument("--runs", type=int, default=7, help="paired cold processes per figure (default 7)")
    parser.add_argument("--warm", type=int, default=200, help="warm invocations per function (default 200)")
    parser.add_argument("--tracing", choices=("off", "on", "both"), default="both", help="default both")
    parser.add_argument(
        "--function", choices=(*HANDLERS, "all"), default="all", help="which function to measure (default all)"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="add this much to every Salesforce answer during the warm figures, for the function and the floor "
        "alike (default 0: loopback, the code's own overhead)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warm < 1 or args.latency_ms < 0:
        parser.error("--runs and --warm must be at least 1, --latency-ms at least 0")

    from localdev.standins import Standins

    functions = list(HANDLERS) if args.function == "all" else [args.function]
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.tracing]
    figures: list[Figure] = []
    _progress("starting the stand-ins")
    xray = XRayDaemonStandin()
    launcher = Launcher()
    try:
        with Standins.start() as standins:
            for tracing in modes:
                for function in functions:
                    figures.extend(
                        measure(standins, launcher, function, tracing, args.runs, args.warm, xray, args.latency_ms)
                    )
    except RuntimeError as exc:
        print(f"bench_handlers: {exc}", file=sys.stderr)
        return 1
    finally:
        launcher.close()
        xray.stop()
    rows = [f.as_dict() for f in figures]
    if args.json:
        print(json.dumps({"figures": rows, "xray_segments_received": xray.segments}, indent=2))
        return 0
    print_table(rows)
    print(f"X-Ray daemon stand-in received {xray.segments} segment(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: Amazon Connect contact records (CTRs) into Salesforce, ContactTraceRecordFunction against SCC-AC's
one-invocation-per-record scheme, both measured in the same run against the Salesforce emulator.

::

    python -m localdev.bench_ctr [--ctrs 1000] [--batch-size 500] [--delay-ms 50] [--runs 3] [--json]

Starts the local stand-ins (:mod:`localdev.standins`), makes every Salesforce REST response (``/services/data``)
``--delay-ms`` late (a network round trip), grants the Salesforce token before timing, and in each run sends
``--ctrs`` new chat CTRs of the stand-ins' call center through:

(a) **ours**: ``connect_omni.handlers.contact_trace_record.lambda_handler`` on Kinesis events of ``--batch-size``
    records (the template's ``BatchSize``), in the environment Lambda gives it (``LAMBDA_TASK_ROOT``,
    ``AWS_LAMBDA_FUNCTION_NAME``, ``POWERTOOLS_SERVICE_NAME``); per batch one SOQL read of the stored versions and
    one sObject Collections upsert per 200 records;
(b) **SCC-AC's scheme**, modelled: its Kinesis reader decodes only ``Records[0]`` of a batch, so it stores every CTR
    only with batches of one, and for each CTR it invokes (asynchronously) its ContactTraceRecord Lambda, which reads
    the Salesforce secret from Secrets Manager and upserts that one record. The model does, per CTR: the same decode
    and filter, one Secrets Manager read (moto), and a one-record upsert through the same adapter and HTTP session as
    (a). The two Lambda invocations per CTR are counted, not timed (their start-up and Lambda's own latency would
    come on top): the model favours SCC-AC.

The floor, measured in each run: one Salesforce round trip (a one-record upsert, median of 20). Wall times are printed
in seconds and as multiples of the floor, min / median / max over the runs, with the ratio SCC-AC / ours.

Exit status: 0 when every CTR of every run was stored by both schemes, 1 otherwise, 2 for bad options, 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OBJECT = "awsac__SCC_ContactTraceRecord__c"
FLOOR_SAMPLES = 20


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _delay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected milliseconds >= 0, got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (``--help`` prints it and exits 0; bad options exit 2)."""
    parser = argparse.ArgumentParser(
        prog="python -m localdev.bench_ctr",
        description="Send Connect contact records (CTRs) into the local Salesforce emulator through "
        "ContactTraceRecordFunction and through a model of SCC-AC's one-invocation-per-record scheme; print "
        "Salesforce requests, Lambda invocations, Secrets Manager reads and wall time (min/median/max over the "
        "runs, and as multiples of one Salesforce round trip measured in the same run).",
        epilog="Exit status 0 when both schemes stored every CTR, 1 otherwise, 2 for bad options.",
    )
    parser.add_argument("--ctrs", type=_positive, default=1000, help="CTRs per run and scheme (default 1000)")
    parser.add_argument(
        "--batch-size", type=_positive, default=500, help="Kinesis records per invocation of ours (default 500)"
    )
    parser.add_argument(
        "--delay-ms", type=_delay, default=50.0, help="added to every Salesforce REST response (default 50)"
    )
    parser.add_argument("--runs", type=_positive, default=3, help="runs, for min/median/max (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    return parser.parse_args(argv)


@dataclass
class Scheme:
    """What one scheme did over the runs."""

    label: str
    wall_s: list[float] = field(default_factory=list)
    salesforce_requests: list[int] = field(default_factory=list)
    lambda_invocations: list[int] = field(default_factory=list)
    secret_reads: list[int] = field(default_factory=list)
    secret_read_s: list[float] = field(default_factory=list)
    not_stored: int = 0


def _stats(values: Sequence[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status."""
    args = parse_args(argv)
    if importlib_spec("connect_omni") is None:
        sys.path.insert(0, str(REPO_ROOT / "src"))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = run_benchmark(args, progress=lambda text: print(text, file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0 if result["ours"]["notStored"] == 0 and result["sccac"]["notStored"] == 0 else 1


def importlib_spec(name: str) -> Any:
    import importlib.util

    return importlib.util.find_spec(name)


def run_benchmark(args: argparse.Namespace, progress: Callable[[str], None]) -> dict[str, Any]:
    """Start the stand-ins, run both schemes ``args.runs`` times, return the figures (see :func:`render`)."""
    from localdev.demo import captured_handler_output
    from localdev.standins import Standins

    progress("starting the stand-ins...")
    logs = io.StringIO()  # the functions' log lines and metrics: written (that is part of the cost), not shown
    with Standins.start() as standins, standins.environment():
        os.environ.update(  # before connect_omni is imported: Powertools reads them then
            {
                "LAMBDA_TASK_ROOT": str(REPO_ROOT / "src"),
                "AWS_LAMBDA_FUNCTION_NAME": "ContactTraceRecordFunction",
                "POWERTOOLS_SERVICE_NAME": "contact-trace-record",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        with captured_handler_output(logs):
            return _measure(args, standins, progress)


def _measure(args: argparse.Namespace, standins: Any, progress: Callable[[str], None]) -> dict[str, Any]:
    """Both schemes, ``args.runs`` times, inside the stand-ins' environment; returns the figures."""
    from connect_omni import container
    from connect_omni.budget import Budget
    from connect_omni.handlers.contact_trace_record import lambda_handler
    from connect_omni.models.ctr import ContactTraceRecord
    from localdev.ctr_stream import chat_ctr, kinesis_record
    from localdev.flows.lambdas import FakeLambdaContext

    sf = standins.salesforce
    store = container.contact_records()
    secrets = standins.moto.client("secretsmanager")
    container.tokens().get(Budget.of_seconds(30))  # granted before timing, for both schemes
    sf.delay("/services/data", args.delay_ms / 1000.0)
    context_arn = "arn:aws:lambda:us-east-1:111122223333:function:ContactTraceRecordFunction"

    def new_ctrs() -> list[dict[str, Any]]:
        ended = datetime.now(UTC) - timedelta(minutes=2)
        return [
            chat_ctr(
                str(uuid.uuid4()),
                instance_arn=standins.instance_arn,
                call_center_id=standins.call_center_id,
                ended=ended,
                queue_arn=standins.queues[0].connect_queue_arn,
                attributes={"channelAddressIdentifier": standins.channel_address_identifier},
            )
            for _ in range(args.ctrs)
        ]

    def stored(ctrs: list[dict[str, Any]]) -> int:
        ids = {r["awsac__ContactId__c"] for r in sf.records(OBJECT)}
        return sum(c["ContactId"] in ids for c in ctrs)

    def floor_s() -> float:
        samples = []
        for ctr in new_ctrs()[:FLOOR_SAMPLES]:
            fields = ContactTraceRecord.model_validate(ctr).salesforce_fields()
            began = time.perf_counter()
            store.upsert([fields], Budget.of_seconds(30))
            samples.append(time.perf_counter() - began)
        return statistics.median(samples)

    def ours(ctrs: list[dict[str, Any]], scheme: Scheme) -> None:
        records = [kinesis_record(c) for c in ctrs]
        batches = [records[i : i + args.batch_size] for i in range(0, len(records), args.batch_size)]
        before = len(sf.requests)
        began = time.perf_counter()
        for batch in batches:
            answer = lambda_handler({"Records": batch}, FakeLambdaContext(context_arn, 60))
            if answer["batchItemFailures"]:
                raise RuntimeError(f"ours reported failures: {answer['batchItemFailures'][:3]}")
        scheme.wall_s.append(time.perf_counter() - began)
        scheme.salesforce_requests.append(len(sf.requests) - before)
        scheme.lambda_invocations.append(len(batches))
        scheme.secret_reads.append(0)  # warm: the token was granted, the secret is read only to grant one
        scheme.not_stored += len(ctrs) - stored(ctrs)

    def sccac(ctrs: list[dict[str, Any]], scheme: Scheme) -> None:
        call_center = os.environ["CALL_CENTER_ID"]
        secret_id = os.environ["SALESFORCE_SECRET_ID"]
        before = len(sf.requests)
        invocations = reads = 0
        secret_s = 0.0
        began = time.perf_counter()
        for ctr in ctrs:
            # Its Kinesis reader, on a batch of one: Records[0] decoded, the SCCAC / call center check.
            invocations += 1
            payload = json.loads(base64.b64decode(kinesis_record(ctr)["kinesis"]["data"]))
            attributes = payload.get("Attributes") or {}
            if attributes.get("source") != "SCCAC" or attributes.get("callCenterId") != call_center:
                continue
            # Its ContactTraceRecord Lambda, invoked with {"message": payload}: the secret, then one upsert.
            invocations += 1
            read_began = time.perf_counter()
            secrets.get_secret_value(SecretId=secret_id)
            secret_s += time.perf_counter() - read_began
            reads += 1
            fields = ContactTraceRecord.model_validate(payload).salesforce_fields()
            store.upsert([fields], Budget.of_seconds(30))
        scheme.wall_s.append(time.perf_counter() - began)
        scheme.salesforce_requests.append(len(sf.requests) - before)
        scheme.lambda_invocations.append(invocations)
        scheme.secret_reads.append(reads)
        scheme.secret_read_s.append(secret_s)
        scheme.not_stored += len(ctrs) - stored(ctrs)

    a = Scheme("(a) ours: ContactTraceRecordFunction")
    b = Scheme("(b) SCC-AC: one invocation per record")
    floors: list[float] = []
    for run in range(1, args.runs + 1):
        floors.append(floor_s())
        order = [(ours, a), (sccac, b)] if run % 2 else [(sccac, b), (ours, a)]
        for fn, scheme in order:
            fn(new_ctrs(), scheme)
        progress(
            f"run {run}/{args.runs}: ours {a.wall_s[-1]:.2f} s, SCC-AC {b.wall_s[-1]:.2f} s, "
            f"round trip {floors[-1] * 1000:.1f} ms"
        )

    def figures(scheme: Scheme) -> dict[str, Any]:
        in_floors = [w / f for w, f in zip(scheme.wall_s, floors, strict=True)]
        return {
            "label": scheme.label,
            "salesforceRequests": _stats(scheme.salesforce_requests),
            "lambdaInvocations": _stats(scheme.lambda_invocations),
            "secretsManagerReads": _stats(scheme.secret_reads),
            "wallS": _stats(scheme.wall_s),
            "wallInRoundTrips": _stats(in_floors),
            "secretReadsWallS": _stats(scheme.secret_read_s or [0.0]),
            "notStored": scheme.not_stored,
        }

    return {
        "ctrs": args.ctrs,
        "batchSize": args.batch_size,
        "delayMs": args.delay_ms,
        "runs": args.runs,
        "roundTripMs": {k: v * 1000 for k, v in _stats(floors).items()},
        "ours": figures(a),
        "sccac": figures(b),
        "ratio": {
            "salesforceRequests": statistics.median(b.salesforce_requests) / statistics.median(a.salesforce_requests),
            "wall": _stats([sb / sa for sa, sb in zip(a.wall_s, b.wall_s, strict=True)]),
        },
    }


def render(result: dict[str, Any]) -> str:
    """The figures as a table."""

    def mmm(stats: dict[str, float], fmt: str) -> str:
        return " / ".join(format(stats[k], fmt) for k in ("min", "median", "max"))

    rt = result["roundTripMs"]
    lines = [
        f"{result['ctrs']} CTRs per scheme and run, batches of {result['batchSize']} for ours, "
        f"{result['delayMs']:.0f} ms added to each Salesforce response (emulator), {result['runs']} runs",
        f"floor: one Salesforce round trip (one-record upsert) = {mmm(rt, '.1f')} ms (min / median / max)",
        "",
        f"{'scheme':40} {'SF requests':>11} {'Lambda invocations':>18} {'secret reads':>12}  "
        f"{'wall s (min / median / max)':>28}  {'in round trips':>22}",
    ]
    for key in ("ours", "sccac"):
        s = result[key]
        lines.append(
            f"{s['label']:40} {s['salesforceRequests']['median']:>11.0f} {s['lambdaInvocations']['median']:>18.0f} "
            f"{s['secretsManagerReads']['median']:>12.0f}  {mmm(s['wallS'], '.2f'):>28}  "
            f"{mmm(s['wallInRoundTrips'], '.0f'):>22}"
        )
    ratio = result["ratio"]
    lines.append(
        f"(b) includes {mmm(result['sccac']['secretReadsWallS'], '.2f')} s of Secrets Manager reads (moto, loopback)"
    )
    lines += [
        "",
        f"SCC-AC / ours: {ratio['salesforceRequests']:.0f}x the Salesforce requests, "
        f"{mmm(ratio['wall'], '.1f')}x the wall time (min / median / max over the runs)",
    ]
    not_stored = result["ours"]["notStored"] + result["sccac"]["notStored"]
    if not_stored:
        lines.append(f"NOT STORED: ours {result['ours']['notStored']}, SCC-AC {result['sccac']['notStored']}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

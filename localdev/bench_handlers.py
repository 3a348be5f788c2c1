"""Benchmark of the two flow Lambdas: start-up cost and Salesforce round trips per invocation.

``python -m localdev.bench_handlers [--warm N]`` prints, for CreateMessagingSession and Routing:

- import time of the handler module in a fresh interpreter (median of 5; the Lambda init phase),
- the first (cold) invocation: wall time, Salesforce requests, Secrets Manager reads,
- warm invocations: p50 / p95 wall time and Salesforce requests and Secrets Manager reads per invocation,

against the local stand-ins (Salesforce emulator over HTTPS on 127.0.0.1, moto). Times on loopback show the
code's own cost; against a real org add the network round trips counted here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = {
    "CreateMessagingSession": "connect_omni.handlers.create_messaging_session",
    "Routing": "connect_omni.handlers.routing",
}


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:111122223333:function:bench"

    def __init__(self, budget_ms: int = 8000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + budget_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def import_ms(module: str, runs: int = 5) -> float:
    """Median wall time (ms) to import ``module`` in a fresh interpreter."""
    code = f"import time; t=time.perf_counter(); import {module}; print((time.perf_counter()-t)*1000)"
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "POWERTOOLS_TRACE_DISABLED": "1"},
        )
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def _event(contact_id: str, attributes: dict, parameters: dict) -> dict:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.bench_handlers", description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=50, help="warm invocations per function (default 50)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    from localdev.standins import Standins

    figures: dict[str, dict] = {}
    for name, module in HANDLERS.items():
        figures[name] = {"import_ms": round(import_ms(module), 1)}
    figures["simple_salesforce (lazy, Routing's first SOQL)"] = {"import_ms": round(import_ms("simple_salesforce"), 1)}

    with Standins.start() as standins, standins.environment():
        from connect_omni import container
        from connect_omni.handlers import create_messaging_session, routing
        from connect_omni.observability import logger

        logger.setLevel("WARNING")  # figures, not the handlers' info lines
        channel = {"channelAddressIdentifier": standins.channel_address_identifier}
        sessions = [
            (cid, create_messaging_session.lambda_handler(_event(cid, channel, {}), _Context()))
            for cid in (str(uuid.uuid4()) for _ in range(args.warm + 1))
        ]

        secret_reads = 0
        original_loader = container._load_credentials

        def counting_loader(*args):
            nonlocal secret_reads
            secret_reads += 1
            return original_loader(*args)

        container._load_credentials = counting_loader
        emulator = standins.salesforce
        try:
            for name, handler in (
                ("CreateMessagingSession", create_messaging_session.lambda_handler),
                ("Routing", routing.lambda_handler),
            ):
                container.reset()
                samples, requests_per_call, reads_per_call = [], [], []
                for i, (contact, session) in enumerate(sessions):
                    if name == "CreateMessagingSession":
                        event = _event(str(uuid.uuid4()), channel, {})
                    else:
                        event = _event(contact, session, {"routingType": "Initial"})
                    before_requests, before_reads = len(emulator.requests), secret_reads
                    started = time.perf_counter()
                    answer = handler(event, _Context())
                    elapsed = (time.perf_counter() - started) * 1000
                    if not answer:
                        raise SystemExit(f"{name} answered nothing")
                    sent = len(emulator.requests) - before_requests
                    if i == 0:
                        figures[name]["first_invocation"] = {
                            "ms": round(elapsed, 1),
                            "salesforce_requests": sent,
                            "paths": [r.path.split("?")[0] for r in emulator.requests[before_requests:]],
                            "secrets_manager_reads": secret_reads - before_reads,
                        }
                    else:
                        samples.append(elapsed)
                        requests_per_call.append(sent)
                        reads_per_call.append(secret_reads - before_reads)
                samples.sort()
                figures[name]["warm"] = {
                    "invocations": len(samples),
                    "p50_ms": round(statistics.median(samples), 2),
                    "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
                    "salesforce_requests_per_invocation": sorted(set(requests_per_call)),
                    "secrets_manager_reads_per_invocation": sorted(set(reads_per_call)),
                }
        finally:
            container._load_credentials = original_loader

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for name, data in figures.items():
        print(f"{name}: import {data['import_ms']} ms")
        if "first_invocation" in data:
            first, warm = data["first_invocation"], data["warm"]
            print(
                f"  first invocation: {first['ms']} ms, {first['salesforce_requests']} Salesforce requests "
                f"({', '.join(first['paths'])}), {first['secrets_manager_reads']} Secrets Manager read(s)"
            )
            print(
                f"  warm x{warm['invocations']}: p50 {warm['p50_ms']} ms, p95 {warm['p95_ms']} ms, Salesforce "
                f"requests/invocation {warm['salesforce_requests_per_invocation']}, Secrets Manager reads/"
                f"invocation {warm['secrets_manager_reads_per_invocation']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: uploading a transcript, our scheme against SCC-AC's, in the same run.

::

    python -m localdev.bench_transcripts [--messages 200 1000] [--delay-ms 50] [--runs 3] [--concurrency 8] [--json]

Starts the local stand-ins (:mod:`localdev.standins`: Salesforce emulator, moto S3/Secrets Manager, Connect
stand-in), makes every ``/api/v1`` response of the emulator ``--delay-ms`` late, and for chats of ``--messages``
text messages (customer, one bot, SYSTEM) measures, ``--runs`` times each, the wall time, the Salesforce
requests and what Salesforce refused of:

(a) ours: :func:`connect_omni.transcripts.ingest_contact` end to end (contact attributes, S3, Establish
    Conversation, deterministic batches of ``HISTORY_BATCH_SIZE``: the newest alone, then the rest newest first,
    ``--concurrency`` at a time);
(a') ours again for the same contact (a redelivered event: every batch comes back 10073, nothing is added);
(b) SCC-AC's scheme, the floor: the same reads and session, then batches of five sent oldest first, three
    requests at a time (each round waits for its three).

Printed per size: min/median/max wall seconds of each, the ratio (a)/(b) taken run by run (target ≤ 0.50), the
requests, the duplicates and rejections, and the highest request rate reached (Salesforce's documented ceiling is
far above: 2,000 requests per second). The Salesforce token is granted once before timing, so no run pays for
it. Exit status: 0 ran (targets are reported, not enforced), 1 a run failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HISTORY_PATH = "/api/v1/conversationHistory"


def _import_src() -> None:
    try:
        import connect_omni  # noqa: F401
    except ModuleNotFoundError:
        sys.path.insert(0, str(REPO_ROOT / "src"))


def make_transcript(contact_id: str, instance_id: str, n: int) -> tuple[dict, datetime]:
    """``n`` text messages, one per second, ending a minute ago; customer / bot / customer / SYSTEM."""
    roles = [("CUSTOMER", "cust", "Jane"), ("CUSTOM_BOT", "bot", "BOT"), ("CUSTOMER", "cust", "Jane")]
    roles.append(("SYSTEM", "system", "SYSTEM_MESSAGE"))
    end = datetime.now(UTC) - timedelta(minutes=1)
    start = end - timedelta(seconds=n)
    items = []
    for k in range(n):
        role, pid, name = roles[k % len(roles)]
        at = start + timedelta(seconds=k)
        items.append(
            {
                "AbsoluteTime": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
                "Content": f"message {k}",
                "ContentType": "text/plain",
                "Id": str(uuid.uuid4()),
                "Type": "MESSAGE",
                "ParticipantId": f"{pid}-{contact_id[:8]}",
                "DisplayName": name,
                "ParticipantRole": role,
            }
        )
    doc = {
        "Version": "2019-08-26",
        "AWSAccountId": "111122223333",
        "InstanceId": instance_id,
        "InitialContactId": contact_id,
        "ContactId": contact_id,
        "Participants": [],
        "Transcript": items,
    }
    return doc, start


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localdev.bench_transcripts",
        description="Transcript upload, ours against SCC-AC's scheme (batches of 5, 3 at a time, oldest first), "
        "in the same run against the local stand-ins.",
        epilog="Exit status: 0 ran (the target, ours <= 0.50 x SCC-AC's wall time, is reported, not enforced), "
        "1 a run failed, 2 bad arguments.",
    )
    parser.add_argument("--messages", type=int, nargs="+", default=[200, 1000], help="sizes (default 200 1000)")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="added to every /api/v1 answer (default 50)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each scheme and size (default 3)")
    parser.add_argument("--concurrency", type=int, help="HISTORY_CONCURRENCY for ours (default: the setting's, 10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if (
        min(args.messages) < 1
        or args.runs < 1
        or args.delay_ms < 0
        or (args.concurrency is not None and args.concurrency < 1)
    ):
        parser.error("--messages, --runs and --concurrency must be at least 1, --delay-ms at least 0")

    _import_src()
    from connect_omni import container
    from connect_omni.aws.contact_attributes import get_contact_attributes, instance_id_of
    from connect_omni.budget import Budget
    from connect_omni.messaging import SessionRequest, open_messaging_session
    from connect_omni.models.transcript import Transcript
    from connect_omni.observability import logger
    from connect_omni.transcripts import ContactRef, Dependencies, history_request, ingest_contact, plan_history
    from localdev.standins import Standins

    logger.setLevel("WARNING")  # figures on stdout, not the function's info lines

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    progress("starting the stand-ins")
    results: list[dict] = []
    with Standins.start() as s, s.environment() as env:
        if args.concurrency:
            os.environ["HISTORY_CONCURRENCY"] = str(args.concurrency)
            container.reset()
        concurrency = container.settings().history_concurrency
        sf = s.salesforce
        s3 = container.aws_client("s3")
        instance_id = instance_id_of(env["CONNECT_INSTANCE_ARN"])
        attributes = {"channelAddressIdentifier": s.channel_address_identifier, "callCenterId": s.call_center_id}

        def new_contact(n: int) -> tuple[str, datetime]:
            contact_id = str(uuid.uuid4())
            s.connect.put_contact(contact_id, attributes, disconnected=True)
            transcript, started = make_transcript(contact_id, instance_id, n)
            key = f"{env['CHAT_TRANSCRIPTS_PREFIX']}/{started:%Y/%m/%d}/{contact_id}_{started:%Y%m%dT%H%M}_UTC.json"
            s3.put_object(Bucket=env["CHAT_TRANSCRIPTS_BUCKET"], Key=key, Body=json.dumps(transcript).encode())
            return contact_id, started

        container.tokens().get(Budget.of_seconds(30))  # granted before timing
        sf.delay("/api/v1", args.delay_ms / 1000.0)

        def measure(run) -> dict:
            before = len(sf.requests)
            t0 = time.perf_counter()
            detail = run()
            wall = time.perf_counter() - t0
            sent = sf.requests[before:]
            history = [r for r in sent if r.path == HISTORY_PATH]
            refused = [r for r in history if (r.status or 0) >= 400]
            return {
                "wall_s": wall,
                "requests": len(sent),
                "history_requests": len(history),
                "history_refused": len(refused),
                "history_requests_per_s": len(history) / wall if wall else 0.0,
                **detail,
            }

        def ours(ref: ContactRef) -> dict:
            summary = ingest_contact(ref, Budget.of_seconds(600))
            return {
                "uploaded": summary.get("uploaded"),
                "duplicates": summary.get("duplicates"),
                "rejected": summary.get("rejected"),
                "status": summary.get("status"),
            }

        def scc_ac(contact_id: str, started: datetime) -> dict:
            deps = Dependencies.from_container()
            budget = Budget.of_seconds(600)
            attrs = get_contact_attributes(deps.connect, instance_id, contact_id)
            request = SessionRequest.from_values(
                attrs.get("channelAddressIdentifier"), attrs.get("clientId"), initial_contact_id=contact_id
            )
            found = deps.store.wait_for(contact_id, (started.date(),), budget, deps.poll)
            plan = plan_history(Transcript.parse(found.body), request.client_id)
            open_messaging_session(deps.salesforce, request, budget)
            oldest_first = list(reversed(plan.messages))
            batches = [oldest_first[i : i + 5] for i in range(0, len(oldest_first), 5)]
            failures = 0
            with ThreadPoolExecutor(max_workers=3) as pool:
                for i in range(0, len(batches), 3):
                    bodies = [
                        history_request(request.channel_address_identifier, b, plan.participants)
                        for b in batches[i : i + 3]
                    ]
                    futures = [pool.submit(deps.salesforce.add_conversation_history, b, budget) for b in bodies]
                    for future in futures:
                        try:
                            future.result()
                        except Exception:
                            failures += 1
            return {"uploaded": sum(len(b) for b in batches) - 5 * failures, "duplicates": 0, "rejected": failures}

        try:
            for n in args.messages:
                rows: dict[str, list[dict]] = {"ours": [], "ours_redelivered": [], "scc_ac": []}
                for run in range(args.runs):
                    progress(f"{n} messages: run {run + 1}/{args.runs}")
                    contact_a, started_a = new_contact(n)
                    ref = ContactRef(contact_a, contact_a, (started_a.date(), started_a.date() + timedelta(days=1)))
                    contact_b, started_b = new_contact(n)
                    # alternate which goes first, so a drift of the machine's speed hits both alike
                    runs = [
                        ("ours", functools.partial(ours, ref)),
                        ("scc_ac", functools.partial(scc_ac, contact_b, started_b)),
                    ]
                    for name, job in runs[::-1] if run % 2 else runs:
                        rows[name].append(measure(job))
                    rows["ours_redelivered"].append(measure(functools.partial(ours, ref)))
                ratios = [a["wall_s"] / b["wall_s"] for a, b in zip(rows["ours"], rows["scc_ac"], strict=True)]
                results.append(
                    {
                        "messages": n,
                        "delay_ms": args.delay_ms,
                        "concurrency": concurrency,
                        "schemes": {
                            name: {
                                "wall_s": _spread([r["wall_s"] for r in runs]),
                                "requests": sorted({r["requests"] for r in runs}),
                                "history_requests": sorted({r["history_requests"] for r in runs}),
                                "history_refused": sorted({r["history_refused"] for r in runs}),
                                "uploaded": sorted({r["uploaded"] for r in runs}),
                                "duplicates": sorted({r["duplicates"] for r in runs}),
                                "rejected": sorted({r["rejected"] for r in runs}),
                                "peak_history_requests_per_s": max(r["history_requests_per_s"] for r in runs),
                            }
                            for name, runs in rows.items()
                        },
                        "ratio_ours_to_scc_ac": _spread(ratios),
                        "target": 0.5,
                        "met": statistics.median(ratios) <= 0.5,
                    }
                )
        except Exception as exc:  # a failed run: say which and stop
            print(f"bench_transcripts: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1

    if args.json:
        print(json.dumps({"figures": results}, indent=2))
        return 0
    labels = {
        "ours": "(a)  ours: newest alone, then newest first",
        "ours_redelivered": "(a') ours, same event redelivered",
        "scc_ac": "(b)  SCC-AC: 5 per batch, 3 at a time, oldest first",
    }
    for r in results:
        print(
            f"\n{r['messages']} messages, {r['delay_ms']:g} ms per Salesforce answer, HISTORY_CONCURRENCY "
            f"{r['concurrency']}, {args.runs} run(s)"
        )
        print(
            f"{'scheme':52} {'wall s min/med/max':>20} {'requests':>8} {'history':>7} {'refused':>7} "
            f"{'uploaded':>8} {'dupl.':>5} {'rejected':>8} {'peak req/s':>10}"
        )
        for name, label in labels.items():
            d = r["schemes"][name]
            wall = "/".join(f"{d['wall_s'][k]:.2f}" for k in ("min", "median", "max"))

            def one(values: list) -> str:
                return "/".join(str(v) for v in values)

            print(
                f"{label:52} {wall:>20} {one(d['requests']):>8} {one(d['history_requests']):>7} "
                f"{one(d['history_refused']):>7} {one(d['uploaded']):>8} {one(d['duplicates']):>5} "
                f"{one(d['rejected']):>8} {d['peak_history_requests_per_s']:>10.0f}"
            )
        ratio = "/".join(f"{r['ratio_ours_to_scc_ac'][k]:.2f}" for k in ("min", "median", "max"))
        print(f"ratio (a)/(b) min/median/max {ratio}  target <= 0.50 {'met' if r['met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

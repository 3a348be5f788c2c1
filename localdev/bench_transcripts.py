"""Benchmark: uploading a 200-message transcript, our scheme against SCC-AC's.

::

    python -m localdev.bench_transcripts [--messages 200] [--delay-ms 50]

Starts the local stand-ins (:mod:`localdev.standins`: Salesforce emulator, moto S3/Secrets Manager, Connect
stand-in), makes every ``/api/v1`` response of the emulator ``--delay-ms`` late, and for one chat of
``--messages`` text messages (customer, one bot, SYSTEM) prints the number of Salesforce requests and the wall
time of:

(a) ours: :func:`connect_omni.transcripts.ingest_contact` end to end (contact attributes, S3, Establish
    Conversation, deterministic batches of ``HISTORY_BATCH_SIZE`` sent one at a time, newest first);
(a') ours again for the same contact (a redelivered event: every batch comes back 10073, nothing is added);
(b) SCC-AC's scheme: the same reads and session, then batches of five sent oldest first, three requests at a
    time concurrently (each round waits for its three).

The Salesforce token is granted once before timing, so neither run pays for it. The Salesforce endpoint is the
emulator the stand-ins start (``SALESFORCE_SCRT_URL`` in their environment).
"""

from __future__ import annotations

import argparse
import json
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.bench_transcripts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    args = parser.parse_args(argv)

    _import_src()
    from connect_omni import container
    from connect_omni.aws.contact_attributes import get_contact_attributes, instance_id_of
    from connect_omni.budget import Budget
    from connect_omni.messaging import SessionRequest, open_messaging_session
    from connect_omni.models.connect import ContactFlowEvent
    from connect_omni.models.transcript import Transcript
    from connect_omni.transcripts import ContactRef, Dependencies, history_request, ingest_contact, plan_history
    from localdev.standins import Standins

    with Standins.start() as s, s.environment() as env:
        sf = s.salesforce
        s3 = container.aws_client("s3")
        instance_id = instance_id_of(env["CONNECT_INSTANCE_ARN"])
        attributes = {"channelAddressIdentifier": s.channel_address_identifier, "callCenterId": s.call_center_id}

        def new_contact() -> tuple[str, datetime]:
            contact_id = str(uuid.uuid4())
            s.connect.put_contact(contact_id, attributes, disconnected=True)
            transcript, started = make_transcript(contact_id, instance_id, args.messages)
            key = f"{env['CHAT_TRANSCRIPTS_PREFIX']}/{started:%Y/%m/%d}/{contact_id}_{started:%Y%m%dT%H%M}_UTC.json"
            s3.put_object(Bucket=env["CHAT_TRANSCRIPTS_BUCKET"], Key=key, Body=json.dumps(transcript).encode())
            return contact_id, started

        # Grant the token before timing.
        container.tokens().get(Budget.of_seconds(30))
        sf.delay("/api/v1", args.delay_ms / 1000.0)
        rows = []

        def measure(label: str, run) -> None:
            before = len(sf.requests)
            t0 = time.perf_counter()
            detail = run()
            wall = time.perf_counter() - t0
            sent = sf.requests[before:]
            history = [r for r in sent if r.path == HISTORY_PATH]
            rows.append((label, len(sent), len(history), wall, detail))

        contact_a, started_a = new_contact()
        ref = ContactRef(contact_a, contact_a, (started_a.date(), started_a.date() + timedelta(days=1)))

        def ours() -> str:
            summary = ingest_contact(ref, Budget.of_seconds(300))
            return f"uploaded={summary.get('uploaded')} duplicates={summary.get('duplicates')}"

        measure("(a)  ours, sequential newest first", ours)
        measure("(a') ours, same event redelivered", ours)

        contact_b, started_b = new_contact()

        def scc_ac() -> str:
            deps = Dependencies.from_container()
            budget = Budget.of_seconds(300)
            attrs = get_contact_attributes(deps.connect, instance_id, contact_b)
            flow_event = {"Details": {"ContactData": {"ContactId": contact_b, "Attributes": attrs}}}
            request = SessionRequest.from_event(ContactFlowEvent.model_validate(flow_event))
            found = deps.store.wait_for(contact_b, (started_b.date(),), budget, deps.poll)
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
            return f"batches={len(batches)} failed={failures}"

        measure("(b)  SCC-AC, 3 concurrent, oldest first", scc_ac)

    print(f"{args.messages} messages, {args.delay_ms:.0f} ms per Salesforce response (emulator)")
    print(f"{'scheme':42} {'requests':>8} {'history':>8} {'wall s':>8}  detail")
    for label, total, history, wall, detail in rows:
        print(f"{label:42} {total:>8} {history:>8} {wall:>8.2f}  {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m localdev.demo``: the default run, the bot-only hook, a failing run, option errors.

The demo starts its own stand-ins (unique moto names, so they live alongside other stand-ins in this process).
"""

from __future__ import annotations

import json

import pytest

from localdev import demo


def test_default_run_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--json", "--attribute", "clientId=customer-42"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True
    runs = {r["run"]: r for r in out["runs"]}
    assert list(runs) == ["inbound", "agent-transfer", "queue-transfer"]
    inbound, agent, queue = runs.values()
    assert inbound["queue"] == out["queues"]["Support"]
    assert agent["queue"] == "agent:jdoe"
    assert queue["queue"] == out["queues"]["Sales"]
    assert [(r["method"], r["path"], r["status"]) for r in inbound["salesforceRequests"]] == [
        ("POST", "/services/oauth2/token", 200),
        ("POST", "/api/v1/conversation", 202),
        ("POST", "/api/v1/route", 202),
        ("GET", "/services/data/v62.0/query/", 200),
    ]
    assert [(r["method"], r["path"]) for r in agent["salesforceRequests"]] == [("POST", "/api/v1/route")]
    [conversation] = inbound["salesforceRecords"]["conversations"]
    assert conversation["endUserSubject"] == "customer-42"
    assert inbound["attributes"]["psrId"] == inbound["salesforceRecords"]["psrs"][0]["id"]
    assert agent["contact"]["previousContactId"] == inbound["contact"]["contactId"]
    assert queue["contact"]["previousContactId"] == agent["contact"]["contactId"]
    assert {agent["contact"]["initialContactId"], queue["contact"]["initialContactId"]} == {
        inbound["contact"]["contactId"]
    }
    assert [psr["routingType"] for r in out["runs"] for psr in r["salesforceRecords"]["psrs"]] == [
        "Initial",
        "Transfer",
        "Transfer",
    ]


def test_trace_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--flow", "inbound", "--fault", "/api/v1/conversation:400:2"]) == 0
    text = capsys.readouterr().out
    assert "create-messaging-session     InvokeLambdaFunction           → NoMatchingError" in text
    assert "POST  /api/v1/conversation" in text and "400  injected fault" in text
    assert "  ok    inbound chat             queued to Support queue" in text
    assert "total wall time" in text
    assert '{"level"' not in text  # handler log lines are captured, not printed raw


def test_failed_run_exits_1_without_a_traceback(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    # Omni-Channel routes to an unmapped Omni-Queue although the demo was told "queue": the chat lands in the
    # fallback queue, not the mapped one, and nothing injected explains it.
    real = demo.set_routing
    monkeypatch.setattr(demo, "set_routing", lambda standins, routing: real(standins, "unmapped"))
    assert demo.main(["--flow", "inbound"]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "  FAIL  inbound chat             queued to fallback queue" in captured.out
    assert "expected queued to Support queue" in captured.out


def test_the_expected_outcome_follows_the_injected_fault(capsys: pytest.CaptureFixture[str]) -> None:
    # Salesforce rejects every try: disconnecting the chat is the correct outcome, not a failed run.
    assert demo.main(["--flow", "inbound", "--fault", "/api/v1/conversation:400:always"]) == 0
    out = capsys.readouterr().out
    assert "  ok    inbound chat             disconnected" in out
    assert "every try of create-messaging-session (3) hit an injected Salesforce fail" in out


def test_a_routing_map_fault_expects_the_fallback_queue(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--flow", "inbound", "--fault", "/services/data:500:always", "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)["runs"]
    assert run["outcome"] == run["expected"] == f"queued to {run['queue']}"
    assert "CallCenterRoutingMap query hit an injected fault" in run["why"]


def test_blocks_are_printed_as_they_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each block line reaches stdout before the next Lambda call starts.
    seen: list[str] = []
    calls_seen_before: list[int] = []
    monkeypatch.setattr(demo, "SLOW_CALL_S", 3600.0)
    real_call = demo.DemoInvoker.__call__

    def spy(self, function_arn, event, timeout_s):
        calls_seen_before.append(sum("InvokeLambdaFunction" in line for line in seen))
        return real_call(self, function_arn, event, timeout_s)

    monkeypatch.setattr(demo.DemoInvoker, "__call__", spy)
    monkeypatch.setattr("builtins.print", lambda *a, **k: seen.append(" ".join(map(str, a))))
    assert demo.main(["--flow", "inbound"]) == 0
    assert calls_seen_before == [0, 1]  # the Routing call starts after CreateMessagingSession's line was out


def test_a_slow_lambda_call_prints_progress(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setattr(demo, "SLOW_CALL_S", 0.0)
    assert demo.main(["--flow", "inbound"]) == 0
    assert "… RoutingFunction still running after 0 s (the block waits up to 8 s)" in capsys.readouterr().out


def test_queue_transfer_explains_its_queue(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    assert "why this queue       the quick connect's queue" in out
    assert "this flow does not use it" in out  # Routing answered the Support queue, the chat is in Sales


def test_compare_shows_the_arn_it_tests(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--flow", "task"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "$.Attributes.queueId = " in line)
    assert "= 'arn:aws:connect:" in line and "(Support queue)" in line


def test_bot_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--bot-only", "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)["runs"]
    assert run["run"] == "bot-only"
    summary = run["ingestion"]["summary"]
    assert (summary["status"], summary["uploaded"]) == ("ingested", 5)
    assert [r["path"] for r in run["salesforceRequests"]][-1] == "/api/v1/conversationHistory"


@pytest.mark.parametrize(
    "argv",
    [["--fault", "/api/v1/route:200"], ["--fault", "api/v1/route:503"], ["--attribute", "x"], ["--delay", "/x:y"]],
)
def test_bad_options_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        demo.parse_args(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_options() -> None:
    options = demo.parse_args(["--fault", "/api/v1/conversation:503:2", "--delay", "/api/v1/route:9:always"])
    assert options.flows == ["inbound", "agent-transfer", "queue-transfer"]
    assert options.faults == [("/api/v1/conversation", 503, 2)]
    assert options.delays == [("/api/v1/route", 9.0, None)]
    assert demo.parse_args(["--bot-only"]).flows == []
    assert demo.parse_args(["--flow", "task", "--bot-only"]).flows == ["task"]


def test_bot_only_without_transcript_ingestion(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(demo, "TRANSCRIPT_HANDLER", "connect_omni.handlers.no_such_module")
    assert demo.main(["--bot-only"]) == 0
    out = capsys.readouterr().out
    assert "transcript ingestion is not available" in out


def test_contact_records_after_the_chats(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--contact-records", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    runs = {r["run"]: r for r in out["runs"]}
    assert list(runs) == ["inbound", "agent-transfer", "queue-transfer", "contact-record"]
    run = runs["contact-record"]
    assert (run["outcome"], run["ok"]) == ("stored", True)
    chats = [runs[k]["contact"]["contactId"] for k in ("inbound", "agent-transfer", "queue-transfer")]
    # four stream records: the inbound chat's earlier copy, then each contact's record
    assert [r["contactId"] for r in run["contactRecords"]["records"]] == [chats[0], *chats]
    assert run["contactRecords"]["answer"] == {"batchItemFailures": []}
    assert (run["contactRecords"]["summary"]["stored"], run["contactRecords"]["summary"]["superseded"]) == (3, 1)
    stored = {r["awsac__ContactId__c"]: r for r in run["salesforceRecords"]["contactTraceRecords"]}
    assert set(stored) == set(chats)
    assert stored[chats[0]]["awsac__AfterContactWorkDuration__c"] == 28  # the newer copy of the inbound chat
    assert stored[chats[1]]["awsac__PreviousContactId__c"] == chats[0]
    assert stored[chats[0]]["awsac__QueueARN__c"] == out["queues"]["Support"]
    # one read of the stored versions and one upsert for the whole batch
    assert [(r["method"], r["path"].rstrip("/")) for r in run["salesforceRequests"]] == [
        ("GET", "/services/data/v62.0/query"),
        ("PATCH", "/services/data/v62.0/composite/sobjects/awsac__SCC_ContactTraceRecord__c/awsac__ContactId__c"),
    ]


def test_contact_records_alone_follow_an_inbound_chat(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.parse_args(["--contact-records", "--flow", "task"]).contact_records is True
    assert demo.main(["--contact-records", "--flow", "task"]) == 0
    text = capsys.readouterr().out
    assert "contact records · ContactTraceRecordFunction" in text
    assert "ContactTraceRecord " in text and "after-contact work 28 s" in text


def test_a_requeued_chat_keeps_one_contact_record_the_newer_copy(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--requeue", "--contact-records", "--json"]) == 0
    runs = {r["run"]: r for r in json.loads(capsys.readouterr().out)["runs"]}
    inbound, requeue, record = runs["inbound"], runs["requeue"], runs["contact-record"]
    assert inbound["contact"]["contactId"] == requeue["contact"]["contactId"]  # the same contact, re-queued
    assert record["contactRecords"]["summary"]["stored"] == 1
    [stored] = record["salesforceRecords"]["contactTraceRecords"]
    attributes = json.loads(stored["awsac__Attributes__c"])
    assert attributes["workItemId"] == requeue["attributes"]["workItemId"] != inbound["attributes"]["workItemId"]

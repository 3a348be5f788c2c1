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


def test_failed_run_exits_1_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--flow", "inbound", "--fault", "/api/v1/conversation:400:always"]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "  FAIL  inbound chat             disconnected" in captured.out
    assert "expected queued to Support queue" in captured.out


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

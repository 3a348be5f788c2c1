"""The localdev.flows command lines: --help only prints, exit codes 0/1/2, --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localdev.flows import check, diagram, run, template
from localdev.flows.model import FLOWS_DIR

INBOUND = str(FLOWS_DIR / "inbound-chat-flow.json")


@pytest.mark.parametrize("module", [check, diagram, template, run], ids=lambda m: m.__name__)
def test_help_prints_and_writes_nothing(module, monkeypatch, capsys) -> None:
    def no_writes(self: Path, *args: object, **kwargs: object) -> int:
        raise AssertionError(f"--help wrote {self}")

    monkeypatch.setattr(Path, "write_text", no_writes)
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m {module.__name__}")
    assert "Exit status" in out


@pytest.mark.parametrize("module", [check, diagram, template, run], ids=lambda m: m.__name__)
def test_unknown_option_is_a_usage_error(module, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        module.main([INBOUND, "--no-such-option"])
    assert exit_info.value.code == 2
    assert "--no-such-option" in capsys.readouterr().err


def test_run_prints_blocks_and_exits_0_on_a_terminal_state(capsys) -> None:
    assert run.main([INBOUND]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"flow: {INBOUND} (SCC-AC Sample Inbound Chat Flow; CONTACT_FLOW from Metadata.type), CHAT contact"
    )
    assert out[1].split() == ["1.", "enable-flow-logging", "UpdateFlowLoggingBehavior", "->", "Success"]
    # stubs answer {}: the session cannot be saved, the customer is told, the chat is disconnected
    assert "outcome: disconnected" in out
    assert out[-1] == 'attributes: {"channelAddressIdentifier": "00000000-0000-0000-0000-0000000000aa"}'


def test_run_lambda_stubs_reach_the_queue_as_json(capsys) -> None:
    session = json.dumps(
        {"conversationIdentifier": "c", "workItemId": "0Mw1", "source": "SCCAC", "callCenterId": "04v1"}
    )
    queue = "arn:aws:connect:us-east-1:111122223333:instance/i/queue/q"
    routed = json.dumps({"psrId": "0JR1", "externalQueueId": queue})
    code = run.main(
        [INBOUND, "--json", f"--lambda=CreateMessagingSessionFunction={session}", f"--lambda=RoutingFunction={routed}"]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["terminal"], result["queue"], result["outcome"]) == ("queued", queue, f"queued to {queue}")
    assert result["type"] == "CONTACT_FLOW" and result["type_source"] == "Metadata.type"
    assert result["path"][-1] == {
        "flow": "SCC-AC Sample Inbound Chat Flow",
        "depth": 0,
        "action": "transfer-to-queue",
        "type": "TransferContactToQueue",
        "branch": "end",
    }
    assert result["attributes"]["psrId"] == "0JR1"


def test_run_lambda_error_takes_the_error_branch(capsys) -> None:
    assert run.main([INBOUND, "--json", "--lambda", "CreateMessagingSessionFunction=error"]) == 0
    result = json.loads(capsys.readouterr().out)
    errors = [c["error"] for c in result["lambda_calls"]]
    failed = "LambdaError: CreateMessagingSessionFunction failed (--lambda CreateMessagingSessionFunction=error)"
    assert errors == [failed] * 3
    assert result["terminal"] == "disconnected"


def test_run_exits_1_when_the_run_stops_short(tmp_path, capsys) -> None:
    flow = tmp_path / "odd.json"
    flow.write_text(
        json.dumps(
            {
                "Version": "2019-10-30",
                "StartAction": "x",
                "Actions": [{"Identifier": "x", "Type": "SomethingNew", "Parameters": {}, "Transitions": {}}],
            }
        ),
        encoding="utf-8",
    )
    assert run.main([str(flow)]) == 1
    out = capsys.readouterr().out
    assert "outcome: cannot emulate action type SomethingNew (block x)   [not a terminal state]" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json"], "missing.json: cannot read: No such file or directory"),
        ([INBOUND, "--lambda", "F={not json"], "--lambda F: not JSON and not 'error'"),
        ([INBOUND, "--hours", "sometimes"], "--hours must be open, closed or HOURS=open|closed"),
        ([INBOUND, "--metric", "NumberOfAgentsAvailable=many"], "is not a number"),
    ],
)
def test_run_usage_and_unreadable_flow_exit_2(args: list[str], message: str, capsys) -> None:
    try:
        code = run.main(args)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


README = (FLOWS_DIR.parent / "README.md").read_text(encoding="utf-8")
README_EXAMPLES = [
    line.split("-m ", 1)[1].split()
    for line in README.splitlines()
    if line.startswith(".venv/bin/python -m localdev.flows.")
]


@pytest.mark.parametrize("command", README_EXAMPLES, ids=[" ".join(c[1:]) or c[0] for c in README_EXAMPLES])
def test_readme_examples_run_and_exit_0(command: list[str], capsys) -> None:
    module = {"localdev.flows.check": check, "localdev.flows.run": run}[command[0]]
    root = str(FLOWS_DIR.parent)
    args = [arg if not arg.startswith("contact_flows/") else f"{root}/{arg}" for arg in command[1:]]
    assert module.main(args) == 0
    out, err = capsys.readouterr()
    assert out or err.endswith("0 error(s), 0 warning(s)\n")


def test_the_readme_shows_both_tools() -> None:
    assert {c[0] for c in README_EXAMPLES} == {"localdev.flows.check", "localdev.flows.run"}
    assert any("--standins" in c for c in README_EXAMPLES)

"""Out of hours: the inbound flow answers the customer and ends the chat before anything reaches Salesforce.

The flow sets the working queue to its fallback queue and checks that queue's hours of operation (Check hours
of operation without a named schedule checks the working queue's), then creates the session only in hours.
"""

from __future__ import annotations

import json

import pytest

from localdev.demo import fallback_queue_arn
from localdev.flows import run as run_cli
from localdev.flows.model import FLOWS_DIR
from localdev.flows.runner import Scenario
from localdev.standins import Standins
from tests.flows.inbound_paths import MODULE_STEPS
from tests.scenarios.conftest import Runner

CLOSED = (
    "Thank you for your message. We're closed right now, so nobody can answer it; "
    "please write to us again during our opening hours."
)
OUT_OF_HOURS_PATH = [
    *MODULE_STEPS[:-1],  # everything up to the hours check, which is closed
    ("check-hours", "CheckHoursOfOperation", "Equals False"),
    ("closed-message", "MessageParticipant", "Success"),
    ("disconnect", "DisconnectParticipant", "end"),
]


def test_out_of_hours_creates_nothing_in_salesforce(standins: Standins, flow: Runner) -> None:
    # Given the queue's hours are closed
    contact = flow.chat(clientId="customer-42")
    # When a chat arrives
    result = flow("inbound", contact, scenario=Scenario(hours="closed"))
    # Then the customer is told, the chat ends, and Salesforce receives nothing at all
    assert result.path == OUT_OF_HOURS_PATH
    assert result.messages == [CLOSED]
    assert result.terminal == "disconnected"
    assert result.lambda_calls == []
    assert standins.salesforce.requests == []
    assert standins.salesforce.state["conversations"] == []
    assert standins.salesforce.state["sessions"] == []
    # the hours checked are the fallback queue's, set as the working queue just before
    assert any("hours of the working queue: closed" in text for _, text in result.notes)
    assert result.contact.queue == fallback_queue_arn(standins)


def test_in_hours_the_chat_goes_on_to_salesforce(standins: Standins, flow: Runner) -> None:
    result = flow("inbound", flow.chat(), scenario=Scenario(hours="open"))
    assert ("check-hours", "CheckHoursOfOperation", "Equals True") in result.path
    assert result.terminal == "queued"
    assert [r.path for r in standins.salesforce.requests if r.path.startswith("/api/")] == [
        "/api/v1/conversation",
        "/api/v1/route",
    ]


def test_a_failed_hours_check_does_not_lose_the_chat(standins: Standins, flow: Runner) -> None:
    # e.g. a queue without hours of operation: the block's error branch carries on as in hours
    result = flow("inbound", flow.chat(), scenario=Scenario(choices={"check-hours": "NoMatchingError"}))
    assert ("check-hours", "CheckHoursOfOperation", "NoMatchingError") in result.path
    assert result.terminal == "queued"


@pytest.mark.parametrize("hours", ["closed", "open"])
def test_runner_command_takes_hours(hours: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli.main([str(FLOWS_DIR / "inbound-chat-flow.json"), "--hours", hours, "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    if hours == "closed":
        assert result["messages"] == [CLOSED] and result["lambda_calls"] == []
    else:
        assert [c["function"].rsplit(":", 1)[-1] for c in result["lambda_calls"]][:1] == [
            "CreateMessagingSessionFunction"
        ]

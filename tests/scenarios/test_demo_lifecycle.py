"""The demo tells the rest of a chat's life: --requeue (the agent leaves, the disconnect flow runs) and
--hours closed (answered out of hours, nothing in Salesforce). Through localdev.demo.main, as scripts/demo.sh runs
it, asserting on its JSON."""

from __future__ import annotations

import json

import pytest

from localdev import demo


def _runs(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = demo.main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_requeue_gives_a_new_session_in_the_same_conversation(capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _runs(capsys, ["--requeue"])
    assert code == 0 and result["ok"] is True
    inbound, requeue = result["runs"]
    assert (inbound["run"], requeue["run"]) == ("inbound", "requeue")
    assert requeue["outcome"] == requeue["expected"] == inbound["outcome"]
    assert requeue["contact"]["contactId"] == inbound["contact"]["contactId"]
    assert requeue["before"][0].startswith(
        f"the agent ended the chat in Salesforce: MessagingSession {inbound['attributes']['workItemId']} is Ended"
    )
    before, after = inbound["attributes"], requeue["attributes"]
    assert after["conversationIdentifier"] == before["conversationIdentifier"]
    assert after["workItemId"] != before["workItemId"]
    (session,) = requeue["salesforceRecords"]["sessions"]
    assert (session["id"], session["status"]) == (after["workItemId"], "Active")
    assert session["conversationIdentifier"] == before["conversationIdentifier"]
    assert requeue["salesforceRecords"]["conversations"] == []  # no new Conversation
    (psr,) = requeue["salesforceRecords"]["psrs"]
    assert (psr["workItemId"], psr["routingType"]) == (after["workItemId"], "Initial")
    assert [(r["method"], r["path"]) for r in requeue["salesforceRequests"]] == [
        ("POST", "/api/v1/conversation"),
        ("POST", "/api/v1/route"),
    ]
    assert [c["function"] for c in requeue["lambdaCalls"]] == ["CreateMessagingSessionFunction", "RoutingFunction"]


def test_requeue_silent_customer_ends_the_chat(capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _runs(capsys, ["--requeue", "silent"])
    assert code == 0
    requeue = result["runs"][-1]
    assert requeue["outcome"] == "disconnected" and requeue["ok"]
    assert requeue["salesforceRequests"] == [] and requeue["lambdaCalls"] == []


def test_out_of_hours_sends_nothing_to_salesforce(capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _runs(capsys, ["--hours", "closed", "--flow", "inbound"])
    assert code == 0
    (inbound,) = result["runs"]
    assert inbound["outcome"] == inbound["expected"] == "disconnected"
    assert inbound["lambdaCalls"] == [] and inbound["salesforceRequests"] == []
    assert inbound["messages"][0].startswith("Thank you for your message. We're closed right now")
    assert ["check-hours", "Equals False"] in [[p["action"], p["branch"]] for p in inbound["path"]]


def test_requeue_trace_says_what_happened_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--requeue"]) == 0
    out = capsys.readouterr().out
    assert "re-queue · contact_flows/disconnect-flow.json" in out
    assert "the customer writes again within 15 minutes (CustomerReturned)" in out
    assert "(in the same Conversation); the ended" in out


def test_lifecycle_options() -> None:
    options = demo.parse_args(["--requeue"])
    assert (options.flows, options.requeue, options.hours) == (["inbound"], "returns", "open")
    assert demo.parse_args(["--requeue", "silent", "--flow", "all"]).flows == [
        "inbound",
        "agent-transfer",
        "queue-transfer",
    ]
    with pytest.raises(SystemExit) as exc:
        demo.parse_args(["--hours", "maybe"])
    assert exc.value.code == 2

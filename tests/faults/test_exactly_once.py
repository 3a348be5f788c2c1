"""Exactly one PSR per contact and routing type, one EntryInteraction per contact's session: the handlers on the
stand-ins (emulator + moto DynamoDB state table), with late commits, in one invocation and across the flow's retry.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from connect_omni import container
from connect_omni.errors import SalesforceUnavailableError
from localdev.standins import Standins
from tests.faults.flows import create_session, new_contact, route


@pytest.fixture
def env(standins: Standins) -> Iterator[Standins]:
    with standins.environment():
        yield standins


def methods(standins: Standins, path: str = "/api/v1/route") -> list[str]:
    return [r.method for r in standins.salesforce.requests_to(path)]


def session(env: Standins) -> tuple[str, str]:
    contact = new_contact()
    return contact, create_session(env, contact)["conversationIdentifier"]


def test_happy_path_is_one_round_trip(env):
    contact, conversation = session(env)
    answer = route(env, contact, conversation)
    assert methods(env) == ["POST"]
    assert env.salesforce.psr_counts() == {conversation: {"Initial": 1}}
    assert answer["psrId"].startswith("0JR")


def test_a_retry_after_success_replays_the_answer(env):
    contact, conversation = session(env)
    first = route(env, contact, conversation)
    container.reset()  # the flow's retry may land on another container
    again = route(env, contact, conversation)
    assert again == first
    assert methods(env) == ["POST"]
    assert env.salesforce.psr_counts() == {conversation: {"Initial": 1}}


@pytest.mark.parametrize("then", ["drop", "fail"])
def test_late_commit_in_one_invocation(env, then):
    contact, conversation = session(env)
    env.salesforce.late_commit("/api/v1/route", then=then)
    answer = route(env, contact, conversation)
    assert methods(env) == ["POST", "DELETE", "POST"]
    assert env.salesforce.psr_counts() == {conversation: {"Initial": 1}}
    assert answer["psrId"] == next(p["id"] for p in env.salesforce.state["psrs"] if p["status"] == "Pending")


def test_late_commit_across_the_flows_retry(env):
    contact, conversation = session(env)
    env.salesforce.late_commit("/api/v1/route", then="hang", seconds=30)
    with pytest.raises(SalesforceUnavailableError) as caught:
        route(env, contact, conversation, budget_ms=1500)
    assert caught.value.outcome_unknown
    assert env.salesforce.psr_counts() == {conversation: {"Initial": 1}}  # Salesforce made it after we gave up
    container.reset()
    answer = route(env, contact, conversation)
    assert methods(env) == ["POST", "DELETE", "POST"]
    assert env.salesforce.psr_counts() == {conversation: {"Initial": 1}}
    assert answer["psrId"]


def test_a_refused_route_leaves_no_claim(env):
    contact, conversation = session(env)
    env.salesforce.fail_next("/api/v1/route", 400, body={"code": 10032, "message": "Specified Queue ID is invalid."})
    with pytest.raises(Exception, match="10032"):
        route(env, contact, conversation)
    route(env, contact, conversation)
    assert methods(env) == ["POST", "POST"]  # certainly not done: no DELETE needed
    assert env.salesforce.psr_counts() == {conversation: {"Initial": 1}}


def test_transfer_after_acceptance_keeps_the_accepted_work(env):
    contact, conversation = session(env)
    route(env, contact, conversation)
    env.salesforce.accept_work(conversation)
    transfer = new_contact()
    env.salesforce.late_commit("/api/v1/route", then="drop")
    route(env, transfer, conversation, routing_type="Transfer")
    assert env.salesforce.psr_counts() == {conversation: {"Initial": 1, "Transfer": 1}}
    statuses = sorted(p["status"] for p in env.salesforce.state["psrs"])
    assert statuses == ["Accepted", "Deleted", "Pending"]


def test_without_the_state_table_the_in_process_rule_still_holds(env, monkeypatch):
    monkeypatch.delitem(os.environ, "STATE_TABLE_NAME")
    container.reset()
    contact, conversation = session(env)
    env.salesforce.late_commit("/api/v1/route", then="drop")
    route(env, contact, conversation)
    assert env.salesforce.psr_counts() == {conversation: {"Initial": 1}}


# ---------------------------------------------------------------------------------------------- /interactions


@pytest.fixture
def interactions_mode(env, monkeypatch) -> Standins:
    monkeypatch.setitem(os.environ, "SESSION_CREATION_MODE", "interactions")
    container.reset()
    return env


def interactions(standins: Standins) -> int:
    return sum(len(v) for v in standins.salesforce.state["interactions"].values())


def test_interaction_late_commit_in_one_invocation(interactions_mode):
    env = interactions_mode
    env.salesforce.late_commit("/api/v1/interactions", then="drop")
    answer = create_session(env, new_contact())
    assert interactions(env) == 1
    assert [r.path for r in env.salesforce.requests if r.path.startswith("/api/v1/")] == [
        "/api/v1/interactions",
        "/api/v1/conversation",
    ]
    assert answer["workItemId"] == env.salesforce.state["sessions"][0]["id"]


def test_interaction_late_commit_across_the_flows_retry(interactions_mode):
    env = interactions_mode
    contact = new_contact()
    env.salesforce.late_commit("/api/v1/interactions", then="hang", seconds=30)
    with pytest.raises(SalesforceUnavailableError):
        create_session(env, contact, budget_ms=3000)
    container.reset()
    answer = create_session(env, contact)
    assert interactions(env) == 1
    assert len(env.salesforce.requests_to("/api/v1/interactions")) == 1
    assert answer["workItemId"] == env.salesforce.state["sessions"][0]["id"]


def test_interaction_retry_after_success_sends_nothing(interactions_mode):
    env = interactions_mode
    contact = new_contact()
    first = create_session(env, contact)
    container.reset()
    assert create_session(env, contact) == first
    assert len(env.salesforce.requests_to("/api/v1/interactions")) == 1

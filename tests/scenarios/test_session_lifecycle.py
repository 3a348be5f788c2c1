"""A chat's MessagingSession after the agent ends it: the real CreateMessagingSession and Routing handlers
against the Salesforce emulator, in both ``SESSION_CREATION_MODE`` values and under each reading of what
Establish Conversation answers once the session has ended (:meth:`SalesforceEmulator.set_ended_session_answer`).

The rule under test: a contact that comes back to CreateMessagingSession with the ``workItemId`` of its
ended session (a chat re-queued by the disconnect flow) gets a **new** MessagingSession in the **same**
Conversation, never the ended one, and Routing then routes that new session.
"""

from __future__ import annotations

import os

import pytest

from connect_omni import container
from localdev.standins import Standins
from tests.scenarios.chat import Chat


@pytest.fixture(params=["conversation", "interactions"])
def mode(request: pytest.FixtureRequest, standins: Standins) -> str:
    os.environ["SESSION_CREATION_MODE"] = request.param  # restored by standins.environment()
    container.reset()
    return str(request.param)


@pytest.mark.parametrize("answer", ["new", "omit", "ended"])
def test_requeued_contact_gets_a_new_session_in_the_same_conversation(
    standins: Standins, mode: str, answer: str
) -> None:
    # Given a chat whose session was created and routed, then ended by the agent
    sf = standins.salesforce
    sf.set_ended_session_answer(answer)
    chat = Chat(standins)
    first = chat.create_session()
    chat.route()
    ended = first["workItemId"]
    assert sf.end_session(first["conversationIdentifier"]) == ended
    before = len(sf.requests)

    # When the re-queue flow runs CreateMessagingSession and Routing (Initial) again for the same contact
    second = chat.create_session()
    routed = chat.route()

    # Then a new, active session in the same conversation, and the new PSR routes it
    assert second["conversationIdentifier"] == first["conversationIdentifier"]
    assert second["workItemId"] != ended
    state = sf.state
    statuses = {s["id"]: s["status"] for s in state["sessions"]}
    assert statuses == {ended: "Ended", second["workItemId"]: "Active"}
    (conversation,) = state["conversations"]
    assert conversation["messagingSessionIds"] == [ended, second["workItemId"]]
    assert conversation["endUserSubject"] == chat.contact.initial_contact_id
    assert [p["workItemId"] for p in state["psrs"]] == [ended, second["workItemId"]]
    assert routed["psrId"] == state["psrs"][-1]["id"]

    # and the requests: Establish Conversation first in conversation mode, then an EntryInteraction whenever
    # Establish Conversation did not itself give a new session
    paths = [r.path for r in sf.requests[before:] if r.path.startswith("/api/v1/")]
    if mode == "interactions":
        assert paths == ["/api/v1/interactions", "/api/v1/route"]
    elif answer == "new":
        assert paths == ["/api/v1/conversation", "/api/v1/route"]
    else:
        assert paths == ["/api/v1/conversation", "/api/v1/interactions", "/api/v1/route"]
    for request in sf.requests_to("/api/v1/interactions"):
        assert request.status == 202  # no 10060: one UUID for the entry and its message
        payload = request.body["interactions"][0]["payload"]
        assert payload["id"] == payload["abstractMessage"]["id"]


def test_routing_the_ended_session_without_a_new_one_fails(standins: Standins) -> None:
    # Given a chat whose session the agent ended
    sf = standins.salesforce
    chat = Chat(standins)
    first = chat.create_session()
    sf.end_session(first["conversationIdentifier"])
    # When a flow re-queues it without CreateMessagingSession (what SCC-AC warns against)
    with pytest.raises(Exception, match="no active messaging session"):
        chat.route()
    # Then nothing is routed
    assert sf.state["psrs"] == []


def test_a_new_chat_of_a_known_end_user_keeps_the_conversation(standins: Standins, mode: str) -> None:
    # Given an end user (clientId) whose earlier chat's session was ended
    sf = standins.salesforce
    earlier = Chat(standins)
    earlier.attributes["clientId"] = "jane@example.com"
    first = earlier.create_session()
    sf.end_session(first["conversationIdentifier"])
    # When the same end user starts a new chat (a new contact, no workItemId yet)
    later = Chat(standins)
    later.attributes["clientId"] = "jane@example.com"
    second = later.create_session()
    # Then the same conversation and a new session (the documented reading: "new")
    assert second["conversationIdentifier"] == first["conversationIdentifier"]
    assert second["workItemId"] != first["workItemId"]
    assert {s["id"]: s["status"] for s in sf.state["sessions"]} == {
        first["workItemId"]: "Ended",
        second["workItemId"]: "Active",
    }

"""Connect event reading, the STRING_MAP answer, settings validation and the budget."""

from __future__ import annotations

import pytest

from connect_omni import budget as budget_module
from connect_omni.budget import Budget
from connect_omni.errors import BudgetExhaustedError, ConfigurationError, InputError
from connect_omni.messaging import SessionRequest
from connect_omni.models.connect import ContactFlowEvent, is_warmup, string_map
from connect_omni.settings import load_settings
from tests.clock import FakeClock
from tests.conftest import CHANNEL, LambdaContext, load_event


def test_value_prefers_parameters_and_ignores_blank():
    raw = load_event("create_messaging_session.json")
    raw["Details"]["Parameters"] = {"clientId": "  ", "channelAddressIdentifier": CHANNEL}
    raw["Details"]["ContactData"]["Attributes"]["clientId"] = "customer-42"
    event = ContactFlowEvent.parse(raw)
    assert event.value("clientId") == "customer-42"
    assert event.value("channelAddressIdentifier") == CHANNEL
    assert event.value("missing") is None


def test_session_request_defaults_client_to_initial_contact():
    raw = load_event("routing_transfer.json")  # a transferred contact: ContactId != InitialContactId
    raw["Details"]["Parameters"] = {}
    request = SessionRequest.from_event(ContactFlowEvent.parse(raw))
    assert request.client_id == "6c3f3a1e-5b7d-4d6e-9a7f-1b2c3d4e5f60"


@pytest.mark.parametrize("channel", ["REPLACE-WITH-CHANNEL-ADDRESS-IDENTIFIER", "", None])
def test_session_request_rejects_bad_channel(channel):
    raw = load_event("create_messaging_session.json")
    raw["Details"]["Parameters"] = {}
    raw["Details"]["ContactData"]["Attributes"] = {} if channel is None else {"channelAddressIdentifier": channel}
    with pytest.raises(InputError) as caught:
        SessionRequest.from_event(ContactFlowEvent.parse(raw))
    assert caught.value.field == "channelAddressIdentifier"


def test_client_id_too_long():
    raw = load_event("create_messaging_session.json")
    raw["Details"]["Parameters"]["clientId"] = "x" * 256
    with pytest.raises(InputError, match="clientId: expected at most 255 characters, got 256"):
        SessionRequest.from_event(ContactFlowEvent.parse(raw))


def test_string_map_leaves_out_empty_values():
    assert string_map({"a": "1", "b": None, "c": ""}) == {"a": "1"}


def test_warmup_detection():
    assert is_warmup(load_event("warmup.json"))
    assert not is_warmup(load_event("create_messaging_session.json"))


def test_settings_org_id_15(env):
    settings = load_settings()
    assert settings.org_id_15 == "00D5g000004ABCD"
    assert settings.token_url == "https://login.salesforce.com/services/oauth2/token"
    assert settings.session_creation_mode == "conversation"


def test_settings_errors_name_every_variable(env, monkeypatch):
    monkeypatch.delenv("CALL_CENTER_ID")
    monkeypatch.setenv("SALESFORCE_SCRT_URL", "http://insecure.example.com")
    monkeypatch.setenv("SALESFORCE_ORG_ID", "12345")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    for name in ("CALL_CENTER_ID", "SALESFORCE_SCRT_URL", "SALESFORCE_ORG_ID"):
        assert name in message


def test_budget_timeouts_and_exhaustion(monkeypatch):
    clock = FakeClock().install(monkeypatch)
    budget = Budget.of_seconds(3.0)
    clock.now += 0.5
    assert budget.timeouts(2.0, "op") == (2.0, 2.5)
    clock.now += 1.5
    assert budget.timeouts(2.0, "op") == (1.0, 1.0)  # the connect cap gives way to what is left
    clock.now += 0.95
    with pytest.raises(BudgetExhaustedError, match="op not attempted: 50 ms left"):
        budget.timeouts(2.0, "op")


@pytest.fixture
def fresh_container_clock(monkeypatch):
    """The budget module as a container that started initialising 7.5 s ago and has not been invoked."""
    clock = FakeClock().install(monkeypatch)
    monkeypatch.setattr(budget_module, "_invocation_started", False)
    monkeypatch.setattr(budget_module, "_CONTAINER_INIT_STARTED", clock.now - 7.5)
    return clock


@pytest.mark.parametrize(
    ("init_type", "expected_s"),
    [("on-demand", 7.5), ("provisioned-concurrency", 0.0), ("snap-start", 0.0), (None, 0.0)],
)
def test_init_time_is_taken_off_only_after_on_demand_init(monkeypatch, fresh_container_clock, init_type, expected_s):
    if init_type is None:
        monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    else:
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", init_type)
    init_s = budget_module.start_invocation()
    assert init_s == expected_s
    assert budget_module.start_invocation() == 0.0  # only the container's first invocation


def test_a_warm_up_ping_consumes_the_cold_start(monkeypatch, fresh_container_clock):
    # Given an on-demand container whose first invocation was a warm-up ping 7.5 s after init began
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    from connect_omni.handlers import create_messaging_session

    assert create_messaging_session.lambda_handler({"source": "aws.events"}, LambdaContext()) == {}
    # When the first real invocation comes: Then it gets its whole budget
    init_s = budget_module.start_invocation()
    assert init_s == 0.0

    class EightSecondsLeft:
        def get_remaining_time_in_millis(self) -> int:
            return 8000

    assert Budget.from_context(EightSecondsLeft(), 600, init_s).deadline == fresh_container_clock.now + 7.4


def test_empty_entry_interaction_uses_one_uuid_for_the_entry_and_its_message() -> None:
    # Salesforce error 10060 "Interaction ID and Message ID are mismatched" refuses two different ones
    import uuid

    from connect_omni.models.salesforce import empty_entry_interaction

    first = empty_entry_interaction(CHANNEL, "client-1", 1_700_000_000_000)
    second = empty_entry_interaction(CHANNEL, "client-1", 1_700_000_000_000)
    payload = first["interactions"][0]["payload"]
    assert payload["id"] == payload["abstractMessage"]["id"]
    assert uuid.UUID(payload["id"]).version == 4
    assert second["interactions"][0]["payload"]["id"] != payload["id"]  # a new one per interaction


def test_session_request_keeps_the_contacts_previous_work_item() -> None:
    event = load_event("create_messaging_session.json")
    assert SessionRequest.from_event(ContactFlowEvent.parse(event)).previous_work_item_id is None
    event["Details"]["ContactData"]["Attributes"]["workItemId"] = " 0Mw5g000000AbCdCAK "
    request = SessionRequest.from_event(ContactFlowEvent.parse(event))
    assert request.previous_work_item_id == "0Mw5g000000AbCdCAK"

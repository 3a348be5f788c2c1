"""The end-user rule CreateMessagingSession and the transcript ingestion share (messaging.choose_end_user)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connect_omni.messaging import SessionRequest, choose_end_user, customer_address, e164
from connect_omni.models.connect import ContactFlowEvent
from tests.conftest import CHANNEL, fuzz_examples, load_event

SMS = {"Type": "TELEPHONE_NUMBER", "Address": "+12065550100"}
INITIAL = "6c3f3a1e-5b7d-4d6e-9a7f-1b2c3d4e5f60"


@pytest.mark.parametrize(
    ("client_id", "subtype", "endpoint", "use", "expected"),
    [
        ("jane@example.com", "connect:SMS", SMS, True, ("jane@example.com", "clientId")),
        (" ", "connect:SMS", SMS, True, ("+12065550100", "customerAddress")),
        (
            None,
            "connect:WhatsApp",
            {"Type": "TELEPHONE_NUMBER", "Address": "+44 7700 900123"},
            True,
            ("+447700900123", "customerAddress"),
        ),
        (None, "connect:SMS", SMS, False, (INITIAL, "initialContactId")),  # END_USER_FROM_CUSTOMER_ADDRESS=false
        (None, "connect:Chat", None, True, (INITIAL, "initialContactId")),  # web chat
        (None, "connect:Chat", SMS, True, (INITIAL, "initialContactId")),  # web chat never, whatever the endpoint
        (None, None, SMS, True, (INITIAL, "initialContactId")),  # no subtype: not known to be messaging
        (None, "connect:SMS", {"Type": "EMAIL_ADDRESS", "Address": "a@b.c"}, True, (INITIAL, "initialContactId")),
        (
            None,
            "connect:SMS",
            {"Type": "TELEPHONE_NUMBER", "Address": "2065550100"},
            True,
            (INITIAL, "initialContactId"),
        ),  # not E.164: nothing is guessed
        (None, "connect:SMS", None, True, (INITIAL, "initialContactId")),
    ],
)
def test_choose_end_user(client_id, subtype, endpoint, use, expected) -> None:
    got = choose_end_user(
        client_id, initial_contact_id=INITIAL, subtype=subtype, customer_endpoint=endpoint, use_customer_address=use
    )
    assert got == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("+12065550100", "+12065550100"),
        ("+1 (206) 555-0100", "+12065550100"),
        ("+44.7700.900123", "+447700900123"),
        ("12065550100", None),
        ("+012065550100", None),
        ("+1206555010012345", None),  # 16 digits
        ("+123", None),
        ("", None),
        (None, None),
        (12065550100, None),
    ],
)
def test_e164(address, expected) -> None:
    assert e164(address) == expected


@settings(max_examples=fuzz_examples(200), deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from("+0123456789 ()-.x"), max_size=24))
def test_e164_gives_only_e164_numbers(text: str) -> None:
    got = e164(text)
    assert got is None or re.fullmatch(r"\+[1-9][0-9]{6,14}", got)
    if got is not None:  # the same digits, only punctuation removed
        assert re.sub(r"[^0-9+]", "", text) == got


@settings(max_examples=fuzz_examples(100), deadline=None, derandomize=True)
@given(digits=st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True), pad=st.sampled_from(["", " ", "-", "(", ")."]))
def test_any_e164_number_survives_punctuation(digits: str, pad: str) -> None:
    formatted = "+" + pad.join(digits)
    assert customer_address("connect:SMS", {"Type": "TELEPHONE_NUMBER", "Address": formatted}) == "+" + digits


@pytest.mark.parametrize(
    ("event_file", "end_user"),
    [
        ("create_messaging_session.json", ("6c3f3a1e-5b7d-4d6e-9a7f-1b2c3d4e5f60", "initialContactId")),
        ("create_messaging_session_sms.json", ("+12065550100", "customerAddress")),
        ("create_messaging_session_whatsapp.json", ("+447700900123", "customerAddress")),
    ],
)
def test_session_request_from_the_events(event_file: str, end_user: tuple[str, str]) -> None:
    event = ContactFlowEvent.parse(load_event(event_file))
    request = SessionRequest.from_event(event)
    assert (request.client_id, request.end_user_source) == end_user
    assert request.channel_address_identifier == CHANNEL
    off = SessionRequest.from_event(event, use_customer_address=False)
    assert (off.client_id, off.end_user_source) == (event.contact.initial_contact_id, "initialContactId")


def test_malformed_connect_data_counts_as_absent() -> None:
    raw = load_event("create_messaging_session_sms.json")
    raw["Details"]["ContactData"]["CustomerEndpoint"] = "+12065550100"
    raw["Details"]["ContactData"]["SegmentAttributes"] = ["connect:SMS"]
    event = ContactFlowEvent.parse(raw)
    assert event.contact.customer_endpoint is None and event.contact.subtype is None
    assert SessionRequest.from_event(event).end_user_source == "initialContactId"


def test_from_values_takes_the_whole_segment_attributes_map() -> None:
    request = SessionRequest.from_values(
        CHANNEL,
        None,
        initial_contact_id=INITIAL,
        segment_attributes={"connect:Subtype": {"ValueString": "connect:SMS"}},
        customer_endpoint=SMS,
    )
    assert request.client_id == "+12065550100"

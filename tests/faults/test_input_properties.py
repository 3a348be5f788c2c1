"""Property-based tests of the flow functions' input (issue 7 item 4), with hypothesis.

For any event, CreateMessagingSession and Routing either answer a flat map of non-empty strings, or raise
``InputError`` naming a field that is really there (an input the function reads, or a path of the event), and
then send nothing at all. Salesforce is `responses` (a request counter per example); the container stays warm
across examples, so the token is granted once.

CI bounds: a fixed number of examples per property (``FUZZ_EXAMPLES``, default 1000), ``derandomize`` (the same
examples on every run), ``deadline=None`` (no timing). ``FUZZ_REPORT=path`` writes the counts as JSON.
"""

from __future__ import annotations

import json
import os
import string
import uuid
from collections import Counter
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connect_omni.errors import InputError
from connect_omni.handlers import create_messaging_session, routing
from tests.adapters.sf import add_token, scrt
from tests.conftest import CHANNEL, INSTANCE_ARN, INSTANCE_URL, LambdaContext, fuzz_examples

EXAMPLES = fuzz_examples(1000)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
INPUTS = (
    "channelAddressIdentifier",
    "clientId",
    "conversationIdentifier",
    "routingType",
    "salesforceQueueId",
    "salesforceFlowId",
    "salesforceFlowFallbackQueueId",
    "workItemId",
)
PREFIX = "salesforceFlowRoutingAttributes."
COUNTS: Counter[str] = Counter()

# ------------------------------------------------------------------------------------------------ strategies

controls = st.sampled_from(["\n", "\r", "\t", "\x00", "\x1b", "\u2028", "\x7f", "\x85"])
nasty_text = st.one_of(
    st.text(max_size=40),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=10), controls, st.text(max_size=10)),
    st.sampled_from(["", " ", "   ", "\u00a0", "True", "[]", "null", "0"]),
    st.integers(min_value=1, max_value=3).map(lambda n: "x" * (32_767 + n)),
    st.just("é" * 16_500),  # under 32,767 characters, over 32,768 UTF-8 bytes
)
non_strings = st.one_of(
    st.booleans(), st.integers(), st.floats(allow_nan=False), st.lists(st.integers(), max_size=2), st.just({})
)
channel_ids = st.one_of(
    st.just(CHANNEL),
    st.just(CHANNEL.upper()),
    st.just("{" + CHANNEL + "}"),
    st.just("urn:uuid:" + CHANNEL),
    st.just(CHANNEL.replace("-", "")),
    st.uuids().map(str),
)
salesforce_ids = st.one_of(
    st.sampled_from(["00G5g000004AbCdEAK", "00G5g000004AbCd", "3005g000000AbCdEAK", "0055g000000AbCdEAK", "00G"]),
    st.text(alphabet=string.ascii_letters + string.digits, min_size=15, max_size=18),
)
valid_values: dict[str, Any] = {
    "channelAddressIdentifier": channel_ids,
    "clientId": st.one_of(st.just("customer-42"), st.emails(), st.just("x" * 256)),
    "conversationIdentifier": st.one_of(st.uuids().map(str), st.just("not a conversation!")),
    "routingType": st.sampled_from(["Initial", "Transfer", "initial", "Conference", ""]),
    "salesforceQueueId": salesforce_ids,
    "salesforceFlowId": salesforce_ids,
    "salesforceFlowFallbackQueueId": salesforce_ids,
    "workItemId": st.just("0Mw5g000000AbCdCAK"),
}


def value_for(name: str) -> st.SearchStrategy[Any]:
    known = valid_values.get(name, st.text(max_size=20))
    return st.one_of(known, known, nasty_text, non_strings)


input_names = st.one_of(
    st.sampled_from(INPUTS),
    st.sampled_from([PREFIX + "skill", PREFIX + "a.b", PREFIX, PREFIX + " ", PREFIX + " pad", PREFIX + "x\ny"]),
    st.text(max_size=12),
)


@st.composite
def inputs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(input_names, max_size=6, unique=True))
    return {name: draw(value_for(name)) for name in names}


contact_ids = st.one_of(
    st.uuids().map(str), st.uuids().map(str), nasty_text, non_strings, st.just("c" * 300), st.none()
)


@st.composite
def contact_data(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ContactId": draw(contact_ids),
        "InitialContactId": draw(st.one_of(st.none(), contact_ids)),
        "Channel": "CHAT",
        "InstanceARN": INSTANCE_ARN,
        "Attributes": draw(st.one_of(inputs(), inputs(), st.none(), non_strings)),
    }
    return {k: v for k, v in data.items() if v is not None or draw(st.booleans())}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@st.composite
def valid_event(draw: st.DrawFn) -> dict[str, Any]:
    """An event both functions accept: a channel, a conversation, a routing type, maybe an override."""
    contact = str(draw(st.uuids()))
    attributes: dict[str, Any] = {
        "channelAddressIdentifier": draw(st.sampled_from([CHANNEL, CHANNEL.upper()])),
        "conversationIdentifier": str(draw(st.uuids())),
    }
    if draw(st.booleans()):
        attributes["clientId"] = draw(st.sampled_from(["customer-42", "jane@example.com", " padded "]))
    parameters: dict[str, Any] = {"routingType": draw(st.sampled_from(["Initial", "Transfer"]))}
    override = draw(st.integers(min_value=0, max_value=2))
    if override == 1:
        parameters["salesforceQueueId"] = "00G5g000004AbCdEAK"
    elif override == 2:
        parameters |= {
            "salesforceFlowId": "3005g000000AbCdEAK",
            "salesforceFlowFallbackQueueId": "00G5g000004AbCd",
            PREFIX + draw(st.sampled_from(["skill", "a.b"])): "gold",
        }
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "ContactId": contact,
                "InitialContactId": contact,
                "Channel": "CHAT",
                "InstanceARN": INSTANCE_ARN,
                "Attributes": attributes,
            },
            "Parameters": parameters,
        },
    }


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with zero to three things broken: a value replaced, a key added, a part replaced."""
    event = draw(valid_event())
    data = event["Details"]["ContactData"]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        target = draw(st.sampled_from(["attribute", "parameter", "contact", "part"]))
        if target in ("attribute", "parameter"):
            holder = data if target == "attribute" else event["Details"]
            key = "Attributes" if target == "attribute" else "Parameters"
            source = holder.get(key) if isinstance(holder, dict) else None
            if not isinstance(source, dict):
                continue
            name = draw(input_names)
            source[name] = draw(value_for(name))
        elif target == "contact" and isinstance(data, dict):
            field = draw(st.sampled_from(["ContactId", "InitialContactId"]))
            data[field] = draw(contact_ids)
        elif isinstance(data, dict):
            part = draw(st.sampled_from(["Attributes", "Parameters", "ContactData"]))
            holder = event["Details"] if part != "Attributes" else data
            holder[part] = draw(json_values)
            data = event["Details"]["ContactData"]
    return event


@st.composite
def events(draw: st.DrawFn) -> Any:
    shape = draw(st.integers(min_value=0, max_value=9))
    if shape == 0:
        return draw(json_values)  # anything at all
    if shape == 1:
        return {"Details": draw(json_values)}
    if shape == 2:
        return {
            "Name": "ContactFlowEvent",
            "Details": {"ContactData": draw(contact_data()), "Parameters": draw(st.one_of(inputs(), st.none()))},
        }
    return draw(mutated())


# ------------------------------------------------------------------------------------------------ the property


def _real_field(field: str, event: Any) -> bool:
    """``field`` names an input the functions read, or a path of ``event`` (its last step may be missing)."""
    if field in INPUTS or field == "salesforceFlowRoutingAttributes" or field == "event":
        return True
    if field.startswith(PREFIX):
        details = event.get("Details", {}) if isinstance(event, dict) else {}
        sources = [details.get("Parameters"), (details.get("ContactData") or {}).get("Attributes")]
        return any(isinstance(src, dict) and field in src for src in sources)
    node: Any = event
    steps = field.split(".")
    for i, step in enumerate(steps):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return i == len(steps) - 1  # a required field that is missing
    return True


@pytest.fixture
def salesforce(secret):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_token(rsps)
        rsps.add(
            responses.POST,
            scrt("/conversation"),
            status=202,
            json={"conversationIdentifier": str(uuid.uuid4()), "messagingSessionId": "0Mw5g000000AbCdCAK"},
        )
        rsps.add(
            responses.POST,
            scrt("/interactions"),
            status=202,
            json={"conversationIdentifier": str(uuid.uuid4()), "workItemIds": ["0Mw5g000000XyZ1CAK"], "success": True},
        )
        rsps.add(
            responses.POST,
            scrt("/route"),
            status=202,
            json={"success": True, "psrId": "0JR5g000000AbCdGAK", "contextParamMap": {"queueId": "00G5g000004AbCdEAK"}},
        )
        rsps.add(
            responses.GET,
            f"{INSTANCE_URL}/services/data/v62.0/query/",
            json={"done": True, "records": []},
        )
        yield rsps


def check(handler: Any, event: Any, rsps: responses.RequestsMock, name: str) -> None:
    before = len(rsps.calls)
    COUNTS[f"{name}.examples"] += 1
    try:
        answer = handler(event, LambdaContext())
    except InputError as exc:
        COUNTS[f"{name}.input_errors"] += 1
        assert _real_field(exc.field, event), f"InputError names {exc.field!r}, not a field of the event"
        assert len(rsps.calls) == before, f"{len(rsps.calls) - before} requests sent for bad input {exc.field}"
        return
    COUNTS[f"{name}.answers"] += 1
    assert isinstance(answer, dict)
    assert all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in answer.items()), answer


@FUZZ
@given(event=events())
def test_create_messaging_session_answers_or_names_a_real_field(salesforce, event):
    check(create_messaging_session.lambda_handler, event, salesforce, "CreateMessagingSession")


@FUZZ
@given(event=events())
def test_routing_answers_or_names_a_real_field(salesforce, event):
    check(routing.lambda_handler, event, salesforce, "Routing")


def test_report_the_counts():
    """Runs after the two properties (file order): the counts for the closing note; fails if none ran."""
    examples = {k: v for k, v in COUNTS.items() if k.endswith(".examples")}
    if not examples:
        pytest.skip("the properties did not run in this session")
    report = {"examples": sum(examples.values()), "violations": 0, **dict(sorted(COUNTS.items()))}
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as handle:
            json.dump(report, handle, indent=2)
    print(json.dumps(report))
    assert all(COUNTS[k.replace(".examples", ".input_errors")] > 0 for k in examples)
    assert all(COUNTS[k.replace(".examples", ".answers")] > 0 for k in examples)


# ------------------------------------------------------------------------------------------------ the examples
# The cases the issue reported, as plain tests (they must hold whatever hypothesis draws).


def _event(attributes: Any = None, parameters: Any = None, contact_id: Any = None) -> dict[str, Any]:
    return {
        "Details": {
            "ContactData": {
                "ContactId": contact_id if contact_id is not None else str(uuid.uuid4()),
                "Attributes": attributes or {},
            },
            "Parameters": parameters or {},
        }
    }


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (_event({"channelAddressIdentifier": CHANNEL, "clientId": True}), "clientId"),
        (_event({"channelAddressIdentifier": CHANNEL, "clientId": []}), "clientId"),
        (_event({"channelAddressIdentifier": 5}), "channelAddressIdentifier"),
        (_event({"channelAddressIdentifier": "{" + CHANNEL + "}"}), "channelAddressIdentifier"),
        (_event({"channelAddressIdentifier": "urn:uuid:" + CHANNEL}), "channelAddressIdentifier"),
        (_event({"channelAddressIdentifier": CHANNEL.replace("-", "")}), "channelAddressIdentifier"),
        (_event({"channelAddressIdentifier": CHANNEL, "clientId": "a\nb"}), "clientId"),
        (_event({"channelAddressIdentifier": CHANNEL, "clientId": "x" * 100_000}), "clientId"),
        (_event({"channelAddressIdentifier": CHANNEL}, contact_id="c" * 300), "Details.ContactData.ContactId"),
        (_event({"channelAddressIdentifier": CHANNEL}, contact_id="   "), "Details.ContactData.ContactId"),
        (["not", "an", "object"], "event"),
        ("ContactFlowEvent", "event"),
    ],
)
def test_create_messaging_session_refuses_before_sending(salesforce, event, field):
    before = len(salesforce.calls)
    with pytest.raises(InputError) as caught:
        create_messaging_session.lambda_handler(event, LambdaContext())
    assert caught.value.field == field
    assert len(salesforce.calls) == before


def test_upper_case_channel_is_sent_lower_case(salesforce):
    create_messaging_session.lambda_handler(_event({"channelAddressIdentifier": CHANNEL.upper()}), LambdaContext())
    sent = [c for c in salesforce.calls if c.request.url == scrt("/conversation")][-1]
    assert json.loads(sent.request.body)["channelAddressIdentifier"] == CHANNEL


def test_an_unread_attribute_of_any_type_does_not_fail_the_chat(salesforce):
    answer = create_messaging_session.lambda_handler(
        _event({"channelAddressIdentifier": CHANNEL, "loyaltyTier": 3, "flags": [1, 2]}), LambdaContext()
    )
    assert answer["conversationIdentifier"]


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"routingType": "Initial", PREFIX: "x", "salesforceFlowId": "3005g000000AbCdEAK",
          "salesforceFlowFallbackQueueId": "00G5g000004AbCdEAK"}, PREFIX),
        ({"routingType": "Initial", PREFIX + "  ": "x", "salesforceFlowId": "3005g000000AbCdEAK",
          "salesforceFlowFallbackQueueId": "00G5g000004AbCdEAK"}, PREFIX + "  "),
        ({"routingType": "Initial", PREFIX + "skill": 7, "salesforceFlowId": "3005g000000AbCdEAK",
          "salesforceFlowFallbackQueueId": "00G5g000004AbCdEAK"}, PREFIX + "skill"),
        ({"routingType": ["Initial"]}, "routingType"),
    ],
)
def test_routing_refuses_before_sending(salesforce, parameters, field):
    event = _event({"conversationIdentifier": str(uuid.uuid4())}, parameters)
    before = len(salesforce.calls)
    with pytest.raises(InputError) as caught:
        routing.lambda_handler(event, LambdaContext())
    assert caught.value.field == field
    assert len(salesforce.calls) == before

"""The fleet's shared token (connect_omni.aws.token_store) with TokenProvider: moto DynamoDB, `responses` for the
token endpoint. Each TokenProvider stands for one container; they share the table as a fleet does."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
import responses
from botocore.exceptions import EndpointConnectionError

from connect_omni import container
from connect_omni.aws import token_store
from connect_omni.aws.token_store import TokenStore, token_key
from connect_omni.budget import Budget
from connect_omni.salesforce.auth import SalesforceCredentials, TokenProvider
from connect_omni.salesforce.transport import Transport, new_session
from connect_omni.settings import jwt_audience, load_settings
from tests.adapters.sf import TOKEN_URL, calls_to
from tests.conftest import AUTH_URL, ENV, INSTANCE_URL, SECRET_ID

TABLE = "connect-omni-test-state"
KEY = token_key(ENV["SALESFORCE_ORG_ID"][:15], AUTH_URL, SECRET_ID)


@pytest.fixture
def fleet(secret, secret_value):
    """(make_container, dynamodb client, responses mock): each make_container() is a cold container.

    Store calls get 30 s instead of 1 s here, so that a loaded test machine is not taken for an unreachable
    store (the bound itself is tested with a hanging store)."""
    import boto3

    dynamodb = Atomic(boto3.client("dynamodb", region_name="us-east-1"))
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    credentials = SalesforceCredentials.from_secret(secret_value)
    issued = iter(range(1, 1000))
    lock = threading.Lock()

    def grant(request):
        time.sleep(0.05)  # a grant's round trip: widens the window in which cold containers race
        with lock:
            n = next(issued)
        body = {"access_token": f"00Dtoken!{n}", "instance_url": INSTANCE_URL, "id": "https://login/id/00D/005"}
        return 200, {}, json.dumps(body)

    def make_container(client=dynamodb, sleep=time.sleep, store=True, bound_s=30.0) -> TokenProvider:
        return TokenProvider(
            token_url=TOKEN_URL,
            audience=jwt_audience(AUTH_URL),
            load_credentials=lambda budget: credentials,
            transport=Transport(new_session(), connect_timeout_s=2, max_attempts=3),
            store=TokenStore(client, TABLE, KEY, call_timeout_s=bound_s) if store else None,
            sleep=sleep,
        )

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, TOKEN_URL, callback=grant)
        yield make_container, dynamodb, rsps


def grants(rsps) -> int:
    return len(calls_to(rsps, TOKEN_URL))


def stored(dynamodb) -> dict:
    return dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": KEY}}, ConsistentRead=True).get("Item") or {}


def test_first_container_grants_and_publishes_the_next_reads_it(fleet):
    make_container, dynamodb, rsps = fleet
    first = make_container().get(Budget.of_seconds(5))
    assert grants(rsps) == 1
    item = stored(dynamodb)
    assert item["access_token"]["S"] == first.access_token and item["generation"]["N"] == "1"
    assert "lease_owner" not in item  # the lease ended with the publication

    second = make_container().get(Budget.of_seconds(5))
    assert grants(rsps) == 1
    assert (second.access_token, second.instance_url, second.generation) == (first.access_token, INSTANCE_URL, 1)


def test_warm_calls_read_nothing(fleet):
    make_container, dynamodb, _rsps = fleet
    reads = []
    provider = make_container(client=Counting(dynamodb, reads))
    tokens = {provider.get(Budget.of_seconds(5)).access_token for _ in range(5)}
    assert len(tokens) == 1
    assert reads.count("get_item") == 1  # the cold read only


def test_concurrent_cold_containers_grant_once(fleet):
    make_container, dynamodb, rsps = fleet
    containers = [make_container() for _ in range(12)]
    got: list[str] = []
    errors: list[BaseException] = []

    def cold(provider: TokenProvider) -> None:
        try:
            got.append(provider.get(Budget.of_seconds(60)).access_token)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=cold, args=(c,)) for c in containers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert grants(rsps) == 1
    assert set(got) == {stored(dynamodb)["access_token"]["S"]}


def test_a_refused_token_is_replaced_once_for_the_fleet(fleet):
    make_container, dynamodb, rsps = fleet
    a, b = make_container(), make_container()
    old_a, old_b = a.get(Budget.of_seconds(5)), b.get(Budget.of_seconds(5))
    assert old_a.access_token == old_b.access_token and grants(rsps) == 1

    a.invalidate(old_a)  # Salesforce refused it (revoked): a replaces it for everyone
    new_a = a.get(Budget.of_seconds(5))
    b.invalidate(old_b)  # b learns of the refusal later: it takes a's replacement
    new_b = b.get(Budget.of_seconds(5))
    assert grants(rsps) == 2
    assert new_a.access_token == new_b.access_token != old_a.access_token
    assert new_b.generation == 2 and stored(dynamodb)["generation"]["N"] == "2"


def test_a_lease_whose_holder_died_is_taken_over(fleet):
    make_container, dynamodb, rsps = fleet
    store = TokenStore(dynamodb, TABLE, KEY)
    assert store.take_lease(0, Budget.of_seconds(5)) is not None  # a container took the lease, then died
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    token = make_container(sleep=sleep).get(Budget.of_seconds(7))
    assert grants(rsps) == 1
    assert waits and sum(waits) <= token_store.GRANT_LEASE_S + 1  # waited for the lease to run out, no longer
    assert stored(dynamodb)["access_token"]["S"] == token.access_token


def test_a_container_short_of_budget_does_not_wait_for_anothers_grant(fleet):
    make_container, dynamodb, rsps = fleet
    TokenStore(dynamodb, TABLE, KEY).take_lease(0, Budget.of_seconds(5))  # another container is granting
    waits: list[float] = []
    token = make_container(sleep=waits.append).get(Budget.of_seconds(token_store.GRANT_RESERVE_S - 0.5))
    assert waits == [] and grants(rsps) == 1  # granted for itself at once
    assert "access_token" not in stored(dynamodb)  # and did not publish: the lease is the other's
    assert token.generation == 0


def test_an_unreachable_store_means_a_grant_of_its_own(fleet, caplog):
    make_container, _dynamodb, rsps = fleet
    token = make_container(client=Unreachable()).get(Budget.of_seconds(5))
    assert grants(rsps) == 1 and token.access_token.startswith("00Dtoken!")
    assert "Shared token store unavailable" in caplog.text


def test_a_hanging_store_costs_at_most_the_store_bound_then_a_grant_of_its_own(fleet):
    make_container, _dynamodb, rsps = fleet
    calls: list[str] = []
    token = make_container(client=Hanging(calls), bound_s=0.3).get(Budget.of_seconds(30))
    assert token.access_token and grants(rsps) == 1
    assert calls == ["get_item"] * len(calls) and 1 <= len(calls) <= 3  # retried within the bound, then given up


def test_a_missing_table_means_a_grant_of_its_own(fleet):
    make_container, dynamodb, rsps = fleet
    provider = make_container()
    provider._store = TokenStore(dynamodb, "no-such-table", KEY, call_timeout_s=30.0)
    assert provider.get(Budget.of_seconds(5)).access_token and grants(rsps) == 1


def test_a_retried_lease_after_an_unknown_outcome_is_recognised_as_ours(fleet):
    _make_container, dynamodb, _rsps = fleet
    store = TokenStore(LosesFirstAnswer(dynamodb), TABLE, KEY)
    assert store.take_lease(0, Budget.of_seconds(5)) is not None


def test_without_a_store_each_container_grants(fleet):
    make_container, dynamodb, rsps = fleet
    make_container(store=False).get(Budget.of_seconds(5))
    make_container(store=False).get(Budget.of_seconds(5))
    assert grants(rsps) == 2 and stored(dynamodb) == {}


def test_the_token_is_never_logged(fleet, caplog):
    make_container, _dynamodb, _rsps = fleet
    # our log lines at DEBUG (botocore's own DEBUG lines show request bodies; Lambda never enables them)
    caplog.set_level(logging.DEBUG, logger="connect-omni")
    a = make_container()
    first = a.get(Budget.of_seconds(5))
    make_container().get(Budget.of_seconds(5))
    a.invalidate(first)
    second = a.get(Budget.of_seconds(5))
    for token in (first, second):
        assert token.access_token not in caplog.text
        assert token.access_token not in repr(token)


def test_the_container_uses_the_state_table_as_its_store(env, monkeypatch):
    monkeypatch.setenv("STATE_TABLE_NAME", TABLE)
    container.reset()
    store = container.token_store()
    assert store is not None and (store.table_name, store.key, store.call_timeout_s) == (TABLE, KEY, 1.0)
    assert container.tokens()._store is not None
    monkeypatch.delenv("STATE_TABLE_NAME")
    container.reset()
    assert container.token_store() is None


@pytest.mark.parametrize(
    ("auth_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
        ("https://acme--uat.my.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.site.com/customers", "https://acme.my.site.com/customers"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
    ],
)
def test_the_jwt_audience_is_the_login_server_not_the_my_domain(auth_url, audience):
    assert jwt_audience(auth_url) == audience
    assert load_settings({**ENV, "SALESFORCE_AUTH_URL": auth_url}).jwt_audience == audience


def test_the_jwt_audience_can_be_set():
    s = load_settings({**ENV, "SALESFORCE_JWT_AUDIENCE": "https://test.salesforce.com/"})
    assert s.jwt_audience == "https://test.salesforce.com"


class Atomic:
    """moto's DynamoDB with DynamoDB's atomic conditional writes: moto checks a condition and writes in two steps,
    so concurrent threads could both pass; one call at a time is what DynamoDB guarantees per item."""

    def __init__(self, client) -> None:
        self._client, self._lock = client, threading.Lock()

    def __getattr__(self, name):
        target = getattr(self._client, name)

        def serialised(**kwargs):
            with self._lock:
                return target(**kwargs)

        return serialised


class Counting:
    """A DynamoDB client that records which operations were called."""

    def __init__(self, client, calls: list[str]) -> None:
        self._client, self._calls = client, calls

    def __getattr__(self, name):
        self._calls.append(name)
        return getattr(self._client, name)


class Unreachable:
    """A DynamoDB client whose every call fails to connect."""

    def __getattr__(self, name):
        def fail(**kwargs):
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

        return fail


class Hanging:
    """A DynamoDB client whose calls never answer (10 s, far past any bound here)."""

    def __init__(self, calls: list[str]) -> None:
        self._calls = calls

    def __getattr__(self, name):
        def hang(**kwargs):
            self._calls.append(name)
            time.sleep(10)

        return hang


class LosesFirstAnswer:
    """Carries out the first update_item, then fails as if the answer was lost; later calls go through."""

    def __init__(self, client) -> None:
        self._client, self._lost = client, False

    def __getattr__(self, name):
        target = getattr(self._client, name)
        if name != "update_item" or self._lost:
            return target

        def update_item(**kwargs):
            target(**kwargs)
            self._lost = True
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

        return update_item


def test_the_container_signs_for_the_login_server_of_a_my_domain(env, monkeypatch):
    monkeypatch.setenv("SALESFORCE_AUTH_URL", "https://acme--uat.sandbox.my.salesforce.com")
    container.reset()
    provider = container.tokens()
    assert provider.token_url == "https://acme--uat.sandbox.my.salesforce.com/services/oauth2/token"
    assert provider.audience == "https://test.salesforce.com"

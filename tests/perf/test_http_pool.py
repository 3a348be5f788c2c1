"""The container's HTTPS pool: one parsed CA bundle for every connection, verification kept, room for concurrency."""

from __future__ import annotations

import concurrent.futures

import pytest
import requests

from connect_omni.http_pool import SharedTlsAdapter, loaded_tls_contexts, mount_shared_tls
from localdev.standins import Standins

pytestmark = pytest.mark.standins


@pytest.fixture(scope="module")
def standins():
    with Standins.start() as s:
        yield s


def _session(verify: str | bool, pool_maxsize: int = 10) -> requests.Session:
    session = mount_shared_tls(requests.Session(), pool_maxsize)
    session.trust_env = False
    session.verify = verify
    return session


def test_the_bundle_is_parsed_once_for_many_connections(standins: Standins) -> None:
    url = f"{standins.salesforce.base_url}/no/such/path"
    before_parsed, before_connections = loaded_tls_contexts(), standins.salesforce.connections_accepted
    for _ in range(3):  # three sessions: three pools, three connections
        with _session(standins.salesforce.ca_file) as session:
            assert session.get(url, timeout=5).status_code == 404
    assert standins.salesforce.connections_accepted - before_connections == 3
    assert loaded_tls_contexts() - before_parsed <= 1


def test_verification_still_refuses_an_untrusted_server(standins: Standins) -> None:
    with _session(True) as session, pytest.raises(requests.exceptions.SSLError):  # certifi does not know the emulator
        session.get(f"{standins.salesforce.base_url}/no/such/path", timeout=5)


def test_concurrent_requests_keep_their_connections(standins: Standins) -> None:
    url = f"{standins.salesforce.base_url}/no/such/path"
    standins.salesforce.delay("/no/such/path", 0.2, times=24)
    with _session(standins.salesforce.ca_file, pool_maxsize=12) as session:
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            assert [r.status_code for r in pool.map(lambda _: session.get(url, timeout=5), range(12))] == [404] * 12
        before = standins.salesforce.connections_accepted
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            assert [r.status_code for r in pool.map(lambda _: session.get(url, timeout=5), range(12))] == [404] * 12
        assert standins.salesforce.connections_accepted == before  # all twelve kept and reused (requests keeps 10)


def test_the_adapter_never_shrinks_requests_default_pool() -> None:
    assert SharedTlsAdapter(2)._pool_maxsize == 10
    assert SharedTlsAdapter(32)._pool_maxsize == 32


def test_pinning_takes_the_ca_bundle_once_and_keeps_proxies_working() -> None:
    from connect_omni.http_pool import pin_environment

    plain = pin_environment(requests.Session(), {"REQUESTS_CA_BUNDLE": "/etc/ca.pem", "PATH": "/bin"})
    assert plain.trust_env is False
    assert plain.verify == "/etc/ca.pem"
    proxied = pin_environment(requests.Session(), {"HTTPS_PROXY": "http://proxy:3128", "REQUESTS_CA_BUNDLE": "/x"})
    assert proxied.trust_env is True  # requests keeps resolving the proxy (and NO_PROXY) per request
    assert proxied.verify is True

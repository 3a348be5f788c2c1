"""The container's HTTPS connection pool: one TLS context per CA bundle, and room for concurrent requests.

requests hands urllib3 the CA bundle's *path* for every pool (``HTTPAdapter.cert_verify``), so each new
connection builds an ``ssl.SSLContext`` and parses the whole bundle again (certifi's ~150 certificates, a few
ms of CPU per handshake). :class:`SharedTlsAdapter` parses each bundle once per process into one context that
every connection reuses. The pool also keeps ``pool_maxsize`` connections per host, so that the transcript
upload's concurrent requests each find a kept-alive connection instead of opening and discarding extras
(urllib3 logs "Connection pool is full, discarding connection").
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import Any

import requests
from requests.adapters import DEFAULT_CA_BUNDLE_PATH, HTTPAdapter

#: requests' own pool size per host (``requests.adapters.DEFAULT_POOLSIZE``).
DEFAULT_POOL_MAXSIZE = 10


def tls_context(ca_bundle: str) -> ssl.SSLContext:
    """A client ``SSLContext`` trusting the PEM bundle at ``ca_bundle``, loaded once per process for each
    version of the file (path, size and modification time).

    Raises
    ------
    OSError, ssl.SSLError
        The bundle cannot be read or parsed.
    """
    stat = os.stat(ca_bundle)
    return _load_context(ca_bundle, stat.st_size, stat.st_mtime_ns)


@functools.cache
def _load_context(ca_bundle: str, size: int, mtime_ns: int) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle)


def loaded_tls_contexts() -> int:
    """How many times a CA bundle was parsed in this process (for tests and benchmarks)."""
    return _load_context.cache_info().misses


class SharedTlsAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose HTTPS pools share one ``SSLContext`` per CA bundle.

    ``verify`` keeps its meaning: ``True`` trusts requests' default bundle (certifi), a file path trusts that
    bundle (``REQUESTS_CA_BUNDLE``), a directory or ``False`` falls back to requests' own handling.

    Parameters
    ----------
    pool_maxsize:
        Connections kept per host (at least :data:`DEFAULT_POOL_MAXSIZE`).
    """

    def __init__(self, pool_maxsize: int = DEFAULT_POOL_MAXSIZE) -> None:
        super().__init__(pool_maxsize=max(DEFAULT_POOL_MAXSIZE, pool_maxsize))

    @staticmethod
    def _bundle(verify: Any) -> str | None:
        bundle = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
        if isinstance(bundle, str) and bundle and not os.path.isdir(bundle):
            return bundle
        return None

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        bundle = self._bundle(verify)
        if host_params.get("scheme") == "https" and bundle is not None:
            pool_kwargs.pop("ca_certs", None)
            pool_kwargs["ssl_context"] = tls_context(bundle)
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if url.lower().startswith("https") and self._bundle(verify) is not None:
            conn.ca_certs = None  # the pool's ssl_context already trusts it: do not parse it per connection


#: Variables that make requests pick a proxy (urllib.request.getproxies_environment, either case).
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def pin_environment(session: requests.Session, environ: Any = os.environ) -> requests.Session:
    """Resolve once what requests would otherwise look up in the environment on every request.

    With ``trust_env`` (the default) each request scans every environment variable for proxies, looks for a
    ``.netrc`` file and re-reads ``REQUESTS_CA_BUNDLE`` (about 60-100 µs of a warm call). When no proxy variable
    is set (a Lambda function outside a proxied VPC), the CA bundle is taken now and ``trust_env`` turned off;
    with a proxy configured nothing changes. The functions send their own ``Authorization`` header, so
    ``.netrc`` never applied. Returns ``session``.
    """
    if any(name.lower() in _PROXY_VARIABLES for name in environ):
        return session
    bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False
    return session


def mount_shared_tls(session: requests.Session, pool_maxsize: int = DEFAULT_POOL_MAXSIZE) -> requests.Session:
    """Mount a :class:`SharedTlsAdapter` on ``session`` for ``https://`` and :func:`pin_environment` it;
    returns ``session``."""
    session.mount("https://", SharedTlsAdapter(pool_maxsize))
    return pin_environment(session)

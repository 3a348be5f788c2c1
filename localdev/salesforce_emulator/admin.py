"""HTTP client for the emulator's ``/__admin`` endpoints, for driving an emulator in another process."""

from __future__ import annotations

from typing import Any

import requests


class EmulatorAdminClient:
    """Drive a running :class:`~.emulator.SalesforceEmulator` over HTTPS.

    Every control method of the emulator listed in :data:`~.emulator.ADMIN_METHODS` is callable as
    ``client.call(name, **kwargs)`` or as an attribute, e.g. ``client.fail_next(path="/api/v1/route",
    status=503)``. Keyword arguments must be JSON-serialisable; ``add_channel``'s ``routing`` is a dict of
    :meth:`~.emulator.SalesforceEmulator.outcome` keywords.

    Parameters
    ----------
    base_url : str
        The emulator's base URL (``https://127.0.0.1:<port>``).
    ca_file : str
        The emulator's CA PEM (``<state-dir>/ca.pem``).
    timeout : float, optional
        Seconds per request (default 5).
    """

    def __init__(self, base_url: str, ca_file: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = requests.Session()
        self._session.verify = ca_file
        self._session.trust_env = False  # an inherited REQUESTS_CA_BUNDLE would override verify
        self._timeout = timeout

    def call(self, name: str, **kwargs: Any) -> Any:
        """Call a control method.

        Returns
        -------
        Any
            The method's JSON-encoded result.

        Raises
        ------
        requests.HTTPError
            When the emulator rejects the call (unknown method, bad arguments).
        """
        response = self._session.post(f"{self.base_url}/__admin/call/{name}", json=kwargs, timeout=self._timeout)
        response.raise_for_status()
        return response.json()["result"]

    def __getattr__(self, name: str) -> Any:
        from .emulator import ADMIN_METHODS

        if name in ADMIN_METHODS:
            return lambda **kwargs: self.call(name, **kwargs)
        raise AttributeError(name)

    def requests(self) -> list[dict[str, Any]]:
        """Return the request log (``RecordedRequest.to_json()`` dicts)."""
        response = self._session.get(f"{self.base_url}/__admin/requests", timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        """Return :attr:`SalesforceEmulator.state`."""
        response = self._session.get(f"{self.base_url}/__admin/state", timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

"""Run the emulator by hand: ``python -m localdev.salesforce_emulator --port 8443 --state-dir /tmp/sf``.

Writes ``<state-dir>/ca.pem`` and ``<state-dir>/emulator.json`` (``base_url``, ``org_id``, ``ca_file``) and serves
until Ctrl-C. Configure it through ``/__admin/call/<method>`` (see :class:`EmulatorAdminClient`), or use
``python -m localdev.standins`` for a fully seeded setup.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from pathlib import Path

from .emulator import SalesforceEmulator


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the emulator, block until SIGINT/SIGTERM.

    Returns
    -------
    int
        Process exit status (0).
    """
    parser = argparse.ArgumentParser(prog="python -m localdev.salesforce_emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--state-dir", type=Path, required=True, help="directory for ca.pem and emulator.json")
    parser.add_argument("--verbose", action="store_true", help="log request lines (never bodies)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    emulator = SalesforceEmulator.start(port=args.port, state_dir=args.state_dir)
    info = {"base_url": emulator.base_url, "org_id": emulator.org_id, "ca_file": emulator.ca_file}
    (args.state_dir / "emulator.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env bash
# The main job on the local stand-ins: starts a local Salesforce org emulator, moto and a Connect
# stand-in on 127.0.0.1, runs a chat through the sample inbound flow to its queue, then an agent
# transfer and a queue transfer, and prints the trace. `bash scripts/demo.sh --help` lists options.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m localdev.demo "$@"

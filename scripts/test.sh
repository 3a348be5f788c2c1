#!/usr/bin/env bash
# The project's test command (README, CI): set up, lint, check the flows, run the tests, validate and
# build the SAM stack. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"   # sam build needs python3.12 on PATH: the venv's
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" SAM_CLI_TELEMETRY=0

echo "== ruff"
ruff check .
echo "== contact flows: static check, generated template and diagrams up to date"
python -m localdev.flows.check
python -m localdev.flows.template --check
python -m localdev.flows.diagram --check
echo "== pytest"
python -m pytest "$@"
echo "== sam validate --lint"
sam validate --lint
echo "== sam build"
sam build

"""Cold start: a handler imports only what its invocation uses (checked in a Lambda-like environment).

The figures are in ``python -m localdev.bench_handlers``; these tests keep the causes from coming back:
the X-Ray SDK without tracing, botocore before the first AWS call, PyJWT/cryptography before a grant,
pydantic-settings, boto3 and simple-salesforce at import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from connect_omni.observability import DisabledTracer, tracing_enabled

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = (
    "connect_omni.handlers.create_messaging_session",
    "connect_omni.handlers.routing",
    "connect_omni.handlers.transcript_ingestion",
)
# botocore's package itself is tiny (Powertools imports it to tag its user agent); its session and client are not.
NEVER_AT_IMPORT = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "jwt",
    "cryptography",
    "pydantic_settings",
    "simple_salesforce",
    "zeep",
)


def _lambda_env(tracing: bool) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT / "src"),
        "LAMBDA_TASK_ROOT": str(ROOT / "src"),
        "AWS_LAMBDA_FUNCTION_NAME": "test",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "test",
        "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
        "_X_AMZN_TRACE_ID": "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1",
    }


def _imported_after(module: str, tracing: bool) -> set[str]:
    code = f"import sys, json; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_lambda_env(tracing), capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", HANDLERS)
def test_without_tracing_the_import_loads_no_sdk_and_no_grant_code(module: str) -> None:
    loaded = _imported_after(module, tracing=False)
    assert "aws_xray_sdk" not in loaded
    assert not loaded & set(NEVER_AT_IMPORT), sorted(loaded & set(NEVER_AT_IMPORT))


def test_with_tracing_the_sdk_loads_but_botocore_waits_for_the_first_aws_client() -> None:
    loaded = _imported_after(HANDLERS[0], tracing=True)
    assert "aws_xray_sdk" in loaded
    assert not loaded & set(NEVER_AT_IMPORT), sorted(loaded & set(NEVER_AT_IMPORT))


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),  # outside Lambda: no daemon listens
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
    ],
)
def test_tracing_follows_powertools_rule(environ: dict[str, str], expected: bool) -> None:
    assert tracing_enabled(environ) is expected


def test_the_disabled_tracer_returns_what_it_decorates() -> None:
    tracer = DisabledTracer()

    def handler(event, context):
        return {"ok": "1"}

    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_lambda_handler(capture_response=False)(handler) is handler
    assert tracer.capture_method(handler) is handler
    assert tracer.capture_method(capture_response=False)(handler) is handler
    tracer.put_annotation("contact_id", "c")
    tracer.put_metadata("k", {"v": 1})

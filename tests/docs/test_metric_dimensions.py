"""The metrics the dashboard and alarms read are the ones Powertools writes: namespace ``ConnectOmniChannel``
and the single dimension ``service`` = the function's ``POWERTOOLS_SERVICE_NAME`` from the template.

A handler runs in a fresh interpreter with the template's environment (Powertools reads it at import), gets a
warm-up event (``ColdStart``) and then an event that is not a Connect event (``InputErrors``), and the
embedded-metric-format blobs it prints are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.docs.readme import REPO

SCRIPT = """
import json, sys
from localdev.flows.runner import FakeLambdaContext
from connect_omni.handlers import routing
context = FakeLambdaContext("arn:aws:lambda:us-east-1:111122223333:function:RoutingFunction", 8)
routing.lambda_handler({"source": "aws.events"}, context)  # a warm-up: the cold start metric
try:
    routing.lambda_handler({"Name": "ContactFlowEvent"}, context)  # not a flow event: InputErrors
except Exception as exc:
    print("raised", type(exc).__name__, file=sys.stderr)
"""


def test_emitted_metrics_use_the_template_namespace_and_the_service_dimension(template):
    namespace = template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    service = template["Resources"]["RoutingFunction"]["Properties"]["Environment"]["Variables"][
        "POWERTOOLS_SERVICE_NAME"
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    env |= {
        "POWERTOOLS_METRICS_NAMESPACE": namespace,
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert "raised InputError" in done.stderr, done.stderr
    blobs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{") and '"_aws"' in line]
    by_metric = {}
    for blob in blobs:
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                by_metric[metric["Name"]] = (directive["Namespace"], directive["Dimensions"], blob)
    ns, dimensions, blob = by_metric["InputErrors"]
    assert (ns, dimensions, blob["service"]) == (namespace, [["service"]], service)
    ns, dimensions, blob = by_metric["ColdStart"]
    assert ns == namespace and sorted(dimensions[0]) == ["function_name", "service"]

"""``connect-omni doctor``: check a deployment link by link and say how to fix what is wrong.

Modules
-------
command
    The ``doctor`` subcommand: options, output, exit status.
deployment
    What is checked: the functions' environment variables, or a deployed stack's parameters and outputs.
context
    What the checks share (AWS clients with timeouts, the Salesforce adapters, earlier results).
salesforce_checks, aws_checks
    The checks; :mod:`.runner` lists them in order with what each needs.
advice, aws
    Salesforce's and AWS's errors turned into plain advice.
report
    Results, as a table or JSON.
"""

from connect_omni_ops.doctor.report import CheckResult, Report, Status
from connect_omni_ops.doctor.runner import CHECKS, Check, run_checks

__all__ = ["CHECKS", "Check", "CheckResult", "Report", "Status", "run_checks"]

"""The checks in the order they run, what each needs, and running them with a time bound each."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from connect_omni_ops.doctor import aws_checks, salesforce_checks
from connect_omni_ops.doctor.context import Context, Fail, Skip
from connect_omni_ops.doctor.report import CheckResult, Report, Status


@dataclass(frozen=True)
class Check:
    """One check.

    Attributes
    ----------
    name : str
        Stable name (JSON ``name``).
    run : callable
        ``run(ctx) -> str`` (what it found) or raises :class:`Fail` / :class:`Skip`.
    needs : tuple of str
        Checks that must pass first; when one did not, this one is skipped.
    """

    name: str
    run: Callable[[Context], str]
    needs: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """The first line of the check function's docstring."""
        return (self.run.__doc__ or "").strip().splitlines()[0]


CHECKS: tuple[Check, ...] = (
    Check("configuration", salesforce_checks.check_configuration),
    Check("secret", salesforce_checks.check_secret, ("configuration",)),
    Check("token-grant", salesforce_checks.check_token_grant, ("secret",)),
    Check("org", salesforce_checks.check_org, ("token-grant",)),
    Check("interaction-service", salesforce_checks.check_interaction_service, ("token-grant",)),
    Check("routing-map", salesforce_checks.check_routing_map, ("token-grant",)),
    Check("routing-map-targets", aws_checks.check_routing_map_targets, ("routing-map",)),
    Check("lambda-association", aws_checks.check_lambda_association, ("configuration",)),
    Check("lambda-timeouts", aws_checks.check_lambda_timeouts, ("configuration",)),
    Check("contact-flows", aws_checks.check_contact_flows, ("configuration",)),
    Check("chat-transcripts", aws_checks.check_chat_transcripts, ("configuration",)),
    Check("eventbridge-rule", aws_checks.check_eventbridge_rule, ("configuration",)),
    Check("transcript-dlq", aws_checks.check_transcript_dlq, ("configuration",)),
)


def run_one(check: Check, ctx: Context, timeout_s: float) -> CheckResult:
    """Run one check in a worker thread, waiting at most ``timeout_s`` (s) for it.

    A check still running after ``timeout_s`` is reported failed; its thread is a daemon and is abandoned (the
    HTTP calls it makes have their own timeouts below ``timeout_s``, so it ends soon after).
    """
    outcome: list[CheckResult] = []

    def work() -> None:
        try:
            outcome.append(CheckResult(check.name, Status.PASSED, check.run(ctx)))
        except Fail as found:
            outcome.append(CheckResult(check.name, Status.FAILED, found.detail, found.hint))
        except Skip as skipped:
            outcome.append(CheckResult(check.name, Status.SKIPPED, skipped.detail, skipped.hint))
        except Exception as exc:  # a bug of the doctor or an answer it does not know: a finding, not a crash
            outcome.append(
                CheckResult(
                    check.name,
                    Status.FAILED,
                    f"unexpected {type(exc).__name__}: {str(exc)[:300]}",
                    "The doctor did not expect this answer; run with --verbose and report it.",
                )
            )

    thread = threading.Thread(target=work, name=f"doctor-{check.name}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive() or not outcome:
        return CheckResult(
            check.name,
            Status.FAILED,
            f"did not finish within {timeout_s:g} s",
            "A service it calls did not answer in time; check the network path, or give it longer with --timeout.",
        )
    return outcome[0]


def run_checks(ctx: Context, checks: Sequence[Check] = CHECKS) -> Report:
    """Run ``checks`` in order; a check whose ``needs`` did not all pass is skipped without running.

    Returns
    -------
    Report
        Its ``target`` is the deployment's (or ``"nothing"`` when the configuration could not be read).
    """
    results: dict[str, CheckResult] = {}
    for index, check in enumerate(checks, start=1):
        blocked = [results[n] for n in check.needs if n in results and results[n].status is not Status.PASSED]
        if blocked:
            first = blocked[0]
            how = "failed" if first.ok is False else "was skipped"
            results[check.name] = CheckResult(check.name, Status.SKIPPED, f"needs {first.name}, which {how}")
            continue
        ctx.progress(f"[{index}/{len(checks)}] {check.name}")
        results[check.name] = run_one(check, ctx, ctx.timeout_s)
    target = ctx.deployment.target if ctx.deployment else "nothing (the configuration could not be read)"
    return Report(target, tuple(results.values()))

"""connect_omni.aws.call: every AWS call bounded by the budget, retried only when transient, project errors only."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.parsers import ResponseParserError

from connect_omni.aws import MAX_ATTEMPTS, AwsCallError, call
from connect_omni.budget import Budget
from connect_omni.errors import BudgetExhaustedError


def client_error(code: str, status: int, retry_after: str | None = None) -> ClientError:
    headers = {"retry-after": retry_after} if retry_after else {}
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} says no"},
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers},
        },
        "GetSecretValue",
    )


class Script:
    """Raises the scripted errors in turn, then answers."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException", 400),
        client_error("InternalServiceError", 500),
        client_error("SlowDown", 503),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ResponseParserError("not XML"),
    ],
    ids=["throttling", "500", "slowdown", "connection", "unreadable-200"],
)
def test_transient_failures_are_retried(error):
    sleeps: list[float] = []
    fn = Script(error)
    assert call("secretsmanager:GetSecretValue", fn, Budget.of_seconds(5), sleep=sleeps.append) == {"ok": True}
    assert fn.calls == 2 and len(sleeps) == 1


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (client_error("AccessDeniedException", 400), "AccessDeniedException"),
        (client_error("ResourceNotFoundException", 400), "ResourceNotFoundException"),
        (client_error("UnrecognizedClientException", 403), "UnrecognizedClientException"),
    ],
)
def test_refusals_are_not_retried(error, code):
    fn = Script(error)
    with pytest.raises(AwsCallError) as caught:
        call("secretsmanager:GetSecretValue", fn, Budget.of_seconds(5), sleep=lambda s: None)
    assert fn.calls == 1
    assert (caught.value.code, caught.value.transient) == (code, False)
    assert str(caught.value) == f"secretsmanager:GetSecretValue failed: {code}: {code} says no"


def test_retry_after_is_honoured_when_it_fits():
    sleeps: list[float] = []
    fn = Script(client_error("TooManyRequestsException", 429, retry_after="2"))
    call("connect:GetContactAttributes", fn, Budget.of_seconds(5), sleep=sleeps.append)
    assert sleeps == [2.0]


def test_retry_after_beyond_the_budget_fails_at_once():
    sleeps: list[float] = []
    fn = Script(client_error("TooManyRequestsException", 429, retry_after="30"))
    with pytest.raises(AwsCallError) as caught:
        call("connect:GetContactAttributes", fn, Budget.of_seconds(5), sleep=sleeps.append)
    assert sleeps == [] and fn.calls == 1 and caught.value.transient


def test_attempts_are_bounded():
    fn = Script(*(client_error("InternalServiceError", 500) for _ in range(10)))
    with pytest.raises(AwsCallError):
        call("s3:GetObject", fn, Budget.of_seconds(5), sleep=lambda s: None)
    assert fn.calls == MAX_ATTEMPTS


def test_a_call_that_outlasts_the_budget_is_abandoned_at_the_deadline():
    release = threading.Event()

    def hangs() -> dict:
        release.wait(30)
        return {}

    try:
        with pytest.raises(AwsCallError) as caught:
            call("s3:GetObject", hangs, Budget.of_seconds(0.5), sleep=lambda s: None)
        assert caught.value.code == "Timeout" and "the rest of the budget" in str(caught.value)
    finally:
        release.set()


def test_no_call_without_budget():
    fn = Script()
    with pytest.raises(BudgetExhaustedError, match="s3:GetObject not attempted"):
        call("s3:GetObject", fn, Budget.of_seconds(0.05))
    assert fn.calls == 0

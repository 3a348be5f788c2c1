"""Chat transcripts in S3: ``s3://<bucket>/<prefix>/YYYY/MM/DD/<contactId>_<timestamp>.json``.

Connect writes the file some time after the chat ends. :meth:`TranscriptStore.wait_for` looks for it with
exponential backoff for as long as the invocation's budget allows (keeping ``reserve_s`` for the upload), then
raises :class:`TranscriptNotReadyError` so that Lambda's asynchronous retry looks again later.
Needs ``s3:ListBucket`` (prefix ``<prefix>/*``) and ``s3:GetObject`` on ``<prefix>/*``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from connect_omni.aws import AwsCallError, UnreadableAnswerError, call
from connect_omni.budget import Budget
from connect_omni.errors import ConnectOmniError
from connect_omni.observability import logger


class TranscriptNotReadyError(ConnectOmniError):
    """The transcript is not in S3 yet. Transient: raised so that Lambda retries the event later."""


@dataclass(frozen=True)
class PollPolicy:
    """How long and how often to look for a transcript.

    Attributes
    ----------
    first_delay_s, factor, max_delay_s:
        Waits between looks: ``first_delay_s``, times ``factor`` each time, at most ``max_delay_s``.
    reserve_s:
        Budget kept for the upload once the file is there; no wait ends with less than this left.
    """

    first_delay_s: float = 2.0
    factor: float = 2.0
    max_delay_s: float = 20.0
    reserve_s: float = 30.0


@dataclass(frozen=True)
class FoundTranscript:
    """The object found: ``key`` and its bytes."""

    bucket: str
    key: str
    body: bytes

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class TranscriptStore:
    """Looks up and reads chat transcripts.

    Parameters
    ----------
    client:
        A boto3 S3 client.
    bucket, prefix:
        ``CHAT_TRANSCRIPTS_BUCKET`` and ``CHAT_TRANSCRIPTS_PREFIX`` (slashes at either end are ignored).
    sleep:
        Injected for tests.
    """

    def __init__(self, client: Any, bucket: str, prefix: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.sleep = sleep

    def key_prefix(self, contact_id: str, day: date) -> str:
        """``<prefix>/YYYY/MM/DD/<contactId>_``."""
        base = f"{self.prefix}/" if self.prefix else ""
        return f"{base}{day:%Y/%m/%d}/{contact_id}_"

    def find(self, contact_id: str, days: Sequence[date], budget: Budget | None = None) -> str | None:
        """The key of the contact's transcript under the first of ``days`` that has one, else ``None``.

        When a day holds several objects for the contact, the last key in S3 order (the latest timestamp
        suffix) is taken.
        """
        for day in days:
            prefix = self.key_prefix(contact_id, day)
            answer = self._call(
                "s3:ListObjectsV2",
                f"s3://{self.bucket}/{prefix}",
                lambda prefix=prefix: _listing(
                    self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=100)
                ),
                budget,
            )
            contents = answer.get("Contents", [])
            keys = sorted(
                str(obj["Key"])
                for obj in contents
                if isinstance(obj, dict) and str(obj.get("Key", "")).endswith(".json")
            )
            if keys:
                return keys[-1]
        return None

    def read(self, key: str, budget: Budget | None = None) -> FoundTranscript:
        """The object's bytes (the whole body read within the budget)."""
        body = self._call(
            "s3:GetObject",
            f"s3://{self.bucket}/{key}",
            lambda: self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read(),
            budget,
        )
        return FoundTranscript(self.bucket, key, body)

    @staticmethod
    def _call(operation: str, where: str, fn: Callable[[], Any], budget: Budget | None) -> Any:
        try:
            return call(operation, fn, budget)
        except AwsCallError as exc:
            raise AwsCallError(operation, exc.code, f"{where}: {exc.detail}", transient=exc.transient) from None

    def wait_for(
        self, contact_id: str, days: Sequence[date], budget: Budget, policy: PollPolicy = PollPolicy()
    ) -> FoundTranscript:
        """Find and read the transcript, waiting for Connect to write it.

        Raises
        ------
        TranscriptNotReadyError
            Still missing when the next wait would leave less than ``policy.reserve_s`` of the budget.
        AwsCallError
            S3 refused or failed.
        """
        delay = policy.first_delay_s
        looks = 0
        while True:
            looks += 1
            key = self.find(contact_id, days, budget)
            if key is not None:
                if looks > 1:
                    logger.info("Transcript appeared", extra={"looks": looks, "key": key})
                return self.read(key, budget)
            wait = min(delay, budget.remaining() - policy.reserve_s)
            if wait <= 0:
                searched = ", ".join(f"s3://{self.bucket}/{self.key_prefix(contact_id, d)}*" for d in days)
                raise TranscriptNotReadyError(
                    f"no transcript for contact {contact_id} after {looks} looks (searched {searched})"
                )
            logger.debug("Transcript not written yet; waiting", extra={"wait_s": round(wait, 2), "looks": looks})
            self.sleep(wait)
            delay = min(delay * policy.factor, policy.max_delay_s)


def _listing(answer: Any) -> dict[str, Any]:
    """A ListObjectsV2 answer, or UnreadableAnswerError (retried) for a 200 that is not one: a real listing
    always names its bucket and says whether it is truncated, even when it holds no object."""
    if not isinstance(answer, dict) or "IsTruncated" not in answer:
        raise UnreadableAnswerError("the answer is not a ListObjectsV2 result")
    return answer

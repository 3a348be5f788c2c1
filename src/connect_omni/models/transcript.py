"""An Amazon Connect chat transcript, as Connect writes it to S3.

Key ``<prefix>/YYYY/MM/DD/<contactId>_<timestamp>.json``; body ``{"Version", "AWSAccountId", "InstanceId",
"InitialContactId", "ContactId", "Participants": [{"ParticipantId"}], "Transcript": [item, ...]}``; an item has
``AbsoluteTime`` (ISO-8601 UTC, ms), ``Content``, ``ContentType``, ``Id``, ``Type`` (MESSAGE | EVENT |
ATTACHMENT | ...), ``ParticipantId``, ``DisplayName``, ``ParticipantRole`` (CUSTOMER | AGENT | SYSTEM |
CUSTOM_BOT | ...), and for attachments ``Attachments``. Item fields: the Amazon Connect Participant Service
``Item`` (docs.aws.amazon.com/connect-participant/latest/APIReference/API_Item.html); where Connect stores
the files: Connect console > your instance > Data storage > Chat transcripts
(docs.aws.amazon.com/connect/latest/adminguide/amazon-connect-instances.html).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connect_omni.errors import ConnectOmniError


class InvalidTranscriptError(ConnectOmniError):
    """The transcript object is not JSON, or not a chat transcript of the expected contact.

    Permanent: a retry would read the same object.
    """


class TranscriptItem(BaseModel):
    """One entry of ``Transcript``."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    id: str = Field(alias="Id", min_length=1)
    type: str = Field(alias="Type", min_length=1)
    absolute_time: datetime = Field(alias="AbsoluteTime")
    participant_role: str | None = Field(None, alias="ParticipantRole")
    participant_id: str | None = Field(None, alias="ParticipantId")
    display_name: str | None = Field(None, alias="DisplayName")
    content: str | None = Field(None, alias="Content")
    content_type: str | None = Field(None, alias="ContentType")
    attachments: list[dict[str, Any]] | None = Field(None, alias="Attachments")

    @field_validator("absolute_time", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def epoch_ms(self) -> int:
        """``AbsoluteTime`` in Unix epoch milliseconds."""
        return int(self.absolute_time.timestamp() * 1000)


class Transcript(BaseModel):
    """A chat transcript file."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    version: str | None = Field(None, alias="Version")
    instance_id: str | None = Field(None, alias="InstanceId")
    initial_contact_id: str | None = Field(None, alias="InitialContactId")
    contact_id: str = Field(alias="ContactId", min_length=1)
    items: list[TranscriptItem] = Field(default_factory=list, alias="Transcript")

    @classmethod
    def parse(cls, raw: bytes | str, *, source: str = "transcript") -> Transcript:
        """Decode and validate a transcript file.

        Parameters
        ----------
        source:
            Where it came from (an ``s3://`` URL), for the error message.

        Raises
        ------
        InvalidTranscriptError
            Not JSON, or a field is missing or malformed (named in the message; no message text).
        """
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidTranscriptError(f"{source}: not JSON ({type(exc).__name__})") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "document"
            raise InvalidTranscriptError(f"{source}: {where}: {err['msg'].lower()}") from None

    @property
    def ended_at_ms(self) -> int | None:
        """The latest ``AbsoluteTime`` of any item (epoch ms), ``None`` for an empty transcript."""
        return max((item.epoch_ms for item in self.items), default=None)

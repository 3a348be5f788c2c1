"""Amazon Connect's contact event, as EventBridge delivers it to TranscriptIngestionFunction.

``{"source": "aws.connect", "detail-type": "Amazon Connect Contact Event", "time": ..., "detail": {...}}``;
``detail`` carries ``eventType`` (DISCONNECTED here), ``contactId``, ``initialContactId``, ``channel``,
``instanceArn``, ``initiationMethod``, ``initiationTimestamp``, ``disconnectTimestamp``, ``agentInfo`` (present
when an agent took part), ``queueInfo``, ... (docs.aws.amazon.com/connect/latest/adminguide/
contact-events.html). Only the fields the ingestion reads are modelled; the rest is ignored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connect_omni.errors import InputError
from connect_omni.models.connect import _pydantic_message, check_contact_id

SOURCE = "aws.connect"
DETAIL_TYPE = "Amazon Connect Contact Event"


#: A contact event is about the past; a timestamp further ahead than this is a broken event (and near
#: ``datetime.max`` the day arithmetic of :meth:`ContactEvent.transcript_days` would overflow).
MAX_FUTURE = timedelta(days=1)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value > datetime.now(UTC) + MAX_FUTURE:
        raise ValueError(f"a time in the past, got {value.isoformat()}")
    return value


class ContactEventDetail(BaseModel):
    """``detail`` of an Amazon Connect Contact Event."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    event_type: str = Field(alias="eventType", min_length=1)
    contact_id: str = Field(alias="contactId", min_length=1)
    initial_contact_id: str | None = Field(None, alias="initialContactId")
    previous_contact_id: str | None = Field(None, alias="previousContactId")
    channel: str | None = None
    instance_arn: str | None = Field(None, alias="instanceArn")
    initiation_method: str | None = Field(None, alias="initiationMethod")
    initiation_timestamp: datetime | None = Field(None, alias="initiationTimestamp")
    disconnect_timestamp: datetime | None = Field(None, alias="disconnectTimestamp")
    agent_info: dict[str, Any] | None = Field(None, alias="agentInfo")

    _utc = field_validator("initiation_timestamp", "disconnect_timestamp", mode="after")(_utc)
    _ids = field_validator("contact_id", "initial_contact_id", "previous_contact_id", mode="before")(check_contact_id)

    @field_validator("initial_contact_id", "previous_contact_id", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return value or None


class ContactEvent(BaseModel):
    """An EventBridge ``Amazon Connect Contact Event``."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    id: str | None = None
    source: str
    detail_type: str = Field(alias="detail-type")
    time: datetime | None = None
    detail: ContactEventDetail

    _utc = field_validator("time", mode="after")(_utc)

    @classmethod
    def parse(cls, event: Any) -> ContactEvent:
        """Validate a raw event.

        Raises
        ------
        InputError
            Naming the first missing or malformed field (e.g. ``detail.contactId``), or when ``source`` /
            ``detail-type`` are not those of a Connect contact event.
        """
        try:
            parsed = cls.model_validate(event)
        except ValidationError as exc:
            err = exc.errors()[0]
            message = _pydantic_message(err["msg"])
            where = ".".join(str(p) for p in err["loc"]) or "event"
            raise InputError(where, message[:1].lower() + message[1:]) from None
        if parsed.source != SOURCE:
            raise InputError("source", f"{SOURCE!r}, got {parsed.source[:60]!r}")
        if parsed.detail_type != DETAIL_TYPE:
            raise InputError("detail-type", f"{DETAIL_TYPE!r}, got {parsed.detail_type[:60]!r}")
        return parsed

    @property
    def initial_contact_id(self) -> str:
        """``detail.initialContactId``, else ``detail.contactId`` (a contact that was never transferred)."""
        return self.detail.initial_contact_id or self.detail.contact_id

    @property
    def ended_at(self) -> datetime | None:
        """``detail.disconnectTimestamp``, else the event's ``time``."""
        return self.detail.disconnect_timestamp or self.time

    def transcript_days(self) -> list[date]:
        """The UTC days under which Connect may have filed the transcript, in search order.

        The day of ``initiationTimestamp`` first (the contact's date), then the days of ``disconnectTimestamp``
        and ``time`` (a chat that spans midnight), then the day after the last of them (a transcript written
        just after midnight). Today and yesterday when the event carries no timestamp at all.
        """
        stamps = [t for t in (self.detail.initiation_timestamp, self.detail.disconnect_timestamp, self.time) if t]
        if not stamps:
            today = datetime.now(UTC).date()
            return [today, today - timedelta(days=1)]
        days: list[date] = []
        for stamp in [*stamps, max(stamps) + timedelta(days=1)]:
            if stamp.date() not in days:
                days.append(stamp.date())
        return days

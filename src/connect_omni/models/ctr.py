"""Amazon Connect contact trace records (CTRs), as Connect data streaming puts them on a Kinesis stream, and
SCC-AC's Salesforce record of them, ``awsac__SCC_ContactTraceRecord__c``.

The CTR (docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html): a JSON object with ``ContactId``,
``InitialContactId``, ``PreviousContactId``, ``NextContactId``, ``AWSAccountId``, ``InstanceARN``, ``Channel``,
``InitiationMethod``, ``DisconnectReason``, timestamps as UTC strings ``yyyy-mm-ddThh:mm:ssZ``
(``InitiationTimestamp``, ``ConnectedToSystemTimestamp``, ``DisconnectTimestamp``, ``LastUpdateTimestamp``,
``TransferCompletedTimestamp``), ``AgentConnectionAttempts`` (integer), ``Agent`` and ``Queue`` (objects, or
null when the contact never reached one; durations in whole seconds), ``Attributes`` (the contact attributes),
``References``, ``SegmentAttributes``. Connect adds fields over time ("build them to ignore the addition of new
fields"), so unknown fields are ignored; a field may be null.

On the stream, each Kinesis record's ``data`` is the base64 of one CTR's UTF-8 JSON (Lambda's Kinesis event:
docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html). Connect delivers CTRs at least once and sends a
contact's CTR again when it changes; the guide says to keep the copy with the latest ``LastUpdateTimestamp``
per ``ContactId`` (:meth:`ContactTraceRecord.version`).

The Salesforce field mapping is SCC-AC's own (its ContactTraceRecord Lambda, ``createCtrCustomObject``): the
values are passed through as Connect gives them (timestamps as ISO-8601 UTC strings, durations and counts as
numbers), the four JSON-valued CTR fields as compact JSON strings, and the three legacy picklist fields set to
``DEPRECATED`` (their ``*_Revamped__c`` text replacements carry the value). Absent fields are sent as null, so
the Salesforce record always equals the newest CTR.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError

from connect_omni.errors import InputError

#: The Salesforce object SCC-AC keeps one record of per Connect contact (managed package namespace ``awsac``).
SCC_CONTACT_TRACE_RECORD = "awsac__SCC_ContactTraceRecord__c"
#: Its external id field: the Connect ``ContactId``.
CONTACT_ID_FIELD = "awsac__ContactId__c"
#: Its ``LastUpdateTimestamp`` field (read back to keep an older CTR from replacing a newer one).
LAST_UPDATE_FIELD = "awsac__LastUpdateTimestamp__c"
#: The value SCC-AC writes into its legacy picklist fields.
DEPRECATED = "DEPRECATED"


class InvalidContactTraceRecordError(InputError):
    """A Kinesis record that can never be stored: ``data`` is not base64 of UTF-8 JSON, or not a CTR.

    Permanent: the stream would deliver the same bytes again. ``field`` names the part at fault
    (``data``, ``ContactId``, ``Queue.Duration``...); the message never contains field values.
    """


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: A CTR timestamp (UTC; a value without an offset is taken as UTC, as the data model says).
Timestamp = Annotated[datetime, AfterValidator(_utc)]


def format_timestamp(value: datetime | None) -> str | None:
    """A timestamp the way Connect writes it: ``2025-01-14T00:14:41Z`` (``.123`` ms added when not zero).

    Salesforce REST accepts ISO-8601 date-times for DateTime fields; this is also what SCC-AC sends, since it
    passes Connect's strings through.
    """
    if value is None:
        return None
    value = _utc(value)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"


def _json_text(value: Any) -> str | None:
    """SCC-AC's ``getFieldString``: compact JSON (as JavaScript's ``JSON.stringify``), null for null."""
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Part(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class RoutingProfile(_Part):
    """``Agent.RoutingProfile``."""

    arn: str | None = Field(None, alias="ARN")
    name: str | None = Field(None, alias="Name")


class AgentInfo(_Part):
    """``Agent``: the agent who handled the contact (durations in whole seconds)."""

    arn: str | None = Field(None, alias="ARN")
    username: str | None = Field(None, alias="Username")
    routing_profile: RoutingProfile | None = Field(None, alias="RoutingProfile")
    connected_to_agent_timestamp: Timestamp | None = Field(None, alias="ConnectedToAgentTimestamp")
    agent_interaction_duration: NonNegativeInt | None = Field(None, alias="AgentInteractionDuration")
    after_contact_work_duration: NonNegativeInt | None = Field(None, alias="AfterContactWorkDuration")
    after_contact_work_start_timestamp: Timestamp | None = Field(None, alias="AfterContactWorkStartTimestamp")
    after_contact_work_end_timestamp: Timestamp | None = Field(None, alias="AfterContactWorkEndTimestamp")
    hierarchy_groups: Any = Field(None, alias="HierarchyGroups")


class QueueInfo(_Part):
    """``Queue``: the queue the contact waited in (``Duration`` in whole seconds)."""

    arn: str | None = Field(None, alias="ARN")
    name: str | None = Field(None, alias="Name")
    duration: NonNegativeInt | None = Field(None, alias="Duration")
    enqueue_timestamp: Timestamp | None = Field(None, alias="EnqueueTimestamp")
    dequeue_timestamp: Timestamp | None = Field(None, alias="DequeueTimestamp")


class ContactTraceRecord(_Part):
    """One CTR: the fields SCC-AC's Salesforce record holds, plus the two attributes that say whose it is.

    ``attributes`` (the contact attributes) may hold customer data: never log them, only ``contact_id``.
    """

    contact_id: str = Field(alias="ContactId", min_length=1, max_length=256)
    aws_account_id: str | None = Field(None, alias="AWSAccountId")
    initial_contact_id: str | None = Field(None, alias="InitialContactId")
    previous_contact_id: str | None = Field(None, alias="PreviousContactId")
    next_contact_id: str | None = Field(None, alias="NextContactId")
    instance_arn: str | None = Field(None, alias="InstanceARN")
    channel: str | None = Field(None, alias="Channel")
    initiation_method: str | None = Field(None, alias="InitiationMethod")
    disconnect_reason: str | None = Field(None, alias="DisconnectReason")
    initiation_timestamp: Timestamp | None = Field(None, alias="InitiationTimestamp")
    connected_to_system_timestamp: Timestamp | None = Field(None, alias="ConnectedToSystemTimestamp")
    disconnect_timestamp: Timestamp | None = Field(None, alias="DisconnectTimestamp")
    last_update_timestamp: Timestamp | None = Field(None, alias="LastUpdateTimestamp")
    transfer_completed_timestamp: Timestamp | None = Field(None, alias="TransferCompletedTimestamp")
    agent_connection_attempts: NonNegativeInt | None = Field(None, alias="AgentConnectionAttempts")
    agent: AgentInfo | None = Field(None, alias="Agent")
    queue: QueueInfo | None = Field(None, alias="Queue")
    attributes: dict[str, Any] | None = Field(None, alias="Attributes", repr=False)
    references: Any = Field(None, alias="References", repr=False)
    segment_attributes: Any = Field(None, alias="SegmentAttributes", repr=False)

    @classmethod
    def from_kinesis_data(cls, data: str | None) -> ContactTraceRecord:
        """Decode a Kinesis record's ``data`` (base64 of the CTR's UTF-8 JSON) and validate it.

        Raises
        ------
        InvalidContactTraceRecordError
            ``field`` = ``data`` when it is not base64, UTF-8 or a JSON object; otherwise the CTR field at
            fault (``ContactId`` missing, ``Queue.Duration`` not a whole number...). Values are never quoted.
        """
        if not isinstance(data, str) or not data:
            raise InvalidContactTraceRecordError("data", "base64 of a contact trace record (got nothing)")
        try:
            document = json.loads(base64.b64decode(data, validate=True).decode("utf-8"))
        except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise InvalidContactTraceRecordError("data", "base64 of a UTF-8 JSON contact trace record") from None
        if not isinstance(document, dict):
            raise InvalidContactTraceRecordError("data", f"a JSON object, got a JSON {type(document).__name__}")
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            err = exc.errors(include_input=False, include_url=False)[0]
            where = ".".join(str(p) for p in err["loc"]) or "data"
            raise InvalidContactTraceRecordError(where, f"a valid value ({err['msg'].lower()})") from None

    def attribute(self, name: str) -> str | None:
        """The contact attribute ``name`` when it is a string (``source``, ``callCenterId``), else ``None``."""
        value = (self.attributes or {}).get(name)
        return value if isinstance(value, str) else None

    @property
    def version(self) -> datetime:
        """``LastUpdateTimestamp``, the CTR's version (the oldest possible time when absent)."""
        return self.last_update_timestamp or datetime.min.replace(tzinfo=UTC)

    def salesforce_fields(self) -> dict[str, Any]:
        """The ``awsac__SCC_ContactTraceRecord__c`` fields, SCC-AC's mapping (see the module docstring).

        Returns
        -------
        dict
            Field API name -> value (str, int or None); every mapped field is present.
        """
        agent = self.agent or AgentInfo()
        profile = agent.routing_profile or RoutingProfile()
        queue = self.queue or QueueInfo()
        return {
            "awsac__Channel__c": DEPRECATED,
            "awsac__Channel_Revamped__c": self.channel,
            "awsac__DisconnectReason__c": DEPRECATED,
            "awsac__DisconnectReason_Revamped__c": self.disconnect_reason,
            "awsac__Initiation_Method__c": DEPRECATED,
            "awsac__Initiation_Method_Revamped__c": self.initiation_method,
            "awsac__AWSAccountId__c": self.aws_account_id,
            "awsac__AfterContactWorkDuration__c": agent.after_contact_work_duration,
            "awsac__AfterContactWorkEndTimestamp__c": format_timestamp(agent.after_contact_work_end_timestamp),
            "awsac__AfterContactWorkStartTimestamp__c": format_timestamp(agent.after_contact_work_start_timestamp),
            "awsac__AgentARN__c": agent.arn,
            "awsac__AgentConnectedToAgentTimestamp__c": format_timestamp(agent.connected_to_agent_timestamp),
            "awsac__AgentConnectionAttempts__c": self.agent_connection_attempts,
            "awsac__AgentHierarchyGroup__c": _json_text(agent.hierarchy_groups),
            "awsac__AgentInteractionDuration__c": agent.agent_interaction_duration,
            "awsac__AgentRoutingProfileARN__c": profile.arn,
            "awsac__AgentRoutingProfileName__c": profile.name,
            "awsac__AgentUsername__c": agent.username,
            "awsac__Attributes__c": _json_text(self.attributes),
            "awsac__ConnectedToSystemTimestamp__c": format_timestamp(self.connected_to_system_timestamp),
            CONTACT_ID_FIELD: self.contact_id,
            "awsac__DisconnectTimestamp__c": format_timestamp(self.disconnect_timestamp),
            "awsac__InitialContactId__c": self.initial_contact_id,
            "awsac__InitiationTimestamp__c": format_timestamp(self.initiation_timestamp),
            "awsac__InstanceARN__c": self.instance_arn,
            LAST_UPDATE_FIELD: format_timestamp(self.last_update_timestamp),
            "awsac__NextContactId__c": self.next_contact_id,
            "awsac__PreviousContactId__c": self.previous_contact_id,
            "awsac__QueueARN__c": queue.arn,
            "awsac__QueueDequeueTimestamp__c": format_timestamp(queue.dequeue_timestamp),
            "awsac__QueueDuration__c": queue.duration,
            "awsac__QueueEnqueueTimestamp__c": format_timestamp(queue.enqueue_timestamp),
            "awsac__QueueName__c": queue.name,
            "awsac__References__c": _json_text(self.references),
            "awsac__SegmentAttributes__c": _json_text(self.segment_attributes),
            "awsac__TransferCompletedTimestamp__c": format_timestamp(self.transfer_completed_timestamp),
        }

"""Amazon Connect's Lambda invocation event, as the flow handlers read it.

``{"Name": "ContactFlowEvent", "Details": {"ContactData": {...}, "Parameters": {...}}}``; ``Parameters`` are
the flow block's function input parameters (``LambdaInvocationAttributes`` in flow JSON), ``Attributes``
the contact attributes. (docs.aws.amazon.com/connect/latest/adminguide/connect-lambda-functions.html)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connect_omni.errors import InputError


def _object_or_none(value: Any) -> Any:
    """Connect data the functions only read where present: anything but an object counts as absent."""
    return value if isinstance(value, dict) else None


def _strings(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("expected an object of strings")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items() if v is not None}


class ContactData(BaseModel):
    """``Details.ContactData``: the contact the flow is running for.

    ``customer_endpoint`` is ``CustomerEndpoint`` (``{"Address", "Type"}``; ``Type`` TELEPHONE_NUMBER for SMS
    and WhatsApp, an E.164 number) and ``segment_attributes`` is ``SegmentAttributes`` (name ->
    ``{"ValueString": ...}``, e.g. ``connect:Subtype`` = ``connect:Chat``, ``connect:SMS``,
    ``connect:WhatsApp``), both as Connect sends them (None / empty when absent or not objects).
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    contact_id: str = Field(alias="ContactId", min_length=1)
    initial_contact_id: str | None = Field(None, alias="InitialContactId")
    previous_contact_id: str | None = Field(None, alias="PreviousContactId")
    channel: str | None = Field(None, alias="Channel")
    initiation_method: str | None = Field(None, alias="InitiationMethod")
    instance_arn: str | None = Field(None, alias="InstanceARN")
    attributes: dict[str, str] = Field(default_factory=dict, alias="Attributes")
    customer_endpoint: dict[str, Any] | None = Field(None, alias="CustomerEndpoint")
    segment_attributes: dict[str, Any] | None = Field(None, alias="SegmentAttributes")

    _strings = field_validator("attributes", mode="before")(_strings)
    _objects = field_validator("customer_endpoint", "segment_attributes", mode="before")(_object_or_none)

    @property
    def subtype(self) -> str | None:
        """The channel subtype, ``SegmentAttributes["connect:Subtype"].ValueString`` (None when absent)."""
        return segment_subtype(self.segment_attributes)


class Details(BaseModel):
    """``Details``: ``ContactData`` and the block's ``Parameters``."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    contact_data: ContactData = Field(alias="ContactData")
    parameters: dict[str, str] = Field(default_factory=dict, alias="Parameters")

    _strings = field_validator("parameters", mode="before")(_strings)


class ContactFlowEvent(BaseModel):
    """The event Connect sends to a Lambda from an Invoke AWS Lambda function block."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    details: Details = Field(alias="Details")

    @classmethod
    def parse(cls, event: Any) -> ContactFlowEvent:
        """Validate a raw event.

        Raises
        ------
        InputError
            Naming the first missing or malformed field (e.g. ``Details.ContactData.ContactId``).
        """
        try:
            return cls.model_validate(event)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(".".join(str(p) for p in err["loc"]), err["msg"].lower()) from None

    @property
    def contact(self) -> ContactData:
        """``Details.ContactData``."""
        return self.details.contact_data

    def value(self, name: str) -> str | None:
        """An input: the block parameter ``name`` first, then the contact attribute ``name``.

        Empty strings count as absent (a parameter set from an unset attribute arrives as ``""``).
        Surrounding white space is removed.
        """
        for source in (self.details.parameters, self.contact.attributes):
            value = source.get(name)
            if value is not None and value.strip():
                return value.strip()
        return None

    def inputs_with_prefix(self, prefix: str) -> dict[str, str]:
        """Every non-empty input whose name starts with ``prefix``, keyed by the rest of the name.

        Attributes first, then parameters over them (parameters win). Names containing dots are kept whole:
        ``salesforceFlowRoutingAttributes.a.b`` -> ``a.b``.
        """
        found: dict[str, str] = {}
        for source in (self.contact.attributes, self.details.parameters):
            for key, value in source.items():
                if key.startswith(prefix) and len(key) > len(prefix) and value.strip():
                    found[key[len(prefix) :]] = value.strip()
        return found


def segment_subtype(segment_attributes: Any) -> str | None:
    """``connect:Subtype`` of a ``SegmentAttributes`` map (Lambda event or DescribeContact), or None.

    The value is a ``SegmentAttributeValue`` (``{"ValueString": "connect:SMS"}``; Amazon Connect API
    Reference, SegmentAttributeValue).
    """
    if not isinstance(segment_attributes, dict):
        return None
    value = segment_attributes.get("connect:Subtype")
    text = value.get("ValueString") if isinstance(value, dict) else None
    return text.strip() if isinstance(text, str) and text.strip() else None


def is_warmup(event: Any) -> bool:
    """True for a scheduled warm-up event (``{"source": "aws.events", ...}``), which SCC-AC answers with
    ``{}``."""
    return isinstance(event, dict) and event.get("source") == "aws.events"


def string_map(values: dict[str, str | None]) -> dict[str, str]:
    """The STRING_MAP answer for Connect: keys with a value only (no ``None``, no ``""``)."""
    return {key: value for key, value in values.items() if value}

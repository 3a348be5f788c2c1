"""Amazon Connect's Lambda invocation event, as the flow handlers read it.

``{"Name": "ContactFlowEvent", "Details": {"ContactData": {...}, "Parameters": {...}}}``; ``Parameters`` are
the flow block's function input parameters (``LambdaInvocationAttributes`` in flow JSON), ``Attributes``
the contact attributes. (docs.aws.amazon.com/connect/latest/adminguide/connect-lambda-functions.html)
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connect_omni.errors import InputError

#: A contact attribute value: "Value Length Constraints: Maximum length of 32767" (Amazon Connect API Reference,
#: GetContactAttributes), and "up to 32,768 UTF-8 bytes across all attributes for a contact"
#: (UpdateContactAttributes). A block parameter is built from attributes, so the same bounds apply.
MAX_VALUE_CHARS = 32_767
MAX_VALUE_BYTES = 32_768
#: ``ContactId``, ``InitialContactId``: "Minimum length of 1. Maximum length of 256." (GetContactAttributes).
MAX_CONTACT_ID = 256
#: Unicode categories never valid in an identifier or attribute the functions read: controls (C0, C1, DEL),
#: lone surrogates, and line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def forbidden_character(value: str) -> str | None:
    """The first control character (``\\n``, NUL, U+2028, ...) of ``value`` as ``U+XXXX``, else None."""
    for ch in value:
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            return f"U+{ord(ch):04X}"
    return None


def check_text(field: str, value: Any) -> str:
    """``value`` if it is a string Connect could have sent for ``field``, else :class:`InputError` naming it.

    Rules: a string (attributes and parameters are strings in Connect's event), at most
    :data:`MAX_VALUE_CHARS` characters and :data:`MAX_VALUE_BYTES` UTF-8 bytes, no control character.
    """
    if not isinstance(value, str):
        raise InputError(field, f"a string, got {_type_name(value)}")
    if len(value) > MAX_VALUE_CHARS or len(value.encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES:
        raise InputError(field, f"at most {MAX_VALUE_CHARS:,} characters (Amazon Connect's limit), got {len(value):,}")
    bad = forbidden_character(value)
    if bad:
        raise InputError(field, f"no control characters, got {bad}")
    return value


def _pydantic_message(message: str) -> str:
    """pydantic's wording, made to follow "<field>: expected ..."."""
    if message == "Field required":
        return "a value; it is missing"
    return message.removeprefix("Value error, ").removeprefix("Input should be ")


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def check_contact_id(value: Any) -> Any:
    """A pydantic ``before`` validator of contact ids: 1 to 256 characters, no spaces or control characters."""
    if value is None or not isinstance(value, str):
        return value  # pydantic names a missing or non-string field itself
    if value == "":
        return None  # absent (a required ContactId is then named as missing)
    if len(value) > MAX_CONTACT_ID:
        raise ValueError(f"1 to {MAX_CONTACT_ID} characters, got {len(value)}")
    if value.strip() != value or not value.strip() or forbidden_character(value) or " " in value:
        raise ValueError("an Amazon Connect contact id (no spaces or control characters)")
    return value


def _object_or_none(value: Any) -> Any:
    """Connect data the functions only read where present: anything but an object counts as absent."""
    return value if isinstance(value, dict) else None


def _inputs(value: Any) -> dict[str, Any]:
    """Attributes or parameters as sent, values unchecked: a value is checked when an input is read
    (:meth:`ContactFlowEvent.value`), so an attribute the functions never read cannot fail a chat."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("an object of strings")
    return {str(k): v for k, v in value.items() if v is not None}


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
    attributes: dict[str, Any] = Field(default_factory=dict, alias="Attributes")
    customer_endpoint: dict[str, Any] | None = Field(None, alias="CustomerEndpoint")
    segment_attributes: dict[str, Any] | None = Field(None, alias="SegmentAttributes")

    _inputs = field_validator("attributes", mode="before")(_inputs)
    _ids = field_validator("contact_id", "initial_contact_id", "previous_contact_id", mode="before")(check_contact_id)
    _objects = field_validator("customer_endpoint", "segment_attributes", mode="before")(_object_or_none)

    @property
    def subtype(self) -> str | None:
        """The channel subtype, ``SegmentAttributes["connect:Subtype"].ValueString`` (None when absent)."""
        return segment_subtype(self.segment_attributes)


class Details(BaseModel):
    """``Details``: ``ContactData`` and the block's ``Parameters``."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    contact_data: ContactData = Field(alias="ContactData")
    parameters: dict[str, Any] = Field(default_factory=dict, alias="Parameters")

    _inputs = field_validator("parameters", mode="before")(_inputs)


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
            Naming the first missing or malformed field (e.g. ``Details.ContactData.ContactId``; ``event`` when
            the event is not an object).
        """
        if not isinstance(event, dict):
            raise InputError("event", f"a JSON object (Amazon Connect's ContactFlowEvent), got {_type_name(event)}")
        try:
            return cls.model_validate(event)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "event"
            message = _pydantic_message(err["msg"])
            raise InputError(where, message[:1].lower() + message[1:]) from None

    @property
    def contact(self) -> ContactData:
        """``Details.ContactData``."""
        return self.details.contact_data

    def value(self, name: str) -> str | None:
        """An input: the block parameter ``name`` first, then the contact attribute ``name``.

        Empty strings count as absent (a parameter set from an unset attribute arrives as ``""``).
        Surrounding white space is removed.

        Raises
        ------
        InputError
            Naming ``name``: a value that is not a string, is beyond Connect's attribute limits, or holds a
            control character (see :func:`check_text`). Never turned into a string: ``true`` is not ``"True"``.
        """
        for source in (self.details.parameters, self.contact.attributes):
            value = source.get(name)
            if value is not None and check_text(name, value).strip():
                return value.strip()
        return None

    def inputs_with_prefix(self, prefix: str) -> dict[str, str]:
        """Every non-empty input whose name starts with ``prefix``, keyed by the rest of the name.

        Attributes first, then parameters over them (parameters win). Names containing dots are kept whole:
        ``salesforceFlowRoutingAttributes.a.b`` -> ``a.b``.

        Raises
        ------
        InputError
            Naming the whole key: a name that is empty, blank or padded, or holds a control character; a value
            as :meth:`value` refuses.
        """
        found: dict[str, str] = {}
        for source in (self.contact.attributes, self.details.parameters):
            for key, value in source.items():
                if not key.startswith(prefix):
                    continue
                name = key[len(prefix) :]
                if not name.strip() or name.strip() != name or forbidden_character(name):
                    raise InputError(key, f"a name after {prefix!r}: not empty, no surrounding spaces or controls")
                if check_text(key, value).strip():
                    found[name] = value.strip()
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

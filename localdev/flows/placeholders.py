"""The placeholder values in ``contact_flows/*.json`` and what replaces them.

Every placeholder is a syntactically valid value (ARN or UUID) so that the flows import and pass the
checker as they are, while being obviously fake (account ``111122223333``, all-zero UUIDs). The nested
template generator (:mod:`localdev.flows.template`) replaces each one with ``${<template value>}`` inside
``!Sub``; people importing a flow by hand replace them with the list in ``contact_flows/README.md``.

``PLACEHOLDERS`` maps ``placeholder string -> Placeholder(meaning, template_value, kind)``; ``kind`` is
``"parameter"`` (a parameter of the nested template) or ``"resource"`` (``${Logical.Attribute}`` of a
resource the nested template creates).
"""

from __future__ import annotations

from typing import NamedTuple

ACCOUNT = "111122223333"
REGION = "us-east-1"
INSTANCE_ARN = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/00000000-0000-0000-0000-000000000000"


class Placeholder(NamedTuple):
    """One placeholder: what it stands for and what the nested template puts in its place."""

    meaning: str
    template_value: str
    kind: str = "parameter"


PLACEHOLDERS: dict[str, Placeholder] = {
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:CreateMessagingSessionFunction": Placeholder(
        "ARN of the CreateMessagingSessionFunction Lambda (root stack output)",
        "CreateMessagingSessionFunctionArn",
    ),
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:RoutingFunction": Placeholder(
        "ARN of the RoutingFunction Lambda (root stack output)", "RoutingFunctionArn"
    ),
    f"{INSTANCE_ARN}/queue/00000000-0000-0000-0000-000000000001": Placeholder(
        "ARN of the Connect queue used for chats when routing returns no externalQueueId",
        "FallbackQueueArn",
    ),
    f"{INSTANCE_ARN}/queue/00000000-0000-0000-0000-000000000002": Placeholder(
        "ARN of the Connect queue used for tasks whose queueId attribute is not set",
        "TaskFallbackQueueArn",
    ),
    f"{INSTANCE_ARN}/flow-module/00000000-0000-0000-0000-0000000000b1": Placeholder(
        "ARN of the Contact Lens transcription flow module (contact-lens-transcription-subflow.json)",
        "ContactLensTranscriptionModule.ContactFlowModuleArn",
        "resource",
    ),
    f"{INSTANCE_ARN}/contact-flow/00000000-0000-0000-0000-0000000000d1": Placeholder(
        "ARN of the disconnect (re-queue) flow (disconnect-flow.json), named by the inbound flow's "
        "set-disconnect-flow block",
        "DisconnectFlow.ContactFlowArn",
        "resource",
    ),
    "00000000-0000-0000-0000-0000000000aa": Placeholder(
        "ChannelAddressIdentifier of the Salesforce messaging channel (MessagingChannel "
        "'Chat Channel Definition AWS SCC')",
        "ChannelAddressIdentifier",
    ),
}


def replace_values(text: str, values: dict[str, str]) -> str:
    """Replace each key of ``values`` found in ``text`` by its value, longest keys first (so an ARN is never
    partly rewritten by a shorter placeholder it contains)."""
    for old in sorted(values, key=len, reverse=True):
        text = text.replace(old, values[old])
    return text


def replace_placeholders(text: str, fmt: str = "${{{}}}") -> str:
    """Replace every placeholder in ``text`` by ``fmt.format(template_value)``.

    Longer placeholders are replaced first, so an ARN is never partly rewritten by a shorter
    placeholder it contains.

    Parameters
    ----------
    text : str
        Flow JSON text.
    fmt : str
        Format string receiving the template value; default gives ``${Name}`` for ``!Sub``.

    Returns
    -------
    str
        The text with placeholders substituted.
    """
    return replace_values(text, {value: fmt.format(ph.template_value) for value, ph in PLACEHOLDERS.items()})

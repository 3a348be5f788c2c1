"""Generated files are up to date; the generators do what they say."""

from __future__ import annotations

import json

from localdev.flows import diagram, template
from localdev.flows.model import FLOWS_DIR
from localdev.flows.placeholders import PLACEHOLDERS, replace_placeholders


def test_template_is_up_to_date() -> None:
    assert template.main(["--check"]) == 0


def test_diagrams_are_up_to_date() -> None:
    assert diagram.main(["--check"]) == 0


def test_template_has_no_placeholder_left_and_names_parameters() -> None:
    text = template.render()
    for value in PLACEHOLDERS:
        assert value not in text
    for name in (
        "InstanceArn",
        "NamePrefix",
        "CreateMessagingSessionFunctionArn",
        "RoutingFunctionArn",
        "FallbackQueueArn",
        "TaskFallbackQueueArn",
        "ChannelAddressIdentifier",
    ):
        assert f"\n  {name}:\n    Type: String" in text
    assert 'FlowModuleId": "${ContactLensTranscriptionModule.ContactFlowModuleArn}"' in text
    for lid in ("InboundChatFlow", "AgentTransferFlow", "QueueTransferFlow", "TaskRoutingFlow"):
        assert f"  {lid}Arn:\n" in text
    assert "  ContactLensTranscriptionModuleArn:\n" in text


def test_sub_escapes_other_dollar_braces() -> None:
    assert replace_placeholders('"${x}"'.replace("${", "${!")) == '"${!x}"'


def test_every_placeholder_is_used_by_a_flow() -> None:
    texts = "".join(p.read_text(encoding="utf-8") for p in FLOWS_DIR.glob("*.json"))
    assert [v for v in PLACEHOLDERS if v not in texts] == []


def test_mermaid_escaping() -> None:
    assert diagram.escape('say "hi" [x] (y) {z} a|b <c> #') == (
        "say #quot;hi#quot; #91;x#93; #40;y#41; #123;z#125; a#124;b #lt;c#gt; #35;"
    )
    flow = json.loads((FLOWS_DIR / "queue-transfer-flow.json").read_text(encoding="utf-8"))
    src = diagram.mermaid(flow)
    assert src.splitlines()[:4] == [
        "flowchart TD",
        '  start(["Start"])',
        "  start --> n0",
        '  n0["routing-loop<br/><b>Loop</b><br/>x3"]',
    ]
    assert '  n0 -->|"DoneLooping"| n3' in src
    assert '  n4(["disconnect<br/><b>DisconnectParticipant</b>"])' in src

"""Statements the docs make about the template and each other, checked."""

from __future__ import annotations

import re

from tests.docs import readme

IMPORT_PATH = "Routing > Flows > Create flow > Import"
MODULE_PATH = "Routing > Flows > Modules > Create flow module > Import"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_flow_import_path_is_the_same_in_both_readmes():
    flows_readme = readme.REPO / "contact_flows" / "README.md"
    for path in (readme.README, flows_readme):
        text = _flat(readme.text(path))
        assert IMPORT_PATH in text and MODULE_PATH in text, f"{path.name}: the console path to import a flow"


def _statements(policy: dict) -> list[dict]:
    out = []
    for statement in policy.get("Statement", []):
        if "Fn::If" in statement:
            out += [s for s in statement["Fn::If"][1:] if isinstance(s, dict) and "Effect" in s]
        else:
            out.append(statement)
    return out


def test_kms_decrypt_for_the_transcript_bucket_is_what_docs_transcripts_promises(template):
    doc = readme.text(readme.REPO / "docs" / "transcripts.md")
    assert "`kms:Decrypt` on\n`ChatTranscriptsKmsKeyArn`" in doc
    policies = template["Resources"]["TranscriptIngestionFunction"]["Properties"]["Policies"]
    statements = [s for p in policies if isinstance(p, dict) and "Statement" in p for s in _statements(p)]
    [kms] = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert kms["Resource"] == {"Ref": "ChatTranscriptsKmsKeyArn"}
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    assert template["Conditions"]["HasTranscriptsKmsKey"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ChatTranscriptsKmsKeyArn"}, ""]}]
    }

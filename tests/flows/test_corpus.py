"""The checker and the runner on public flows (tests/flows/corpus, listed with provenance in SOURCES.json).

Done when: no false errors, every real defect found, every flow run to a terminal state. The expected findings and
terminal states are recorded per flow in SOURCES.json (decided by reading each flow); these tests hold the tools
to them, both ways: an unexpected finding fails, and so does a missing one.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from localdev.flows import check
from localdev.flows.lambdas import LambdaError, StubInvoker
from localdev.flows.runner import EMULATED_ACTIONS, Contact, FlowLibrary, Scenario, run
from localdev.flows.sources import FlowDocument, read_path, read_paths

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "SOURCES.json").read_text(encoding="utf-8"))
FILES: list[dict[str, Any]] = MANIFEST["files"]
FLOWS = [(entry, flow) for entry in FILES for flow in entry["flows"]]
REDISTRIBUTABLE = {"MIT-0", "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause"}


def _id(item: tuple[dict[str, Any], dict[str, Any]]) -> str:
    entry, flow = item
    return entry["file"].rsplit("/", 1)[-1] + (f"#{flow['resource']}" if flow["resource"] else "")


def _label(entry: dict[str, Any], flow: dict[str, Any]) -> str:
    return str(CORPUS / entry["file"]) + (f"#{flow['resource']}" if flow["resource"] else "")


@functools.cache
def _documents(file: str) -> dict[str, FlowDocument]:
    """Every flow of a corpus file by label (a template is read once for all its resources)."""
    return {doc.label: doc for doc in read_path(CORPUS / file)}


def _document(entry: dict[str, Any], flow: dict[str, Any]) -> FlowDocument:
    return _documents(entry["file"])[_label(entry, flow)]


def test_every_file_is_listed_unchanged_with_its_license() -> None:
    listed = {entry["file"] for entry in FILES}
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in ("LICENSE", "LICENSE.txt", "NOTICE", "NOTICE.txt", "SOURCES.json")
    }
    assert on_disk == listed
    for entry in FILES:
        data = (CORPUS / entry["file"]).read_bytes()
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
        assert blob == entry["blob"], f"{entry['file']} differs from {entry['repository']}@{entry['commit']}"
        assert entry["license"] in REDISTRIBUTABLE
        assert len(entry["commit"]) == 40
        repo_dir = CORPUS / entry["file"].split("/", 1)[0]
        assert (repo_dir / "LICENSE").is_file()
        if entry["license"] == "Apache-2.0":
            assert (repo_dir / "NOTICE").is_file()


def test_the_corpus_covers_every_form_type_and_channel() -> None:
    assert len(FLOWS) >= 30
    forms = Counter(entry["form"] for entry in FILES)
    assert set(forms) == {"flow", "wrapper", "cloudformation"}
    templates = {Path(e["file"]).suffix for e in FILES if e["form"] == "cloudformation"}
    assert {".yaml", ".json"} <= templates
    assert {f["type"] for _, f in FLOWS} >= {
        "CONTACT_FLOW", "MODULE", "AGENT_WHISPER", "CUSTOMER_WHISPER", "OUTBOUND_WHISPER", "CUSTOMER_QUEUE",
        "CUSTOMER_HOLD", "AGENT_HOLD", "AGENT_TRANSFER", "QUEUE_TRANSFER",
    }  # fmt: skip
    assert {f["run"]["channel"] for _, f in FLOWS if f["run"]} >= {"VOICE", "CHAT", "TASK"}
    assert len({e["repository"] for e in FILES}) >= 15


@pytest.mark.parametrize(("entry", "flow"), FLOWS, ids=[_id(i) for i in FLOWS])
def test_checker_reports_exactly_the_expected_findings(entry: dict[str, Any], flow: dict[str, Any]) -> None:
    doc = _document(entry, flow)
    assert (doc.form, doc.name, doc.flow_type, doc.type_source) == (
        entry["form"],
        flow["name"],
        flow["type"],
        flow["type_source"],
    )
    got = sorted((f.action, f.severity, f.rule) for f in check.check_flow(doc))
    assert got == sorted((f["action"], f["severity"], f["rule"]) for f in flow["findings"])


def test_no_false_errors_and_every_defect_found() -> None:
    expected = [f for _, flow in FLOWS for f in flow["findings"]]
    assert all(f["defect"] in (True, False) and f["why"] for f in expected)
    false_errors = [f for f in expected if f["severity"] == "error" and not f["defect"]]
    assert false_errors == []
    defects = [f for f in expected if f["defect"]]
    assert len(defects) == 5  # the manifest's count; each is asserted found by the test above


def _scenario(spec: dict[str, Any]) -> tuple[Contact, StubInvoker, Scenario]:
    lambdas = {k: LambdaError("stubbed failure") if v == "error" else v for k, v in spec.get("lambdas", {}).items()}
    scenario = Scenario(
        inputs=spec.get("inputs", ()),
        intents=spec.get("intents", ()),
        events=spec.get("events", ()),
        choices=spec.get("choices", {}),
    )
    return Contact(channel=spec["channel"], queue=spec.get("queue")), StubInvoker(lambdas), scenario


@pytest.fixture(scope="module")
def library() -> FlowLibrary:
    return FlowLibrary.from_paths([CORPUS])


RUNNABLE = [(e, f) for e, f in FLOWS if f["run"] is not None]


@pytest.mark.parametrize(("entry", "flow"), RUNNABLE, ids=[_id(i) for i in RUNNABLE])
def test_runner_takes_each_flow_to_its_terminal_state(
    entry: dict[str, Any], flow: dict[str, Any], library: FlowLibrary
) -> None:
    contact, invoker, scenario = _scenario(flow["run"])
    result = run(_document(entry, flow), contact, invoker, flows=library, scenario=scenario)
    assert result.terminal == flow["terminal"], result.format_trace()
    assert result.terminal is not None


def test_unrunnable_flows_are_the_ones_that_do_not_parse() -> None:
    unrunnable = [(e["file"], f["findings"]) for e, f in FLOWS if f["run"] is None]
    assert [(file.rsplit("/", 1)[-1], [x["rule"] for x in findings]) for file, findings in unrunnable] == [
        ("awsscv_ddr_flow_cf.json", ["json"])
    ]


def test_cli_on_the_whole_corpus(capsys) -> None:
    assert check.main(["--format", "json", str(CORPUS)]) == 1  # the two real errors
    findings = json.loads(capsys.readouterr().out)
    assert len(findings) == sum(len(f["findings"]) for _, f in FLOWS)
    assert sorted({f["file"].rsplit("/", 1)[-1] for f in findings if f["severity"] == "error"}) == [
        "awsscv_ddr_flow_cf.json",
        "contact-flow-dtmf0.json",
    ]
    docs, errors = read_paths([CORPUS])
    assert (len(docs), errors) == (len(FLOWS), [])


ISSUE_ACTIONS = {
    "ShowView", "ConnectParticipantWithLexBot", "GetParticipantInput", "CheckHoursOfOperation", "CheckMetricData",
    "UpdateContactRoutingCriteria", "TransferContactToAgent", "MessageParticipantIteratively",
    "UpdateContactEventHooks", "UpdateContactTextToSpeechVoice", "UpdateContactMediaStreamingBehavior",
    "DistributeByPercentage", "Wait", "TransferToFlow", "InvokeFlowModule", "EndFlowExecution",
    "TransferParticipantToThirdParty",
}  # fmt: skip


def test_every_action_type_of_the_corpus_and_the_issue_is_emulated() -> None:
    docs, _ = read_paths([CORPUS])
    used = {a["Type"] for d in docs if d.content for a in d.content["Actions"]}
    assert len(used) >= 40
    missing = sorted((used | ISSUE_ACTIONS) - EMULATED_ACTIONS)
    assert missing == []

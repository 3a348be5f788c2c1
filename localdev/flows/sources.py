"""Read flows in every form they come in, and normalise each to one :class:`FlowDocument`.

Forms (``FlowDocument.form``):

``flow``
    Plain Flow language JSON, as the flow designer's *Export flow* writes it
    (https://docs.aws.amazon.com/connect/latest/APIReference/flow-language.html).
``wrapper``
    A ``ContactFlow`` / ``ContactFlowModule`` object holding the Flow language as a ``Content`` string, with or
    without the outer key: what DescribeContactFlow / DescribeContactFlowModule return
    (https://docs.aws.amazon.com/connect/latest/APIReference/API_DescribeContactFlow.html) and what the AWS
    samples commit (``{"ContactFlow": {"Name": ..., "Type": ..., "Content": "..."}}``).
``cloudformation``
    A CloudFormation / SAM template (YAML or JSON): every ``AWS::Connect::ContactFlow`` and
    ``AWS::Connect::ContactFlowModule`` resource is one flow, labelled ``<file>#<LogicalId>``. ``Content`` may be
    a string, ``Fn::Sub`` / ``!Sub`` (string or ``[string, variables]``) or ``Fn::Join`` with the empty
    delimiter; ``${...}`` placeholders stay in the text as they are (``${!x}`` becomes ``${x}``, as ``Fn::Sub``
    writes it), a ``Ref`` / ``Fn::GetAtt`` inside ``Fn::Join`` becomes ``${Name}`` / ``${Name.Attribute}``
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-connect-contactflow.html,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html).

The flow type, and where it came from (``FlowDocument.type_source``), in this order: the wrapper's ``Type``,
the CloudFormation resource (``ContactFlowModule`` -> ``MODULE``, else its ``Type`` property), the document's
``Metadata.type``, the caller's ``flow_type`` (``--type``), a guess from the file name
(:data:`localdev.flows.model.FILENAME_TYPES`), else ``CONTACT_FLOW``.

Errors: :class:`SourceError` when a path cannot be read or is not a flow in any of these forms (a CLI's exit 2);
a flow whose ``Content`` is not valid JSON is still returned, with ``content=None`` and ``error`` set, so a
checker can report it as a finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localdev.flows.model import flow_type_from_filename, normalise_flow_type

FLOW_SUFFIXES = (".json", ".yaml", ".yml", ".template")
"""File suffixes read from a directory (files without a suffix are read too: console exports often have none)."""

CFN_FLOW_TYPES = {"AWS::Connect::ContactFlow": None, "AWS::Connect::ContactFlowModule": "MODULE"}

LEGACY_HINT = (
    'this is the console\'s legacy export format ("modules"), not the Flow language: open it in the flow '
    "designer and export it again"
)


class SourceError(Exception):
    """A path that cannot be read, or is not a flow in any supported form; ``str()`` names the path."""


@dataclass(frozen=True)
class FlowDocument:
    """One flow, whatever form it came in.

    Attributes
    ----------
    label : str
        The file as given, or ``<file>#<LogicalId>`` for a CloudFormation resource.
    path : Path
        The file it was read from.
    form : str
        ``flow``, ``wrapper`` or ``cloudformation``.
    text : str
        The Flow language text (the file, or the ``Content`` string); its length is what Connect limits.
    content : dict or None
        The parsed Flow language; None when ``text`` is not valid JSON (see ``error``).
    error : str or None
        Why ``content`` is None.
    flow_type : str
        One of :data:`localdev.flows.model.FLOW_TYPES`.
    type_source : str
        Where ``flow_type`` came from: ``wrapper Type``, ``CloudFormation resource``, ``Metadata.type``,
        ``--type``, ``file name`` or ``default``.
    name : str
        The flow's name: wrapper/resource ``Name``, else ``Metadata.name``, else the file stem / logical id.
    references : tuple of str
        Values other flows may use to reach this one (wrapper ``Arn`` / ``Id``, ``${LogicalId.ContactFlowArn}``,
        the name); :func:`localdev.flows.runner.FlowLibrary` looks flows up by them.
    declared_type : str or None
        The type the source itself declares (not ``--type``, not the file name), to report a ``--type`` conflict.
    unevaluated : bool
        True when ``content`` is None because a template builds ``Content`` with an intrinsic function this module
        does not evaluate (``Fn::If``, ``Fn::Transform`` ...): the flow may be fine, it just cannot be read here.
    """

    label: str
    path: Path
    form: str
    text: str
    content: dict[str, Any] | None
    error: str | None
    flow_type: str
    type_source: str
    name: str
    references: tuple[str, ...] = field(default=())
    declared_type: str | None = None
    unevaluated: bool = False


# --------------------------------------------------------------------------------------------------
# CloudFormation YAML: keep the short-form intrinsics as their long form
# --------------------------------------------------------------------------------------------------
def _yaml_loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader that reads ``!Sub`` / ``!Ref`` / ``!GetAtt`` ... as ``{"Fn::Sub": ...}`` / ``{"Ref": ...}``."""

    def construct(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    Loader.add_multi_constructor("!", construct)
    # timestamps and the like stay strings (a template is not data to interpret)
    Loader.yaml_implicit_resolvers = {
        k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _parse_document(text: str, path: Path) -> Any:
    """JSON, else YAML (CloudFormation templates); SourceError when neither."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        json_error = exc
    if path.suffix.lower() == ".json":
        raise SourceError(f"{path}: invalid JSON: {json_error.msg} (line {json_error.lineno})")
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        why = f"neither JSON ({json_error.msg}, line {json_error.lineno}) nor YAML ({exc})"
        raise SourceError(f"{path}: {why}") from None


def _intrinsic_text(value: Any) -> str | None:
    """The text of a CloudFormation ``Content`` value (string, Fn::Sub, Fn::Join), placeholders kept."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((fn, arg),) = value.items()
    if fn == "Fn::Sub":
        template = arg[0] if isinstance(arg, list) and arg else arg
        return template.replace("${!", "${") if isinstance(template, str) else None
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
        delimiter, parts = arg
        texts = [_join_part(p) for p in parts]
        return str(delimiter).join(texts) if all(t is not None for t in texts) else None
    return None


def _join_part(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and len(part) == 1:
        ((fn, arg),) = part.items()
        if fn == "Ref":
            return f"${{{arg}}}"
        if fn == "Fn::GetAtt":
            name = ".".join(arg) if isinstance(arg, list) else arg
            return f"${{{name}}}"
        return _intrinsic_text(part)
    return None


_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def _parse_content(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse Flow language text; ``${...}`` placeholders standing outside JSON strings (e.g. ``"LoopCount": ${N}``)
    are read as strings. Returns (content, error)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        quoted = _quote_bare_placeholders(text)
        try:
            doc = json.loads(quoted) if quoted != text else None
        except json.JSONDecodeError:
            doc = None
        if doc is None:
            return None, f"Content is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    if not isinstance(doc, dict):
        return None, "Content must be a JSON object"
    return doc, None


def _quote_bare_placeholders(text: str) -> str:
    out, i, in_string = [], 0, False
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\":
                out.append(text[i + 1 : i + 2])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("${", i):
            m = _PLACEHOLDER.match(text, i)
            if m:
                out.append(json.dumps(m.group(0)))
                i = m.end()
                continue
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# one document -> flows
# --------------------------------------------------------------------------------------------------
def _document(
    *,
    label: str,
    path: Path,
    form: str,
    text: str,
    flow_type: str | None,
    declared: str | None = None,
    declared_source: str = "",
    name: object = None,
    references: Iterable[str] = (),
) -> FlowDocument:
    """One FlowDocument: parse the text and settle the type (see the module docstring for the order)."""
    content, error = _parse_content(text)
    meta = content.get("Metadata") if isinstance(content, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    meta_type = normalise_flow_type(meta.get("type"))
    guess = flow_type_from_filename(path.name if form != "cloudformation" else label.split("#", 1)[-1])
    ftype, source = next(
        (t, s)
        for t, s in (
            (declared, declared_source),
            (meta_type, "Metadata.type"),
            (flow_type, "--type"),
            (guess, "file name"),
            ("CONTACT_FLOW", "default"),
        )
        if t
    )
    flow_name = (
        (name if isinstance(name, str) else None)
        or (meta.get("name") if isinstance(meta.get("name"), str) else None)
        or path.stem
    )
    refs = tuple(dict.fromkeys(r for r in (*references, flow_name) if r))
    return FlowDocument(
        label=label,
        path=path,
        form=form,
        text=text,
        content=content,
        error=error,
        flow_type=ftype,
        type_source=source,
        name=flow_name,
        references=refs,
        declared_type=declared or meta_type,
    )


def read_text(text: str, path: str | Path, *, flow_type: str | None = None) -> list[FlowDocument]:
    """The flows in one file's text (see the module docstring for the forms).

    Parameters
    ----------
    text : str
        The file's content.
    path : str or Path
        The file name, used for labels and the file-name type guess.
    flow_type : str, optional
        The caller's type (``--type``) for flows that do not declare one.

    Raises
    ------
    SourceError
        When the text is not a flow in any supported form (legacy ``modules`` exports included).
    """
    path = Path(path)
    doc = _parse_document(text, path)
    label = str(path)
    if isinstance(doc, dict) and isinstance(doc.get("Actions"), list | dict) and "Resources" not in doc:
        return [_document(label=label, path=path, form="flow", text=text, flow_type=flow_type)]
    if isinstance(doc, dict) and isinstance(doc.get("modules"), list):
        raise SourceError(f"{path}: {LEGACY_HINT}")
    inner = doc.get("ContactFlow") or doc.get("ContactFlowModule") if isinstance(doc, dict) else None
    wrapper = inner if isinstance(inner, dict) else doc
    if isinstance(wrapper, dict) and isinstance(wrapper.get("Content"), str):
        module = isinstance(doc, dict) and "ContactFlowModule" in doc
        declared = "MODULE" if module else normalise_flow_type(wrapper.get("Type") or wrapper.get("ContactFlowType"))
        refs = [str(wrapper[k]) for k in ("Arn", "Id") if wrapper.get(k)]
        return [
            _document(
                label=label,
                path=path,
                form="wrapper",
                text=wrapper["Content"],
                declared=declared,
                declared_source="wrapper Type",
                flow_type=flow_type,
                name=wrapper.get("Name"),
                references=refs,
            )
        ]
    if isinstance(doc, dict) and isinstance(doc.get("Resources"), dict):
        flows = list(_cloudformation_flows(doc["Resources"], path, flow_type))
        if flows:
            return flows
        raise SourceError(f"{path}: a CloudFormation template without AWS::Connect::ContactFlow(Module) resources")
    raise SourceError(
        f"{path}: not a flow: expected Flow language (Version/StartAction/Actions), a ContactFlow wrapper with a "
        "Content string, or a CloudFormation template"
    )


def _cloudformation_flows(resources: dict[str, Any], path: Path, flow_type: str | None) -> Iterator[FlowDocument]:
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") not in CFN_FLOW_TYPES:
            continue
        props = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
        module_type = CFN_FLOW_TYPES[resource["Type"]]
        declared = module_type or normalise_flow_type(props.get("Type"))
        attribute = "ContactFlowModuleArn" if module_type else "ContactFlowArn"
        label = f"{path}#{logical_id}"
        text = _intrinsic_text(props.get("Content"))
        name = props.get("Name") if isinstance(props.get("Name"), str) else logical_id
        refs = [f"${{{logical_id}.{attribute}}}", f"${{{logical_id}}}", logical_id]
        if text is None:
            yield FlowDocument(
                label=label,
                path=path,
                form="cloudformation",
                text="",
                content=None,
                error="Content is built with an intrinsic function other than Fn::Sub / Fn::Join: not read",
                flow_type=declared or flow_type or "CONTACT_FLOW",
                type_source="CloudFormation resource" if declared else ("--type" if flow_type else "default"),
                name=name,
                references=tuple(refs),
                declared_type=declared,
                unevaluated=True,
            )
            continue
        yield _document(
            label=label,
            path=path,
            form="cloudformation",
            text=text,
            declared=declared,
            declared_source="CloudFormation resource",
            flow_type=flow_type,
            name=name,
            references=refs,
        )


# --------------------------------------------------------------------------------------------------
# paths
# --------------------------------------------------------------------------------------------------
def read_path(path: str | Path, *, flow_type: str | None = None) -> list[FlowDocument]:
    """The flows in one file (see :func:`read_text`); ``<file>#<LogicalId>`` picks one resource of a template.

    Raises
    ------
    SourceError
        Unreadable file, not a flow, or no such logical id.
    """
    text_path, _, logical_id = str(path).partition("#")
    file = Path(text_path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SourceError(f"{file}: cannot read: {reason}") from None
    flows = read_text(text, file, flow_type=flow_type)
    if logical_id:
        flows = [f for f in flows if f.label.endswith(f"#{logical_id}")]
        if not flows:
            raise SourceError(f"{file}: no flow resource {logical_id!r}")
    return flows


def iter_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, bool]]:
    """Expand directories (recursively, sorted): yield ``(file, explicit)``; ``explicit`` is False for files found
    in a directory (those that turn out not to be flows are skipped by :func:`read_paths`)."""
    for p in paths:
        path = Path(p)
        if Path(str(p).partition("#")[0]).is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and not f.name.startswith(".") and (f.suffix.lower() in FLOW_SUFFIXES or not f.suffix):
                    yield f, False
        else:
            yield path, True


def read_paths(
    paths: Iterable[str | Path], *, flow_type: str | None = None
) -> tuple[list[FlowDocument], list[SourceError]]:
    """Read files and directories. Returns the flows and the errors of explicitly named paths (a file found in a
    directory that is not a flow is skipped, not an error)."""
    flows: list[FlowDocument] = []
    errors: list[SourceError] = []
    for file, explicit in iter_files(paths):
        try:
            flows += read_path(file, flow_type=flow_type)
        except SourceError as exc:
            if explicit:
                errors.append(exc)
    return flows, errors


def load(path: str | Path, *, flow_type: str | None = None) -> FlowDocument:
    """The one flow in ``path`` (``<file>#<LogicalId>`` for a template with several).

    Raises
    ------
    SourceError
        As :func:`read_path`; also when the file holds several flows, or the flow's Content is not valid JSON.
    """
    flows = read_path(path, flow_type=flow_type)
    if len(flows) > 1:
        ids = ", ".join(f.label.split("#", 1)[1] for f in flows)
        raise SourceError(f"{path}: {len(flows)} flows ({ids}): name one as {path}#<LogicalId>")
    flow = flows[0]
    if flow.content is None:
        raise SourceError(f"{flow.label}: {flow.error}")
    return flow

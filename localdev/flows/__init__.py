"""Offline tooling for the Amazon Connect sample flows in ``contact_flows/``.

Modules
-------
placeholders
    The one table of placeholder values used in the flow JSON files.
model
    Loading flow JSON, flow-type detection and transition helpers shared by the tools.
check
    ``python -m localdev.flows.check`` -- static checker.
diagram
    ``python -m localdev.flows.diagram`` -- Mermaid diagrams in ``README.md``.
template
    ``python -m localdev.flows.template`` -- the nested SAM template ``contact_flows/template.yaml``.
runner
    A block-by-block simulator of one chat/task contact through a flow.
"""

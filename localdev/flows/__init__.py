"""Offline tooling for Amazon Connect flows: the shipped samples in ``contact_flows/`` and the flows people have.

Modules
-------
model
    What every tool shares: flow types, transitions, Lambda function names, generated-file writing.
sources
    Reading flows in every form (plain Flow language, the ``ContactFlow`` wrapper, CloudFormation templates).
actions
    The Flow language reference's facts per action type (flow types, channels, documented errors), as tables.
rules
    The checker's rules, one table with each rule's severity and source.
check
    ``python -m localdev.flows.check`` -- the static checker (a linter CLI).
runner
    A block-by-block emulator of one contact through a flow (the API: ``run``, ``run_hook``, ``Scenario``).
lambdas
    Who answers the runner's InvokeLambdaFunction blocks: stubs, or this project's handlers in-process.
run
    ``python -m localdev.flows.run`` -- the runner's CLI.
placeholders
    The one table of placeholder values used in the shipped flow JSON files.
diagram
    ``python -m localdev.flows.diagram`` -- Mermaid diagrams in ``README.md``.
template
    ``python -m localdev.flows.template`` -- the nested SAM template ``contact_flows/template.yaml``.
"""

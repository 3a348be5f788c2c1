"""Fixtures of the docs tests: the parsed template (CloudFormation short-form tags kept)."""

from tests.test_template import template  # noqa: F401  (the module-scoped fixture, shared)

"""The README's demo examples run, on the stand-ins, with the exit status the README documents.

Each line of the Quick start's example block is ``bash scripts/demo.sh ARGS  # exit N: ...``;
``scripts/demo.sh`` is setup plus ``python -m localdev.demo ARGS``, so the test calls ``localdev.demo.main(ARGS)``
in this process (the set-up is the test run's own).
"""

from __future__ import annotations

import re
import shlex

import pytest

from localdev import demo
from tests.docs import readme

pytestmark = pytest.mark.standins

_LINE = re.compile(r"^bash scripts/demo\.sh(?P<args>[^#]*)#\s*exit (?P<status>\d)\b")


def examples() -> list[tuple[str, int]]:
    body = readme.section("Quick start")
    block = body[body.index("`bash scripts/demo.sh --help` lists") :]
    code = re.search(r"```bash\n(.*?)```", block, re.S)[1]
    found = []
    for line in code.splitlines():
        if line.startswith("bash scripts/demo.sh"):
            m = _LINE.match(line)
            assert m, f"README example without its exit status ('# exit N: ...'): {line}"
            found.append((m["args"].strip(), int(m["status"])))
    return found


def test_the_readme_has_demo_examples():
    assert len(examples()) >= 5


@pytest.mark.parametrize(("args", "status"), examples(), ids=[a or "(none)" for a, _ in examples()])
def test_readme_demo_example_exits_as_documented(args: str, status: int, capsys: pytest.CaptureFixture[str]):
    try:
        got = demo.main(shlex.split(args))
    except SystemExit as exc:  # argparse: bad options, --help
        got = exc.code
    out = capsys.readouterr().out
    assert got == status, out[-3000:]
    if "--json" not in args:
        assert "FAIL" not in out

"""Every command we ship behaves like a good CLI: ``--help`` prints its usage and exits 0 without doing anything
else, an unknown option exits 2 with the usage on stderr.

Commands: every ``python -m localdev.<module>`` that has a ``__main__`` (found in the source, so a new one is
covered the day it lands; ``localdev.flows.*`` is tested with the flow tools) and every console script of
``pyproject.toml`` (``[project.scripts]``, e.g. ``connect-omni``). "Nothing else" is enforced: the command runs
with a ``sitecustomize`` that makes binding or connecting a socket and starting a thread raise, in an empty
working directory that must stay empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.docs.readme import REPO

GUARD = """
import socket, threading
def _refuse(*args, **kwargs):
    raise RuntimeError("--help must only print: it opened a socket or started a thread")
socket.socket.bind = socket.socket.connect = socket.socket.connect_ex = _refuse
threading.Thread.start = _refuse
"""


def module_commands() -> list[str]:
    found = []
    for path in sorted((REPO / "localdev").rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        if rel.parts[:2] == ("localdev", "flows"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.name == "__main__.py":
            found.append(".".join(rel.parts[:-1]))
        elif 'if __name__ == "__main__"' in text:
            found.append(".".join(rel.parts))
    return found


def console_scripts() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return sorted(project.get("scripts", {}))


def run(argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` guarded (see the module docstring) in a fresh directory under ``tmp_path``."""
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    work = tmp_path / f"work{len(list(tmp_path.glob('work*')))}"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    env["PYTHONPATH"] = os.pathsep.join([str(guard), str(REPO / "src"), str(REPO)])
    done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert list(work.iterdir()) == [], f"{argv}: wrote {list(work.iterdir())}"
    return done


def script_path(name: str) -> str:
    path = Path(sys.executable).parent / name
    assert path.exists(), f"{name} is not installed in {path.parent}: run bash scripts/setup.sh"
    return str(path)


def test_the_commands_are_found():
    assert {"localdev.demo", "localdev.standins", "localdev.salesforce_emulator"} <= set(module_commands())


@pytest.mark.parametrize("module", module_commands())
def test_help_only_prints(module: str, tmp_path: Path):
    done = run([sys.executable, "-m", module, "--help"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"usage: python -m {module} "), done.stdout[:200]
    assert done.stderr == ""


@pytest.mark.parametrize("module", module_commands())
def test_an_unknown_option_is_a_usage_error(module: str, tmp_path: Path):
    done = run([sys.executable, "-m", module, "--no-such-option"], tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "usage:" in done.stderr and done.stdout == ""


@pytest.mark.parametrize("script", console_scripts())
def test_console_script_help_only_prints(script: str, tmp_path: Path):
    done = run([script_path(script), "--help"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"usage: {script}"), done.stdout[:200]
    bad = run([script_path(script), "--no-such-option"], tmp_path)
    assert bad.returncode == 2 and "usage:" in bad.stderr


def test_the_guard_refuses_sockets_and_threads(tmp_path: Path):
    probe = "import socket; socket.socket().bind(('127.0.0.1', 0))"
    assert run([sys.executable, "-c", probe], tmp_path).returncode == 1
    probe = "import threading; threading.Thread(target=print).start()"
    assert run([sys.executable, "-c", probe], tmp_path).returncode == 1

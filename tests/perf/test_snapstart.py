"""SnapStart runtime hooks: registered with the Python runtime, nothing shared between restored environments."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import types
from pathlib import Path

from connect_omni import container

ROOT = Path(__file__).resolve().parents[2]


def test_the_hooks_are_registered_with_the_runtime_when_it_has_them(monkeypatch) -> None:
    registered: dict[str, object] = {}
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_before_snapshot = lambda f: registered.setdefault("before", f)
    fake.register_after_restore = lambda f: registered.setdefault("after", f)
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    assert container.register_snapstart_hooks() is True
    assert registered == {"before": container.before_snapshot, "after": container.after_restore}


def test_without_the_runtime_module_nothing_is_registered(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails
    assert container.register_snapstart_hooks() is False


def test_importing_a_handler_registers_the_hooks_in_a_snapstart_environment(tmp_path: Path) -> None:
    (tmp_path / "snapshot_restore_py.py").write_text(
        "hooks = []\n"
        "def register_before_snapshot(f): hooks.append(('before', f.__module__ + '.' + f.__name__))\n"
        "def register_after_restore(f): hooks.append(('after', f.__module__ + '.' + f.__name__))\n"
    )
    code = (
        "import json, snapshot_restore_py, connect_omni.handlers.create_messaging_session\n"
        "print(json.dumps(snapshot_restore_py.hooks))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{tmp_path}:{ROOT / 'src'}",
        "LAMBDA_TASK_ROOT": str(ROOT / "src"),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [
        ["before", "connect_omni.container.before_snapshot"],
        ["after", "connect_omni.container.after_restore"],
    ]


def test_after_restore_drops_connections_clients_token_and_secret(monkeypatch) -> None:
    monkeypatch.setenv("SALESFORCE_ORG_ID", "00D5g000004AbCd")
    monkeypatch.setenv("SALESFORCE_SCRT_URL", "https://example.my.salesforce-scrt.com")
    monkeypatch.setenv("SALESFORCE_AUTH_URL", "https://login.salesforce.com")
    monkeypatch.setenv("SALESFORCE_AUTHORIZATION_CONTEXT", "ctx")
    monkeypatch.setenv("SALESFORCE_SECRET_ID", "SCCAC-Secret")
    monkeypatch.setenv("CALL_CENTER_ID", "04v000000000001")
    monkeypatch.setenv(
        "CONNECT_INSTANCE_ARN",
        "arn:aws:connect:us-east-1:111122223333:instance/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12,
    )
    container.reset()
    before = (container._salesforce(), container.tokens(), container.interaction_service())
    container._secret_cache["SCCAC-Secret"] = (0.0, object())  # type: ignore[assignment]
    container.after_restore()
    after = (container._salesforce(), container.tokens(), container.interaction_service())
    assert all(a is not b for a, b in zip(before, after, strict=True))
    assert container._secret_cache == {}
    container.reset()


def test_after_restore_reseeds_random_so_restored_environments_jitter_apart() -> None:
    random.seed(1234)
    expected = random.random()
    random.seed(1234)  # what every environment resumed from one snapshot would hold
    container.after_restore()
    assert random.random() != expected
    container.reset()


def test_before_snapshot_loads_the_grant_code_and_opens_nothing() -> None:
    code = (
        "import sys; from connect_omni import container; container.before_snapshot()\n"
        "print(all(m in sys.modules for m in ('jwt', 'cryptography', 'botocore.client')),"
        " container._salesforce.cache_info().currsize, container.aws_client.cache_info().currsize)"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"), "POWERTOOLS_TRACE_DISABLED": "true"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "0", "0"]

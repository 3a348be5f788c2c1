"""Nothing in the repository cites a file outside it: no private notes, no sibling folders, no local paths;
every relative link in the Markdown files resolves to a file of the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.docs.readme import REPO

SKIP_DIRS = {".git", ".venv", ".aws-sam", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".json", ".sh", ".txt", ".cfg", ".ini", ""}
# Built from parts so that this file does not match itself.
FORBIDDEN = [
    re.compile(re.escape("NOTES" + ".md")),
    re.compile(r"\.\./" + "shared"),
    re.compile("/" + r"work/(shared|brief|main|wt)\b"),
    re.compile(r"DESIGN" + r"\.md"),
]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def repository_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        files = [REPO / line for line in out.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        files = [p for p in REPO.rglob("*") if p.is_file()]
    return [
        p for p in files if p.is_file() and not SKIP_DIRS & set(p.relative_to(REPO).parts) and p.suffix in TEXT_SUFFIXES
    ]


def test_no_file_cites_something_outside_the_repository():
    hits = []
    for path in repository_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in FORBIDDEN:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                hits.append(f"{path.relative_to(REPO)}:{line}: {m[0]}")
    assert hits == [], "cite the public source instead:\n" + "\n".join(hits)


def test_relative_markdown_links_resolve_inside_the_repository():
    broken = []
    for path in repository_files():
        if path.suffix != ".md":
            continue
        for target in _LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            resolved = (path.parent / target.split("#", 1)[0]).resolve()
            if not resolved.is_relative_to(REPO) or not resolved.exists():
                broken.append(f"{path.relative_to(REPO)}: {target}")
    assert broken == []

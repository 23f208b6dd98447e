"""``demo`` is the top tier: installed last and imported by nothing else, so a deployment can run without it."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SKIPPED = {".venv", ".venv-core", ".git", "demo", "node_modules", "staticfiles"}


def _imports_of_demo(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} imports {name}" for name in names if name.split(".")[0] == "demo"
        ]
    return found


def test_nothing_outside_demo_imports_it():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if SKIPPED.isdisjoint(path.relative_to(ROOT).parts):
            offenders += _imports_of_demo(path)
    assert offenders == []


def test_demo_is_the_last_installed_app():
    assert settings.INSTALLED_APPS[-1] == "demo"

"""The import graph and the templates keep data flowing one way (docs/architecture.md).

The layers and the allowed exceptions are read from the import-linter contract in pyproject.toml, so `make test`
and `make lint` (lint-imports) enforce the same rules. This test reads the source files themselves (``ast``): their
imports, the top tier's reads (through selectors), URL names and permissions in strings; and the templates
(``{% url %}``, ``{% include %}``, ``{% extends %}``, ``{% load %}``, ``perms.<app>``). It names each offending file,
line and import.
"""

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

# The top tier reads the apps below it through their selectors and writes through their services; of a lower app
# it may also import the pure parts (choices, derivations, trial's role matrix).
PURE_OR_READS = ("selectors", "services", "choices", "derivations", "roles")
# Modules of the top tier that may import another app's models, and why.
MODELS_ALLOWED = {
    "models": "foreign keys to the patient",
    "tasks": "isinstance check that finds the patient of a changed record",
    "datasets": "an export is one flat table per model: its columns and data dictionary are read from the fields",
}
FRAMEWORK = "core"  # the top tier uses the framework as any app does


@dataclass(frozen=True)
class Layers:
    rank: dict[str, int]  # app -> layer (0 = lowest)
    independent: set[int]  # layers whose apps may not import each other
    ignore: list[tuple[re.Pattern, re.Pattern]]

    def allows(self, importer_app: str, imported_app: str) -> bool:
        if importer_app == imported_app or imported_app not in self.rank:
            return True
        mine, theirs = self.rank[importer_app], self.rank[imported_app]
        return theirs < mine or (theirs == mine and mine not in self.independent)

    def ignored(self, importer: str, imported: str) -> bool:
        return any(a.fullmatch(importer) and b.fullmatch(imported) for a, b in self.ignore)

    def below(self, app: str) -> list[str]:
        return sorted(a for a in self.rank if self.allows(app, a) and a != app)

    def may_import(self, app: str) -> str:
        below = self.below(app)
        return f"{app} may import only {', '.join(below)}" if below else f"{app} may import no other app"


def _pattern(expression: str) -> re.Pattern:
    """An import-linter module expression (``*`` one level, ``**`` one or more) as a regular expression."""
    parts = {"*": r"[^.]+", "**": r"[^.]+(?:\.[^.]+)*"}
    return re.compile(r"\.".join(parts.get(p, re.escape(p)) for p in expression.split(".")))


def read_layers(pyproject: Path = BASE_DIR / "pyproject.toml") -> Layers:
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    rank, independent = {}, set()
    for level, layer in enumerate(reversed(contract["layers"])):
        separator = "|" if "|" in layer else ":"
        apps = [name.strip().strip("()") for name in layer.split(separator)]
        rank.update(dict.fromkeys(apps, level))
        if separator == "|" and len(apps) > 1:
            independent.add(level)
    ignore = [tuple(_pattern(side.strip()) for side in rule.split("->")) for rule in contract.get("ignore_imports", [])]
    return Layers(rank, independent, ignore)


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    importer: str  # dotted module name of the file
    imported: str  # dotted name imported (``from a.b import c``: a.b.c)
    statement: str  # as written, for the message
    type_checking_only: bool


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_in(path: Path, root: Path):
    importer = _module_name(path, root)
    tree = ast.parse(path.read_text(), filename=str(path))
    type_checking = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            type_checking.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(alias.name, f"import {alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from app import selectors`` imports app.selectors when it is a module: keep the longer name.
            names = [(f"{node.module}.{alias.name}", f"from {node.module} import {alias.name}") for alias in node.names]
        else:
            continue
        for name, statement in names:
            yield Import(path, node.lineno, importer, name, statement, id(node) in type_checking)


def app_imports(root: Path, apps):
    """Every absolute import in the apps' packages that exist under ``root`` (migrations and tests included)."""
    for app in sorted(apps):
        if (root / app / "__init__.py").exists():
            for path in sorted((root / app).rglob("*.py")):
                yield from _imports_in(path, root)


def _top_level(module: str) -> str:
    return module.split(".")[0]


def _ignored(layers: Layers, imp: Import) -> bool:
    # An ignore rule may name ``app.module`` where the source wrote ``from app.module import name``.
    candidates = {imp.imported, imp.imported.rpartition(".")[0]}
    return any(layers.ignored(imp.importer, name) for name in candidates if name)


def upward_imports(root: Path, layers: Layers) -> list[str]:
    found = []
    for imp in app_imports(root, layers.rank):
        mine, theirs = _top_level(imp.importer), _top_level(imp.imported)
        if not layers.allows(mine, theirs) and not _ignored(layers, imp):
            found.append(f"{imp.path.relative_to(root)}:{imp.line} {imp.statement}: {layers.may_import(mine)}")
    return found


def top_tier_reads_outside_selectors(root: Path, layers: Layers) -> list[str]:
    """In the top tier (below demo), imports of a lower clinical app other than its selectors and pure parts."""
    top = max(level for app, level in layers.rank.items() if app != "demo")
    tier = {app for app, level in layers.rank.items() if level == top}
    found = []
    for imp in app_imports(root, tier):
        mine, theirs = _top_level(imp.importer), _top_level(imp.imported)
        module_parts = imp.importer.split(".")
        if (
            theirs in tier
            or theirs not in layers.rank
            or theirs == FRAMEWORK
            or imp.type_checking_only
            or {"tests", "migrations"} & set(module_parts)
        ):
            continue
        part = imp.imported.split(".")[1] if "." in imp.imported else ""
        if part in PURE_OR_READS or (part == "models" and module_parts[-1] in MODELS_ALLOWED):
            continue
        found.append(
            f"{imp.path.relative_to(root)}:{imp.line} {imp.statement}: {mine} reads {theirs} through "
            f"{theirs}.selectors (and may import its {', '.join(p for p in PURE_OR_READS if p != 'selectors')})"
        )
    return found


# --- Names in strings: URL names ("app:name") and permissions ("app.codename") -----------------------------

APP_STRING = re.compile(r"(\w+)[:.][\w-]+")
# Modules that may name a higher app in a string, and why.
STRINGS_ALLOWED = {
    "trial.roles": "the role matrix: which role holds which permission of every app, kept in one place to review",
}


def string_references(root: Path, layers: Layers) -> list[str]:
    """Whole string constants outside tests and migrations that are a higher app's URL name or permission."""
    found = []
    for app in sorted(layers.rank):
        for path in sorted((root / app).rglob("*.py")) if (root / app / "__init__.py").exists() else []:
            module = _module_name(path, root)
            if {"tests", "migrations"} & set(module.split(".")) or module in STRINGS_ALLOWED:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    match = APP_STRING.fullmatch(node.value)
                    if match and not layers.allows(app, match.group(1)):
                        found.append(
                            f"{path.relative_to(root)}:{node.lineno} names {match.group(1)} ({node.value!r}): "
                            f"{layers.may_import(app)}"
                        )
    return found


# --- Templates --------------------------------------------------------------------------------------------

TAG = re.compile(r"{%\s*(url|include|extends|load)\s+(.*?)\s*%}", re.S)
PERMS = re.compile(r"\bperms\.(\w+)")
LAYOUT = "core"  # base.html, includes/, registration/: the layout belongs to the framework


def tag_libraries(root: Path, apps) -> dict[str, str]:
    """Template tag library name -> the app that defines it."""
    return {
        path.stem: app for app in apps for path in (root / app / "templatetags").glob("*.py") if path.stem != "__init__"
    }


def _template_owner(path: Path, root: Path, apps) -> str:
    relative = path.relative_to(root)
    if relative.parts[0] == "templates":  # the project's templates, one folder per app
        folder = relative.parts[1] if len(relative.parts) > 2 else ""
        return folder if folder in apps else LAYOUT
    return relative.parts[0]  # <app>/templates/…


def _named_apps(kind: str, argument: str, libraries: dict[str, str], apps):
    """The apps a template tag names: a URL namespace, a template folder, a tag library."""
    first = argument.split()[0] if argument.split() else ""
    if kind == "url":
        target = first.strip("'\"")
        if ":" in target and first[0] in "'\"":
            yield target.split(":")[0]
    elif kind in ("include", "extends"):
        if first[:1] in "'\"":
            target = first.strip("'\"")
            if "/" in target:
                yield target.split("/")[0]
    else:  # load
        words = argument.split()
        names = words[words.index("from") + 1 :] if "from" in words else words
        for name in names:
            if name in libraries:
                yield libraries[name]


def template_references(root: Path, layers: Layers) -> list[str]:
    apps = set(layers.rank)
    libraries = tag_libraries(root, apps)
    paths = list((root / "templates").rglob("*.html")) + [
        p for app in apps for p in (root / app / "templates").rglob("*.html")
    ]
    found = []
    for path in sorted(paths):
        owner = _template_owner(path, root, apps)
        text = path.read_text()
        named = [
            (text.count("\n", 0, m.start()) + 1, f"{{% {m.group(1)} {m.group(2)} %}}", app)
            for m in TAG.finditer(text)
            for app in _named_apps(m.group(1), m.group(2), libraries, apps)
        ]
        named += [(text.count("\n", 0, m.start()) + 1, m.group(0), m.group(1)) for m in PERMS.finditer(text)]
        for line, what, app in named:
            if app in apps and not layers.allows(owner, app):
                found.append(
                    f"{path.relative_to(root)}:{line} names {app} ({what}): as for imports, "
                    f"{layers.may_import(owner)}; a higher app adds a panel or a nav entry through core.registry"
                )
    return found


# --- The tests --------------------------------------------------------------------------------------------


def test_no_app_imports_a_higher_one():
    layers = read_layers()
    assert sum(1 for _ in app_imports(BASE_DIR, layers.rank)) > 500  # the check reads the real apps
    found = upward_imports(BASE_DIR, layers)
    assert not found, "Upward imports (layers: [tool.importlinter] in pyproject.toml):\n" + "\n".join(found)


def test_top_tier_reads_the_other_apps_through_their_selectors():
    found = top_tier_reads_outside_selectors(BASE_DIR, read_layers())
    assert not found, "Reads past the selectors:\n" + "\n".join(found)


def test_no_app_names_a_higher_app_url_or_permission_in_its_code():
    found = string_references(BASE_DIR, read_layers())
    assert not found, "URL names or permissions of a higher app:\n" + "\n".join(found)


def test_templates_of_a_lower_app_name_no_higher_app():
    found = template_references(BASE_DIR, read_layers())
    assert not found, "Templates naming a higher app:\n" + "\n".join(found)


def test_the_checks_name_the_file_and_the_import(tmp_path):
    """A tree with one upward import, one read past the selectors and one upward template reference."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["low", "mid", "top"]\n'
        '[[tool.importlinter.contracts]]\nname = "x"\ntype = "layers"\n'
        'layers = ["(demo)", "top", "mid_a | mid_b", "low"]\nignore_imports = ["low.tests.** -> mid_a.**"]\n'
    )
    files = {
        "low/__init__.py": "",
        "low/views.py": "from django.db import models\nfrom mid_a.selectors import x\n",
        "low/tests/__init__.py": "",
        "low/tests/test_x.py": "from mid_a.services import y\n",
        "mid_a/__init__.py": "",
        "mid_a/models.py": "import low.models\nimport demo\n",
        "mid_b/__init__.py": "",
        "mid_b/selectors.py": "from mid_a import selectors\n",
        "mid_b/views.py": 'URL = "top:list"\nPERMISSION = "mid_b.view_x"\nTEXT = "see top:list"\n',
        "mid_b/templatetags/__init__.py": "",
        "mid_b/templatetags/mid_b_ui.py": "",
        "top/__init__.py": "",
        "top/services.py": "from mid_a.models import Thing\nfrom mid_a.selectors import things\n",
        "top/models.py": "from mid_a.models import Thing\n",
        "templates/low/page.html": "{% load mid_b_ui %}\n<a href=\"{% url 'mid_a:list' %}\">{% if perms.top.x %}</a>",
        "templates/mid_a/page.html": '{% extends "base.html" %}{% include "low/_part.html" %}',
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    layers = read_layers(tmp_path / "pyproject.toml")
    assert upward_imports(tmp_path, layers) == [
        "low/views.py:2 from mid_a.selectors import x: low may import no other app",
        "mid_a/models.py:2 import demo: mid_a may import only low",
        "mid_b/selectors.py:1 from mid_a import selectors: mid_b may import only low",
    ]
    assert top_tier_reads_outside_selectors(tmp_path, layers) == [
        "top/services.py:1 from mid_a.models import Thing: top reads mid_a through mid_a.selectors "
        "(and may import its services, choices, derivations, roles)"
    ]
    assert string_references(tmp_path, layers) == ["mid_b/views.py:1 names top ('top:list'): mid_b may import only low"]
    found = template_references(tmp_path, layers)
    assert [line.split(" (")[0] for line in found] == [
        "templates/low/page.html:1 names mid_b",
        "templates/low/page.html:2 names mid_a",
        "templates/low/page.html:2 names top",
    ]

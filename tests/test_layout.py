"""Imports flow downward (STYLE.md): web → schema → resolvers → models, and
tasks → resolvers. Nothing imports upward, and the business layer never
sees Strawberry. Read from the source with `ast`, lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("models", "resolvers", "schema", "tasks", "web")

# layer -> module prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "models": ("revgraph.",),
    "resolvers": ("revgraph.schema", "revgraph.web", "revgraph.tasks", "strawberry"),
    "schema": ("revgraph.web", "revgraph.tasks"),
    "tasks": ("revgraph.schema", "revgraph.web"),
    "web": (),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["revgraph", *parts])


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (relative imports resolved), with its line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from revgraph import web` names a module through its alias
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return sorted(found)


def violations(layer: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for line, module in imported_modules(path):
            for prefix in FORBIDDEN[layer]:
                if module == prefix.rstrip(".") or module.startswith(prefix.rstrip(".") + "."):
                    if layer == "models" and module.startswith("revgraph.models"):
                        continue
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


def test_every_layer_is_a_package_with_sources():
    for layer in LAYERS:
        assert (ROOT / layer / "__init__.py").exists(), layer


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_flow_downward(layer):
    assert violations(layer) == []


def test_the_checker_sees_upward_and_relative_imports(tmp_path, monkeypatch):
    # given a resolver that imports the schema relatively and strawberry lazily
    fake = tmp_path / "resolvers"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "deals.py").write_text(
        "from ..schema import common\n\ndef f():\n    import strawberry\n    from revgraph.web import app\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    # then each of them is reported
    assert violations("resolvers") == [
        "resolvers/deals.py:1 imports revgraph.schema",
        "resolvers/deals.py:1 imports revgraph.schema.common",
        "resolvers/deals.py:4 imports strawberry",
        "resolvers/deals.py:5 imports revgraph.web",
        "resolvers/deals.py:5 imports revgraph.web.app",
    ]


def test_every_package_of_the_source_is_installed():
    # given the packages pyproject.toml installs (a subpackage left out there
    # imports in an editable checkout but is missing from a real install)
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    installed = set(config["packages"])
    # then every folder of Python sources under the layers is one of them
    folders = {
        module_name(init)
        for layer in LAYERS
        for init in (ROOT / layer).rglob("__init__.py")
        if ".venv" not in init.parts
    }
    assert folders - installed == set()
    assert all(config["package-dir"].get(name) for name in folders)

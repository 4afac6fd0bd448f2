"""The shape of the code (docs/architecture.md, "Rooms"): imports go one way, with no cycle, and the only
code that knows which clouds exist is the provider registry and the providers' own packages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LAYER = REPO_ROOT / "layers"
PROVIDER_PLACES = ("layers/cloudivize/providers/", "layers/cloudivize/aws_access/", "layers/cloudivize/azure_access/")
PROVIDER_BRANCH = re.compile(r"provider\s*[!=]=|isinstance\(.*Create|\.provider\s+in\s")


def _module_name(path: Path) -> str:
    parts = path.relative_to(LAYER).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer_modules() -> dict[str, Path]:
    return {_module_name(path): path for path in LAYER.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every cloudivize module ``path`` imports, at module level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in modules else node.module)
    return {name for name in found if name in modules}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                return stack[stack.index(imported) :] + [imported]
            if imported not in state and (found := visit(imported)):
                return found
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_layer_has_no_import_cycle():
    modules = _layer_modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}

    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("root", ["layers", "functions"])
def test_no_code_outside_the_providers_branches_on_the_provider(root):
    branches = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in (REPO_ROOT / root).rglob("*.py")
        if not str(path.relative_to(REPO_ROOT)).startswith(PROVIDER_PLACES)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if PROVIDER_BRANCH.search(line)
    ]

    assert branches == []


def test_the_branch_pattern_sees_a_branch():
    assert PROVIDER_BRANCH.search('if connection.provider == "azure":')
    assert PROVIDER_BRANCH.search("isinstance(request, AwsConnectionCreate)")


def test_the_layer_never_imports_functions_or_infrastructure():
    offending = [
        f"{name}: {imported}"
        for name, path in _layer_modules().items()
        for imported in _all_imports(path)
        if imported.split(".")[0] in ("functions", "infrastructure")
    ]

    assert offending == []


def _all_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found

"""Imports point one way (docs/architecture.md): core imports no app; shops' and members'
domain modules reach nothing above them, however deep the chain of imports goes, counting
imports made inside functions."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = {
    "core", "shops", "members", "imports", "loyalty", "haravan", "messaging", "campaigns", "rewards", "portal",
    "dashboard", "demo",
}  # fmt: skip
# Modules that compose pages from several apps: the top layer, whichever app holds them.
INTERFACE = {"views", "forms", "urls", "pages", "admin", "apps", "resources"}


def _module_file(name: str) -> pathlib.Path | None:
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(name: str) -> set[str]:
    """The project modules ``name`` imports, at the top or inside a function."""
    path = _module_file(name)
    if path is None:
        return set()
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            candidates = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c.split(".")[0] in APPS and _module_file(c) is not None)
    return found


def _domain_modules(app: str) -> list[str]:
    modules = []
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if {"tests", "migrations", "management", "templatetags"} & set(parts) or parts[-1] in INTERFACE:
            continue
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def _reach(module: str) -> dict[str, str]:
    """Every project module reachable from ``module``, with the module that imports it."""
    seen: dict[str, str] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        for imported in _imports(current):
            if imported not in seen:
                seen[imported] = current
                todo.append(imported)
    return seen


def _chain(reached: dict[str, str], start: str, end: str) -> str:
    chain = [end]
    while chain[-1] != start:
        chain.append(reached[chain[-1]])
    return " → ".join(reversed(chain))


@pytest.mark.parametrize(
    ("app", "allowed"),
    [("core", {"core"}), ("shops", {"core", "shops"}), ("members", {"core", "shops", "members"})],
)
def test_lower_layers_reach_nothing_above_them(app, allowed):
    modules = _domain_modules(app)
    assert modules
    wrong = []
    for module in modules:
        reached = _reach(module)
        wrong += [_chain(reached, module, m) for m in reached if m.split(".")[0] not in allowed]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_violation():
    # loyalty's order recording climbs to members: the check must see that chain.
    reached = _reach("loyalty.orders")
    assert "members.services" in reached and "dashboard.changes" in reached

"""The shape of the house (issue 20's targets), kept by a test so that it stays: small modules and
functions, packages that depend one way, listeners that ask for what they need, tests that share
helpers through tests/harness rather than through each other."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = [p for top in ("bot", "storage") for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts]


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _imports(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)  # `from tests import test_x`
    return modules


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in APPLICATION:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        here = _package(module)
        for imported in _imports(path):
            if imported.split(".")[0] in ("bot", "storage") and _package(imported) != here:
                graph.setdefault(here, set()).add(_package(imported))
    return graph


def test_no_application_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in APPLICATION if (n := p.read_text().count("\n")) > 400}
    assert long == {}


def test_no_application_function_is_over_60_lines():
    long = {}
    for path in APPLICATION:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if (length := node.end_lineno - node.lineno + 1) > 60:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = length
    assert long == {}


def test_packages_depend_one_way():
    graph = _package_graph()

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert sorted(p for p in graph if p in reachable(p)) == []


def test_the_domain_knows_nothing_of_slack_tasks_or_listeners():
    reached = _package_graph().get("bot.domain", set())
    assert reached & {"bot.slack", "bot.tasks", "bot.listeners", "bot.jobs", "bot.blocks"} == set()


def test_listeners_ask_for_what_they_need_instead_of_digging_it_out():
    lookups = sum(len(re.findall(r'context\[|body\["user"\]\["id"\]', p.read_text())) for p in APPLICATION)
    assert lookups <= 10


def test_no_test_module_imports_another():
    crossing = []
    for path in (ROOT / "tests").rglob("*.py"):
        for imported in _imports(path):
            if re.fullmatch(r"(tests\.)?(test_\w+|conftest)(\.\w+)?", imported):
                crossing.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert crossing == []

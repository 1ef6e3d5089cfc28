"""The import graph: parts depend one way, and no cycle between modules comes back.

The contracts live in pyproject.toml ([tool.importlinter]); `make lint` runs them too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
import pytest
from importlinter import cli

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("readinggroup", "papers", "benchmarks")


def module_cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The groups of modules that import each other, directly or not (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(start: str) -> None:
        # Iterative, so a long import chain cannot hit the recursion limit.
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append(
                        (other, iter(sorted(graph.find_modules_directly_imported_by(other))))
                    )
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == module:
                            break
                    if len(group) > 1:
                        found.append(group)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES)


def test_import_graph_has_no_cycle_between_modules(graph) -> None:
    assert module_cycles(graph) == []


def test_module_cycles_finds_a_cycle_that_comes_back() -> None:
    # As if a model module imported a view again (the old hidden cycle).
    graph = grimp.build_graph(*PACKAGES)
    graph.add_import(importer="papers.models", imported="readinggroup.schedule.views")
    cycles = module_cycles(graph)
    assert len(cycles) == 1
    assert {"papers.models", "readinggroup.schedule.views"} <= cycles[0]


def test_import_contracts_are_kept(monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    assert cli.lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True) == 0
    report = capsys.readouterr().out
    assert "5 kept, 0 broken" in report


def test_import_contracts_catch_the_product_importing_the_benchmark(tmp_path, monkeypatch) -> None:
    # A copy of the code where a product module imports the benchmark breaks a contract.
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            target = tmp_path / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read_text())
    celery = tmp_path / "readinggroup" / "celery.py"
    celery.write_text(celery.read_text() + "\nimport benchmarks.report  # noqa\n")
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] in PACKAGES]:
        monkeypatch.delitem(sys.modules, name)
    code = cli.lint_imports(
        config_filename="pyproject.toml", limit_to_contracts=("no-benchmark",), no_cache=True
    )
    assert code == 1

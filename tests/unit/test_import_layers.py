"""The import graph keeps its floors: no import runs back up (issue 15, Also).

Every module under ``dispatch/`` and ``routing/`` is parsed with ``ast`` (never imported), and
every import counts, at module level or inside a function: a function-local import only hides
a loop between two modules, it does not remove it (STYLE.md, "What our own code taught us").
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dispatch", "routing")
# the entry points: they may reach the app and ask the composition root for their wiring
ENTRY_POINTS = frozenset({"dispatch.asgi", "dispatch.cli", "dispatch.cli_coop", "dispatch.cli_map",
                          "dispatch.cli_privacy", "dispatch.cli_serve", "dispatch.cli_sim"})

# what services stand on; everything else in dispatch/ (api, realtime, webhooks, the loop, the
# app) stands on services
SERVICES_MAY_IMPORT = ("dispatch.services", "dispatch.domain", "dispatch.db", "dispatch.settings")
# the running service's own wiring, which the simulator must not need
SERVICE_PROCESS = ("dispatch.app", "dispatch.api", "dispatch.bootstrap", "dispatch.dispatcher",
                   "dispatch.realtime", "dispatch.middleware")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module named by an import anywhere in ``tree`` (``from a import b`` yields ``a``
    and ``a.b``: ``b`` may be a submodule; names that are not modules are dropped later)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def graph_of(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """``{module: modules it imports}`` among ``sources`` (``{module: (source text, is package)}``);
    a name that is no module of ours counts as its longest prefix that is one (``from a.b import
    f`` names ``a.b``); outside imports (stdlib, third party) are dropped."""
    known = set(sources)
    graph: dict[str, set[str]] = {}
    for module, (text, is_package) in sources.items():
        targets: set[str] = set()
        for name in imported_names(ast.parse(text), module, is_package):
            parts = name.split(".")
            prefixes = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
            targets |= {next((p for p in prefixes if p in known), module)}
        targets.discard(module)
        graph[module] = targets
    return graph


@cache
def project_graph() -> dict[str, set[str]]:
    sources = {module_name(p): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
               for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}
    return graph_of(sources)


def cycles(graph: dict[str, set[str]], within: str) -> list[list[str]]:
    """The strongly connected components of more than one module among modules under ``within``
    (Tarjan's algorithm; packages' ``__init__`` edges are left out: an empty package is no floor)."""
    nodes = [m for m in graph if m.startswith(within + ".")]
    edges = {m: sorted(t for t in graph[m] if t in nodes) for m in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in nodes:
        if v not in index:
            visit(v)
    return found


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def importers_of(graph: dict[str, set[str]], target: str) -> set[str]:
    return {m for m, targets in graph.items() if any(under(t, target) for t in targets)}


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Each broken rule, said in a sentence; empty when the floors hold."""
    out = [f"services import each other in a loop: {' <-> '.join(c)}" for c in cycles(graph, "dispatch.services")]
    out += [f"{m} (services) imports {t}, a floor above services" for m in sorted(graph)
            if under(m, "dispatch.services") for t in sorted(graph[m])
            if under(t, "dispatch") and not any(under(t, below) for below in SERVICES_MAY_IMPORT)]
    out += [f"{m} (simulator) imports {t}: it measures the policy, not the running service"
            for m in sorted(graph) if under(m, "dispatch.sim") for t in sorted(graph[m])
            if any(under(t, above) for above in SERVICE_PROCESS)]
    out += [f"{m} (routing) imports {t}" for m in sorted(graph) if under(m, "routing")
            for t in sorted(graph[m]) if under(t, "dispatch")]
    out += [f"{m} (domain) imports {t}" for m in sorted(graph) if under(m, "dispatch.domain")
            for t in sorted(graph[m]) if under(t, "dispatch") and not under(t, "dispatch.domain")]
    out += [f"dispatch.dispatcher imports {t}, a floor above the loop"
            for t in sorted(graph.get("dispatch.dispatcher", ()))
            if any(under(t, above) for above in ("dispatch.app", "dispatch.api", "dispatch.bootstrap"))]
    both = importers_of(graph, "dispatch.app") & importers_of(graph, "dispatch.dispatcher")
    out += [f"{m} imports both the app and the dispatch loop; only the composition root wires them"
            for m in sorted(both - ENTRY_POINTS - {"dispatch.bootstrap"})]
    out += [f"{m} imports the dispatch loop; only dispatch.bootstrap builds it"
            for m in sorted(importers_of(graph, "dispatch.dispatcher") - {"dispatch.bootstrap"})]
    out += [f"{m} imports dispatch.app; only entry points may"
            for m in sorted(importers_of(graph, "dispatch.app") - ENTRY_POINTS)]
    out += [f"{m} imports the composition root; only entry points and dispatch.app ask it for wiring"
            for m in sorted(importers_of(graph, "dispatch.bootstrap") - ENTRY_POINTS - {"dispatch.app"})]
    return out


def test_the_project_imports_keep_their_floors() -> None:
    """No services loop, services below everything else, routing and domain pure, the simulator
    free of the service's wiring, the loop below the app, one composition root."""
    violations = layer_violations(project_graph())
    assert not violations, "\n".join(violations)


def test_the_graph_counts_imports_inside_functions_and_relative_ones() -> None:
    """A function-local import and a relative import are edges like any other."""
    graph = graph_of({
        "dispatch.services": ("", True),
        "dispatch.services.a": ("def f():\n    from dispatch.services import b\n", False),
        "dispatch.services.b": ("from .a import thing\n", False),
    })
    assert graph["dispatch.services.a"] == {"dispatch.services", "dispatch.services.b"}
    assert graph["dispatch.services.b"] == {"dispatch.services.a"}


# a made-up tree per rule, and the words of the violation it must raise
BROKEN = {
    "a services loop hidden in a function": ({
        "dispatch.services.deliveries": ("def fee():\n    from dispatch.services.fees import quote\n", False),
        "dispatch.services.fees": ("from dispatch.services import deliveries\n", False),
    }, "services import each other in a loop"),
    "routing reaching into the service": ({
        "routing.streets.network": ("import dispatch.settings\n", False),
        "dispatch.settings": ("", False)}, "(routing) imports dispatch.settings"),
    "the domain reaching into services": ({
        "dispatch.domain.fees": ("from dispatch.services import fees\n", False),
        "dispatch.services.fees": ("", False)}, "(domain) imports dispatch.services"),
    "the loop reaching up to the app": ({
        "dispatch.dispatcher": ("def child():\n    from dispatch.app import x\n", False),
        "dispatch.app": ("", False)}, "dispatch.dispatcher imports dispatch.app, a floor above the loop"),
    "a service reaching up to the realtime hub": ({
        "dispatch.services.couriers": ("def f():\n    from dispatch.realtime.hub import Hub\n", False),
        "dispatch.realtime.hub": ("", False)}, "(services) imports dispatch.realtime.hub"),
    "the simulator reaching into the dispatch loop": ({
        "dispatch.sim.engine": ("from dispatch.dispatcher import Planner\n", False),
        "dispatch.dispatcher": ("", False)}, "(simulator) imports dispatch.dispatcher"),
    "a module wiring the app and the loop itself": ({
        "dispatch.middleware": ("import dispatch.app\nimport dispatch.dispatcher\n", False),
        "dispatch.app": ("", False), "dispatch.dispatcher": ("", False)},
        "dispatch.middleware imports both the app and the dispatch loop"),
    "a module asking the composition root for its wiring": ({
        "dispatch.realtime.hub": ("from dispatch.bootstrap import build_bus\n", False),
        "dispatch.bootstrap": ("", False)}, "dispatch.realtime.hub imports the composition root"),
}


@pytest.mark.parametrize(("files", "words"), BROKEN.values(), ids=BROKEN.keys())
def test_each_rule_catches_its_violation(files: dict[str, tuple[str, bool]], words: str) -> None:
    """A made-up tree that breaks one rule is reported in that rule's words."""
    sources = {"dispatch": ("", True), "dispatch.services": ("", True), "dispatch.domain": ("", True),
               "routing": ("", True), "routing.streets": ("", True), **files}
    assert any(words in v for v in layer_violations(graph_of(sources)))

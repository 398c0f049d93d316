#!/usr/bin/env python3
"""The imports between the modules of `supervision/` and their layers (run by `make lint`).

A *module* is a package under `supervision/` (`org`, `talks`, ...) or a top-level file
(`db`, `scheduler`, ...). Every import is counted, at the top of a file or inside a
function: a cycle hidden behind a late import is still a cycle.

Checks, each failing the run (exit status 1):
- no cycle between modules;
- no cycle between the files of one module;
- at most one import from a lower layer to a higher one, and that one explained by a
  comment naming it (`# upward import: ...`) on its line or the line above.

`--graph` prints every module-to-module edge with the files that make it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "supervision"

#: Layers, lowest first (ARCHITECTURE.md: common → org → the domains → reports/reminders
#: → the app). A module may import its own layer and the ones below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("db", "extensions"),
    ("common",),
    ("audit", "calendar", "settings"),
    ("org",),
    ("auth",),
    ("risks", "talks", "rotation", "obligations", "integrity", "rectification"),
    ("reminders", "reports"),
    ("home", "demo", "backup", "scheduler", "models", "labels", "__init__"),
)
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}
#: Upward imports allowed in the whole tree (each explained where it stands).
MAX_UPWARD = 1
UPWARD_MARK = "upward import:"


def module_of(path: Path) -> str:
    """The module a file belongs to: its package under supervision/, or its own stem."""
    rel = path.relative_to(ROOT / PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def dotted(path: Path) -> str:
    """The dotted name of a file (`supervision.org.models`)."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, tree: ast.AST) -> list[tuple[str, int]]:
    """(dotted name, line) of every import of the package in a file."""
    here = dotted(path).split(".")
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_package else here[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from supervision.talks import rules` names the submodule `rules`.
            found += [(f"{target}.{a.name}", node.lineno) for a in node.names]
    return [(name, line) for name, line in found if name.split(".")[0] == PACKAGE]


def resolve(name: str, files: dict[str, Path]) -> str | None:
    """The longest prefix of `name` that is a file of the package."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in files:
            return candidate
        parts.pop()
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the module graph's problems (and with --graph the graph); 1 when any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", action="store_true", help="print every module edge")
    args = parser.parse_args(argv)

    paths = sorted((ROOT / PACKAGE).rglob("*.py"))
    files = {dotted(p): p for p in paths}
    module_edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    file_graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    upward: list[tuple[str, int, str, str, bool]] = []
    problems: list[str] = []

    for path in paths:
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        src_mod = module_of(path)
        if src_mod not in LAYER_OF:
            problems.append(f"{path.relative_to(ROOT)}: module {src_mod!r} has no layer")
            continue
        for name, line in imported_names(path, ast.parse(source, str(path))):
            target = resolve(name, files)
            if target is None or target == PACKAGE:
                continue
            dst_mod = module_of(files[target])
            where = f"{path.relative_to(ROOT)}:{line}"
            if dst_mod == src_mod:
                if files[target] != path:
                    file_graph[src_mod][dotted(path)].add(target)
                continue
            if where in module_edges[(src_mod, dst_mod)]:
                continue  # `from x import a, b` is one import
            module_edges[(src_mod, dst_mod)].append(where)
            if LAYER_OF.get(dst_mod, -1) > LAYER_OF[src_mod]:
                nearby = " ".join(lines[max(0, line - 2) : line]).lower()
                upward.append((where, line, src_mod, dst_mod, UPWARD_MARK in nearby))

    graph: dict[str, set[str]] = defaultdict(set)
    for src, dst in module_edges:
        graph[src].add(dst)
    for component in cycles(graph):
        problems.append("import cycle between modules: " + " ↔ ".join(component))
        for src, dst in sorted(module_edges):
            if src in component and dst in component:
                problems.append(f"    {src} → {dst}: {', '.join(module_edges[(src, dst)])}")
    for mod, fgraph in sorted(file_graph.items()):
        for component in cycles(fgraph):
            problems.append(f"import cycle inside {mod}: " + " ↔ ".join(component))
    if len(upward) > MAX_UPWARD:
        problems.append(
            f"{len(upward)} imports from a lower layer to a higher one (at most {MAX_UPWARD}):"
        )
    for where, _line, src, dst, explained in upward:
        if len(upward) > MAX_UPWARD or not explained:
            note = "" if explained else f" (no '# {UPWARD_MARK} ...' comment)"
            problems.append(
                f"    {where}: {src} (layer {LAYER_OF[src]}) → {dst} (layer {LAYER_OF[dst]}){note}"
            )
        if len(upward) <= MAX_UPWARD and not explained:
            problems.append("    explain it, or move the code it needs down a layer")

    if args.graph:
        for i, names in enumerate(LAYERS):
            print(f"layer {i}: {', '.join(names)}")
        for (src, dst), wheres in sorted(module_edges.items()):
            print(f"{src} (L{LAYER_OF[src]}) → {dst} (L{LAYER_OF[dst]}): {len(wheres)} import(s)")
    for line in problems:
        print(line)
    edges = len(module_edges)
    print(
        f"{len(LAYER_OF)} modules in {len(LAYERS)} layers, {edges} module edges, "
        f"{len(upward)} upward import(s), {'problems' if problems else 'no problems'}."
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

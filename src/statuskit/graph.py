"""Dependency cycles, found without recursion.

Used by plan parsing (:mod:`statuskit.planfile`) and status validation
(:mod:`statuskit.validation`), so it sits below both and imports nothing of statuskit.

The search is iterative and linear in tasks plus dependencies: a 5,000-task chain or ring costs
no stack depth. It reports *one* cycle per tangle (strongly connected group of tasks) rather
than every cycle: a tangle can hold exponentially many cycles, and one is enough to show the
user where to cut. The cycle shown is a shortest one through the tangle's first task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["describe_cycle", "find_cycles"]

#: Cycles longer than this are shown with their middle elided (the full tuple is still returned
#: by :func:`find_cycles`): a 5,000-task ring must not become a 40 KB message.
SHOWN_IDS = 20


def _tangles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more nodes (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work[-1]
            deps = graph[node]
            if position < len(deps):
                work[-1] = (node, position + 1)
                dep = deps[position]
                if dep not in graph or dep == node:
                    continue
                if dep not in index:
                    index[dep] = low[dep] = len(index)
                    stack.append(dep)
                    on_stack.add(dep)
                    work.append((dep, 0))
                elif dep in on_stack:
                    low[node] = min(low[node], index[dep])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(group)
    return found


def _shortest_cycle(
    graph: Mapping[str, Sequence[str]], start: str, members: set[str]
) -> tuple[str, ...]:
    """A shortest path ``start -> ... -> start`` inside one tangle (breadth first)."""
    came_from: dict[str, str] = {}
    queue = [start]
    for node in queue:  # the list grows while it is walked: a FIFO without pops
        for dep in graph[node]:
            if dep == node:
                continue
            if dep == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return (start, *reversed(path[:-1]), start)
            if dep in members and dep not in came_from:
                came_from[dep] = node
                queue.append(dep)
    raise AssertionError("a tangle always leads back to its start")  # pragma: no cover


def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """One dependency cycle per tangle, each written ``(a, b, ..., a)``.

    Args:
        graph: each node's dependencies, in the order tasks are listed. Dependencies that are
            not keys (unknown ids) are ignored, and so are self-dependencies (callers report
            those on their own).

    Returns:
        The cycles, ordered by the position of their first node in ``graph``; each starts at
        the earliest node of its tangle.

    """
    order = {node: position for position, node in enumerate(graph)}
    cycles = []
    for group in _tangles(graph):
        start = min(group, key=order.__getitem__)
        cycles.append(_shortest_cycle(graph, start, set(group)))
    cycles.sort(key=lambda cycle: order[cycle[0]])
    return cycles


def describe_cycle(cycle: Sequence[str]) -> str:
    """``a -> b -> c -> a``, with the middle elided for very long cycles."""
    if len(cycle) <= SHOWN_IDS:
        return " -> ".join(cycle)
    half = SHOWN_IDS // 2
    hidden = len(cycle) - 2 * half
    return " -> ".join([*cycle[:half], f"... ({hidden:,} more)", *cycle[-half:]])

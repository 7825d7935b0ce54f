"""find_cycles: one real, shortest cycle per tangle, with no recursion."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from statuskit.graph import describe_cycle, find_cycles

NODES = [f"1.{i}" for i in range(1, 9)]


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, list[str]]:
    """Small graphs with self-loops, repeated edges and dependencies on unknown ids."""
    nodes = draw(st.lists(st.sampled_from(NODES), min_size=1, unique=True))
    targets = st.sampled_from([*nodes, "9.9"])
    return {node: draw(st.lists(targets, max_size=4)) for node in nodes}


def reachable(graph: dict[str, list[str]], start: str) -> set[str]:
    """Nodes reachable from ``start`` in one or more steps, ignoring self-loops."""
    seen: set[str] = set()
    todo = [dep for dep in graph[start] if dep in graph and dep != start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo += [dep for dep in graph[node] if dep in graph and dep != node]
    return seen


def shortest_return(graph: dict[str, list[str]], start: str) -> int | None:
    """Edges on the shortest way from ``start`` back to itself, self-loops excluded."""
    frontier, seen, steps = {start}, {start}, 0
    while frontier:
        steps += 1
        following = {d for n in frontier for d in graph[n] if d in graph and d != n}
        if start in following:
            return steps
        frontier = following - seen
        seen |= frontier
    return None


class TestFindCycles:
    """Checked against brute-force reachability."""

    @given(graphs())
    def test_against_reachability(self, graph: dict[str, list[str]]) -> None:
        """One cycle per tangle, each real and shortest through its first node."""
        reach = {node: reachable(graph, node) for node in graph}
        order = list(graph)
        tangles = {
            frozenset({n} | {m for m in reach[n] if n in reach[m]}) for n in graph if n in reach[n]
        }
        cycles = find_cycles(graph)
        homes = [next(t for t in tangles if set(c) <= t) for c in cycles]
        assert sorted(map(sorted, homes)) == sorted(map(sorted, tangles))  # one per tangle
        assert [order.index(c[0]) for c in cycles] == sorted(order.index(c[0]) for c in cycles)
        for cycle, tangle in zip(cycles, homes, strict=True):
            start = cycle[0]
            assert start == min(tangle, key=order.index)
            assert cycle[-1] == start
            assert len(set(cycle[:-1])) == len(cycle) - 1
            assert all(b in graph[a] and a != b for a, b in itertools.pairwise(cycle))
            assert len(cycle) - 1 == shortest_return(graph, start)

    def test_deep(self) -> None:
        """A 20,000-node chain and ring cost no stack."""
        count = 20_000
        chain = {str(i): [str(i - 1)] if i else [] for i in range(count)}
        assert find_cycles(chain) == []
        chain["0"] = [str(count - 1)]
        (cycle,) = find_cycles(chain)
        assert cycle[0] == cycle[-1] == "0"
        assert len(cycle) == count + 1

    def test_describe(self) -> None:
        """Short cycles in full; long ones with their middle counted."""
        assert describe_cycle(("a", "b", "a")) == "a -> b -> a"
        long = (*(str(i) for i in range(50)), "0")
        text = describe_cycle(long)
        assert text.startswith("0 -> 1 -> ")
        assert "... (31 more)" in text
        assert text.endswith("48 -> 49 -> 0")

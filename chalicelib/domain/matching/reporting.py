"""Reporting lines: everyone above each participant, from the manager chains they give."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence

    from .model import MenteeProfile, MentorProfile


def reporting_lines(people: Sequence[MenteeProfile | MentorProfile]) -> dict[str, frozenset[str]]:
    """Everyone above each person, following the chains that all participants give.

    A person may list only their direct manager; when that manager takes part and lists
    theirs, the line continues, so a mentee is never proposed to their manager's manager.
    """
    above: dict[str, set[str]] = {}
    for person in people:
        chain = person.manager_chain
        above.setdefault(person.email, set()).update(chain)
        # A chain lists the direct manager first, then theirs: each link is above the ones before it.
        for position, boss in enumerate(chain):
            above.setdefault(boss, set()).update(chain[position + 1 :])
    closure = _closures(above)
    # Colleagues share one set; only a person inside a cycle needs a copy without themselves.
    return {start: closure[start] - {start} if start in closure[start] else closure[start] for start in above}


def _closures(above: Mapping[str, Collection[str]]) -> dict[str, frozenset[str]]:
    """Everyone each node reaches, by one pass over the strongly connected components.

    People who name each other (a cycle) reach the same set, and a component's set is
    built from the sets of the components above it, which are complete by then: Tarjan's
    algorithm closes a component only after everything it reaches. Each set is built
    once, so long chains shared by many colleagues cost no more than one walk.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    reach: dict[str, frozenset[str]] = {}
    for root in above:
        if root in index:
            continue
        # An explicit stack of (node, iterator over its superiors) instead of recursion.
        work: list[tuple[str, Iterator[str]]] = [(root, iter(above.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, bosses = work[-1]
            boss = next(bosses, None)
            if boss is not None:
                if boss not in index:
                    index[boss] = low[boss] = len(index)
                    stack.append(boss)
                    on_stack.add(boss)
                    work.append((boss, iter(above.get(boss, ()))))
                elif boss in on_stack:
                    low[node] = min(low[node], index[boss])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] != index[node]:
                continue
            members: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            reached: set[str] = set()
            cyclic = len(members) > 1
            for member in members:
                for boss in above.get(member, ()):
                    reached.add(boss)
                    cyclic = cyclic or boss == member
                    if boss in reach:
                        reached |= reach[boss]
            # Members of a cycle reach each other; a lone node reaches itself only by naming itself.
            if cyclic:
                reached.update(members)
            component = frozenset(reached)
            for member in members:
                reach[member] = component
    return reach

"""Complementary suppression of the survey cells across everything the karte shows together.

One year's answers to one item (or domain) are shown in two groupings: by the classes of that
year (the year's own karte, and "the same grade last year" in the next year's karte) and by
the classes of the next year ("the same pupils last year"). Each grouping is a tree: class →
the school's grade → the city's grade (the city value beside every cell); a school's whole
cell adds its grades up. Anyone who sees a set of cells sees every sum and difference of
them, so a cell hidden in one place must not come back as, say, a grade minus its shown
classes, the city's grade minus the other schools, or last year's class minus its pupils
this year (the ones who moved away).

The audit works on atoms: the pupils who answered, counted by (class of the year, class of
the next year) — they are what every cell adds up. For two trees the sums a user can form
have a closed form: a function of the atoms is a sum of shown cells exactly when it is
φ(u) + ψ(v), with u the nearest shown cell above the atom's class in the first tree and v in
the second (0 where none is shown). So

- a hidden cell can be recovered iff its atoms fit that form (solved along a spanning tree
  of the bipartite graph whose edges are the atoms), and
- the smallest group of pupils whose total can be recovered is a minimum cut of that graph
  (edges u→v with the atoms' pupils, v→u without limit): a cut under ``MIN_PUPILS`` through
  some edge gives a group under 10 away.

Each violation is mended by hiding one more cell — on the second grouping ("the same pupils
last year", the comparison) where it takes part, else the smallest shown sibling of the cells
whose hidden parts make the group — until none is left. A school's whole cell links its
grades (a different tree); it follows the line rule: none of its grades hidden, or at least
two with 10 pupils together, else one more grade (or the whole cell) is hidden. The city
value of a school's whole cell (the city's grades the school has) is withheld when one of
those city grades is. Everything is decided on the whole city, once per year of answers, so
the city view, each school's karte and the printed sheet hide the same cells.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import pandas as pd

from analysis.school_karte.intervals import MIN_PUPILS

FIRST, SECOND = "R", "C"  # the answers' own year's classes; the next year's classes
CITY, GRADE, CLASS, SCHOOL = "city", "grade", "class", "school"
LEVEL_ORDER = {CLASS: 0, GRADE: 1, SCHOOL: 2, CITY: 3}
INF = 10 ** 9
KEY_COLUMNS = ("survey_code", "round", "domain", "item_code")

# A cell of one tree: (side, level, school, grade, class); city cells have school "" and
# class "", a school's grade class "", a school's whole cell grade -1.
Node = tuple[str, str, str, int, str]
Key = tuple[str, int, str, str]
Leaf = tuple[str, int, str]  # (school, grade, class)
T = TypeVar("T")
BOTTOM_FIRST: Node = (FIRST, "none", "", -1, "")
BOTTOM_SECOND: Node = (SECOND, "none", "", -1, "")


def node(side: str, level: str, school: str = "", grade: int = -1, cls: str = "") -> Node:
    return (side, level, school, grade, cls)


def _parent(n: Node) -> Node | None:
    side, level, school, grade, _cls = n
    if level == CLASS:
        return (side, GRADE, school, grade, "")
    if level == GRADE:
        return (side, CITY, "", grade, "")
    return None


def _chain(side: str, leaf: Leaf) -> tuple[Node, Node, Node]:
    school, grade, cls = leaf
    return ((side, CLASS, school, grade, cls), (side, GRADE, school, grade, ""),
            (side, CITY, "", grade, ""))


@dataclass
class _Structure:
    """The atoms of one key: pupils per (first leaf, second leaf); None: no class there."""

    atoms: dict[tuple[Leaf | None, Leaf | None], int]
    sizes: dict[Node, int] = field(default_factory=dict)
    children: dict[Node, list[Node]] = field(default_factory=dict)
    under: dict[Node, list[tuple[Leaf | None, Leaf | None]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for atom, n in self.atoms.items():
            for side, leaf in zip((FIRST, SECOND), atom, strict=True):
                if leaf is None:
                    continue
                chain = _chain(side, leaf)
                school = (side, SCHOOL, leaf[0], -1, "")
                for i, x in enumerate((*chain, school)):
                    self.sizes[x] = self.sizes.get(x, 0) + n
                    self.under.setdefault(x, []).append(atom)
                    below = chain[1] if x == school else chain[i - 1] if i else None
                    if below is not None and below not in self.children.setdefault(x, []):
                        self.children[x].append(below)


class _Map:
    """Each atom's edge under the hidden cells: the nearest shown cell above its class in
    each grouping (a bottom where none is shown). ``hide`` moves the atoms of newly hidden
    cells up without redoing the rest."""

    def __init__(self, s: _Structure, hidden: set[Node]) -> None:
        self._s = s
        self._hidden = hidden
        self.edge_of: dict[tuple[Leaf | None, Leaf | None], tuple[Node, Node]] = {}
        self.edges: dict[tuple[Node, Node], int] = {}
        self.on_edge: dict[tuple[Node, Node], set[tuple[Leaf | None, Leaf | None]]] = {}
        for atom in s.atoms:
            self._place(atom)

    def _up(self, side: str, leaf: Leaf | None) -> Node:
        if leaf is not None:
            for x in _chain(side, leaf):
                if x not in self._hidden:
                    return x
        return BOTTOM_FIRST if side == FIRST else BOTTOM_SECOND

    def _place(self, atom: tuple[Leaf | None, Leaf | None]) -> None:
        old = self.edge_of.get(atom)
        n = self._s.atoms[atom]
        if old is not None:
            self.edges[old] -= n
            self.on_edge[old].discard(atom)
            if not self.edges[old]:
                del self.edges[old]
                del self.on_edge[old]
        e = (self._up(FIRST, atom[0]), self._up(SECOND, atom[1]))
        self.edge_of[atom] = e
        self.edges[e] = self.edges.get(e, 0) + n
        self.on_edge.setdefault(e, set()).add(atom)

    def hide(self, cells: Iterable[Node]) -> None:
        for cell in cells:
            for atom in self._s.under.get(cell, []):
                self._place(atom)


class _DisjointSets(Generic[T]):
    """Union–find (path halving): which things end up joined."""

    def __init__(self) -> None:
        self.parent: dict[T, T] = {}

    def find(self, x: T) -> T:
        parent = self.parent
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(self, a: T, b: T) -> None:
        self.parent[self.find(a)] = self.find(b)


def _components(edges: Iterable[tuple[Node, Node]]) -> list[set[Node]]:
    sets: _DisjointSets[Node] = _DisjointSets()
    for u, v in edges:
        sets.join(u, v)
    sets.join(BOTTOM_FIRST, BOTTOM_SECOND)  # both are fixed at 0: one component
    groups: dict[Node, set[Node]] = {}
    for x in list(sets.parent):
        groups.setdefault(sets.find(x), set()).add(x)
    return list(groups.values())


def _network(edges: dict[tuple[Node, Node], int]) -> dict[Node, dict[Node, int]]:
    """Arcs u→v (the edge's pupils), v→u (unlimited) and the two bottoms tied."""
    cap: dict[Node, dict[Node, int]] = {BOTTOM_FIRST: {BOTTOM_SECOND: INF},
                                        BOTTOM_SECOND: {BOTTOM_FIRST: INF}}
    for (u, v), n in edges.items():
        cu = cap.setdefault(u, {})
        cu[v] = cu.get(v, 0) + n
        cv = cap.setdefault(v, {})
        cv[u] = INF
    return cap


def _min_cut(network: dict[Node, dict[Node, int]], source: Node, sink: Node, limit: int
             ) -> tuple[int, set[Node]]:
    """Max flow from ``source`` to ``sink`` (stopped at ``limit``); with the flow under
    ``limit``, the nodes on the source's side of the minimum cut."""
    cap = {a: dict(arcs) for a, arcs in network.items()}
    flow = 0
    while flow < limit:
        before: dict[Node, Node] = {source: source}
        queue = deque([source])
        while queue and sink not in before:
            x = queue.popleft()
            for y, c in cap[x].items():
                if c > 0 and y not in before:
                    before[y] = x
                    queue.append(y)
        if sink not in before:
            return flow, set(before)
        path = []
        y = sink
        while y != source:
            path.append((before[y], y))
            y = before[y]
        push = min(min(cap[a][b] for a, b in path), limit - flow)
        for a, b in path:
            cap[a][b] -= push
            back = cap[b]
            back[a] = back.get(a, 0) + push
        flow += push
    return flow, set()


def _in_span(edges: dict[tuple[Node, Node], int], cell: set[tuple[Node, Node]],
             partial: bool) -> bool:
    """Whether the indicator of ``cell`` (a set of edges) is φ(u) + ψ(v) with the bottoms
    at 0. ``partial``: the cell takes only part of some edge's pupils (never recoverable)."""
    if partial:
        return False
    adjacency: dict[Node, list[tuple[Node, int]]] = {}
    for e in edges:
        u, v = e
        x = 1 if e in cell else 0
        adjacency.setdefault(u, []).append((v, x))
        adjacency.setdefault(v, []).append((u, x))
    value: dict[Node, float] = {}

    def spread(start: Node) -> bool:
        queue = deque([start])
        while queue:
            a = queue.popleft()
            for b, x in adjacency.get(a, []):
                want = x - value[a]
                if b not in value:
                    value[b] = want
                    queue.append(b)
                elif abs(value[b] - want) > 1e-9:
                    return False
        return True

    for start in [BOTTOM_FIRST, BOTTOM_SECOND, *adjacency]:
        if start in value:
            if start == BOTTOM_SECOND and abs(value[start]) > 1e-9:
                return False  # both bottoms are 0
            continue
        value[start] = 0.0  # a bottom is 0; elsewhere a free shift
        if not spread(start):
            return False
    return True


def _cell_edges(s: _Structure, m: _Map, cell: Node) -> tuple[set[tuple[Node, Node]], bool]:
    """The edges a cell's atoms sit on, and whether it takes only part of one."""
    mine: dict[tuple[Node, Node], int] = {}
    for atom in s.under.get(cell, []):
        e = m.edge_of[atom]
        mine[e] = mine.get(e, 0) + s.atoms[atom]
    partial = any(m.edges[e] != n for e, n in mine.items())
    return set(mine), partial


def _smallest(s: _Structure, cells: Iterable[Node]) -> Node | None:
    return min(cells, key=lambda x: (s.sizes.get(x, 0), LEVEL_ORDER[x[1]], x), default=None)


def _shown_children(s: _Structure, hidden: set[Node], x: Node) -> list[Node]:
    """The shown cells just below ``x``: its shown children, and below a hidden child its
    shown children in turn (hiding one of them keeps ``x`` itself shown)."""
    out: list[Node] = []
    for c in s.children.get(x, []):
        if not s.sizes.get(c, 0):
            continue
        if c in hidden:
            out.extend(_shown_children(s, hidden, c))
        else:
            out.append(c)
    return out


def _mend_cut(s: _Structure, hidden: set[Node], edges: dict[tuple[Node, Node], int],
              side_s: set[Node]) -> Node | None:
    """One more cell to hide for a small group: the cut's edges from ``side_s`` (the
    source side) carry it. A cell of the second grouping (the comparison) on the source
    side hides itself; else a cell of the first hides its smallest shown part (its hidden
    parts then hide among more pupils: the city's values and the school's totals stay) or,
    with none, itself; only when no such cell takes part, a cell across the cut."""
    second = sorted((x for x in side_s if x[0] == SECOND and x != BOTTOM_SECOND),
                    key=lambda x: (LEVEL_ORDER[x[1]], s.sizes.get(x, 0), x))
    if second:
        return second[0]
    ends = {x for e in edges for x in e}
    first = sorted((x for x in side_s if x[0] == FIRST and x != BOTTOM_FIRST),
                   key=lambda x: (s.sizes.get(x, 0), LEVEL_ORDER[x[1]], x))
    for x in first:
        child = _smallest(s, _shown_children(s, hidden, x))
        # A part whose own parts are all shown holds no pupils of its own: hiding it
        # moves none, so go down its smallest shown parts to one that does.
        while child is not None and child not in ends:
            child = _smallest(s, _shown_children(s, hidden, child))
        if child is not None:
            return child
    if first:
        return first[0]
    across = [v for (u, v) in edges if u in side_s and v not in side_s
              and v != BOTTOM_SECOND]
    return _smallest(s, across)


def _mend_hidden(s: _Structure, hidden: set[Node], cell: Node) -> Node | None:
    """A hidden cell that adds up from what is shown: hide its smallest shown child (it
    is the sum of its children), else the smallest shown sibling (it is the parent minus
    them), else the parent."""
    child = _smallest(s, _shown_children(s, hidden, cell))
    if child is not None:
        return child
    parent = _parent(cell) if cell[1] != SCHOOL else None
    if parent is None:
        return None
    siblings = [c for c in _shown_children(s, hidden, parent) if c != cell]
    return _smallest(s, siblings) or (parent if parent not in hidden else None)


def _violation(s: _Structure, m: _Map, hidden: set[Node],
               safe: set[tuple[Leaf | None, Leaf | None]]) -> set[Node]:
    """The next cells to hide (for small groups through parts of the graph apart from one
    another), or none when nothing hidden can be recovered. ``safe``: atoms no small group
    can take in (hiding more only shrinks what can be recovered, so they stay safe)."""
    edges = m.edges
    mends: set[Node] = set()
    touched: set[Node] = set()
    network: dict[Node, dict[Node, int]] | None = None
    for (u, v), n in sorted(edges.items(), key=lambda kv: (kv[1], kv[0])):
        if n >= MIN_PUPILS:
            break
        if u in touched or v in touched or all(a in safe for a in m.on_edge[(u, v)]):
            continue
        network = network or _network(edges)
        flow, side_s = _min_cut(network, u, v, MIN_PUPILS)
        if flow >= MIN_PUPILS:
            safe.update(m.on_edge[(u, v)])
            continue
        if side_s & touched:
            continue
        mend = _mend_cut(s, hidden, edges, side_s)
        if mend is not None and mend not in hidden:
            mends.add(mend)
            touched |= side_s | {y for (x, y) in edges if x in side_s}
            parent = _parent(mend)
            while parent is not None:
                touched.add(parent)
                parent = _parent(parent)
    if mends:
        return mends
    for cell in sorted((x for x in hidden if x[1] in (CLASS, GRADE, CITY)
                        and s.sizes.get(x, 0) >= MIN_PUPILS), key=lambda x: x):
        mine, partial = _cell_edges(s, m, cell)
        if mine and _in_span(edges, mine, partial):
            mend = _mend_hidden(s, hidden, cell)
            if mend is not None and mend not in hidden:
                return {mend}
    return set()


def _split(atoms: dict[tuple[Leaf | None, Leaf | None], int]
           ) -> list[dict[tuple[Leaf | None, Leaf | None], int]]:
    """The atoms in groups no cell of the two trees crosses (a year's grade with the next
    year's grade it moved up to): each group is audited on its own."""
    sets: _DisjointSets[tuple[str, object]] = _DisjointSets()
    for a, b in atoms:
        ends = [(side, leaf[1]) for side, leaf in ((FIRST, a), (SECOND, b)) if leaf]
        if len(ends) == 2:
            sets.join(ends[0], ends[1])
    groups: dict[object, dict[tuple[Leaf | None, Leaf | None], int]] = {}
    for atom, n in atoms.items():
        a, b = atom
        first = (FIRST, a[1]) if a else (SECOND, b[1]) if b else None
        groups.setdefault(None if first is None else sets.find(first), {})[atom] = n
    return list(groups.values())


_NO_LEAF: Leaf = ("", -1, "")


def _signature(atoms: dict[tuple[Leaf | None, Leaf | None], int]) -> tuple[object, ...]:
    return tuple(sorted(atoms.items(), key=lambda kv: (kv[0][0] or _NO_LEAF,
                                                      kv[0][1] or _NO_LEAF)))


_AUDITS: dict[tuple[object, ...], frozenset[Node]] = {}


def _audit_group(atoms: dict[tuple[Leaf | None, Leaf | None], int]) -> frozenset[Node]:
    signature = _signature(atoms)
    done = _AUDITS.get(signature)
    if done is not None:
        return done
    s = _Structure(atoms)
    hidden = {x for x, n in s.sizes.items() if n < MIN_PUPILS and x[1] != SCHOOL}
    safe: set[tuple[Leaf | None, Leaf | None]] = set()
    m = _Map(s, hidden)
    while True:
        more = _violation(s, m, hidden, safe)
        if not more:
            break
        hidden |= more
        m.hide(more)
    if len(_AUDITS) > 4096:
        _AUDITS.clear()
    _AUDITS[signature] = frozenset(hidden)
    return _AUDITS[signature]


def audit_structure(atoms: dict[tuple[Leaf | None, Leaf | None], int]) -> frozenset[Node]:
    """The cells to hide for one key's atoms: those under ``MIN_PUPILS`` and every cell
    needed so that none of them, and no group under ``MIN_PUPILS``, can be recovered."""
    atoms = {k: n for k, n in atoms.items() if n > 0 and k != (None, None)}
    hidden: set[Node] = set()
    for group in _split(atoms):
        hidden |= _audit_group(group)
    s = _Structure(atoms)
    # A school's whole cell is shown only where it adds nothing: where it is a sum of
    # shown cells already (its grades are another tree over the same pupils).
    m = _Map(s, hidden)
    for school in sorted(x for x in s.sizes if x[1] == SCHOOL):
        mine, partial = _cell_edges(s, m, school)
        if s.sizes[school] < MIN_PUPILS or not _in_span(m.edges, mine, partial):
            hidden.add(school)
    for side in (FIRST, SECOND):  # a whole school's city value adds the city's grades up
        if any(x[0] == side and x[1] == CITY for x in hidden):
            hidden.add(node(side, "city_all"))
    return frozenset(hidden)


@dataclass(frozen=True)
class Suppression:
    """Hidden cells per key: ``hidden[key]`` holds nodes (see ``Node``); a key not listed
    has nothing hidden. ``city_all`` on a side: the city values of whole schools withheld."""

    hidden: dict[Key, frozenset[Node]]

    def is_hidden(self, key: Key, side: str, school: str, grade: int | None,
                  cls: str | None) -> bool:
        nodes = self.hidden.get(key, frozenset())
        if grade is None:
            return (side, SCHOOL, school, -1, "") in nodes
        if cls is None:
            return (side, GRADE, school, grade, "") in nodes
        return (side, CLASS, school, grade, cls) in nodes

    def city_hidden(self, key: Key, side: str, grade: int | None) -> bool:
        nodes = self.hidden.get(key, frozenset())
        if grade is None:
            return (side, "city_all", "", -1, "") in nodes
        return (side, CITY, "", grade, "") in nodes


def _leaf(school: object, grade: object, cls: object) -> Leaf | None:
    g = int(str(grade))
    if g < 0 or not school:
        return None
    return (str(school), g, "" if cls is None else str(cls))


def _atoms_by_key(frame: pd.DataFrame) -> Iterator[tuple[Key, dict[tuple[Leaf | None,
                                                                         Leaf | None], int]]]:
    cols = ["r_school", "r_grade", "r_class", "c_school", "c_grade", "c_class", "n"]
    for key, part in frame.groupby(list(KEY_COLUMNS), sort=False):
        atoms: dict[tuple[Leaf | None, Leaf | None], int] = {}
        for rs, rg, rc, cs, cg, cc, n in part[cols].itertuples(index=False, name=None):
            k = (_leaf(rs, rg, rc), _leaf(cs, cg, cc))
            atoms[k] = atoms.get(k, 0) + int(n)
        survey, rnd, domain, item = key
        yield (str(survey), int(str(rnd)), str(domain), "" if item is None else str(item)), atoms


def pairs_from_groups(groups: pd.DataFrame) -> pd.DataFrame:
    """Atoms of one grouping alone (no next year): each class is its own atom."""
    g = groups
    return pd.DataFrame({
        "r_school": g["school_code"].astype(str), "r_grade": g["grade"].astype(int),
        "r_class": g["class_name"].fillna("").astype(str), "c_school": "", "c_grade": -1,
        "c_class": "", **{k: g[k] for k in KEY_COLUMNS}, "n": g["n"].astype(int)})


def suppression(pairs: pd.DataFrame) -> Suppression:
    """The audit of every key of one year's answers (``PAIR_COLUMNS`` of the storage layer,
    or ``pairs_from_groups``). Keys whose atoms are the same (every item a pupil answered in
    one round, say) share one audit."""
    done: dict[tuple[object, ...], frozenset[Node]] = {}
    out: dict[Key, frozenset[Node]] = {}
    if pairs.empty:
        return Suppression(out)
    for key, atoms in _atoms_by_key(pairs):
        signature = _signature(atoms)
        if signature not in done:
            done[signature] = audit_structure(atoms)
        if done[signature]:
            out[key] = done[signature]
    return Suppression(out)

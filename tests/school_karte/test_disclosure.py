"""Complementary suppression across the views the karte shows together, on hand-built tiny
cities: a group under 10 pupils can be recovered neither within a table (a grade minus its
classes, the city minus its schools) nor across views of the same answers (last year's
classes against the same pupils a year later). Each case is checked by the analysis and then
by brute force: every set of the city's pupil groups under 10 is tried against the linear
span of every cell left shown (numpy, exact on these sizes)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pandas as pd
import pytest

from analysis.school_karte.disclosure import (
    FIRST,
    SECOND,
    Suppression,
    pairs_from_groups,
    suppression,
)
from analysis.school_karte.intervals import MIN_PUPILS
from analysis.school_karte.positivity import GROUP_COLUMNS, positivity_rows

KEY = ("HAPPY", 1, "友人関係", "")
Atom = tuple[tuple[str, int, str] | None, tuple[str, int, str] | None, int]


def _pairs(atoms: list[Atom]) -> pd.DataFrame:
    rows = []
    for r, c, n in atoms:
        rs, rg, rc = r or ("", -1, "")
        cs, cg, cc = c or ("", -1, "")
        rows.append((rs, rg, rc, cs, cg, cc, *KEY, n))
    return pd.DataFrame(rows, columns=["r_school", "r_grade", "r_class", "c_school", "c_grade",
                                       "c_class", "survey_code", "round", "domain",
                                       "item_code", "n"])


def _groups(atoms: list[Atom], side: int) -> pd.DataFrame:
    """Class totals of one grouping; every pupil's share is 0.5 (the values do not matter
    to what is hidden)."""
    sizes: dict[tuple[str, int, str], int] = {}
    for atom in atoms:
        leaf = atom[side]
        if leaf is not None:
            sizes[leaf] = sizes.get(leaf, 0) + atom[2]  # type: ignore[operator]
    return pd.DataFrame([(s, g, c, *KEY, n, n / 2, 0, 0, n, 0, 0)
                         for (s, g, c), n in sorted(sizes.items())],
                        columns=list(GROUP_COLUMNS))


def _cells(atoms: list[Atom]) -> dict[tuple[str, str, str, int | None, str | None], set[int]]:
    """Every cell the karte can show, as the atoms (indices) it adds up: classes, grades,
    whole schools and the city's grades, in both groupings."""
    cells: dict[tuple[str, str, str, int | None, str | None], set[int]] = {}
    for i, atom in enumerate(atoms):
        for side, leaf in ((FIRST, atom[0]), (SECOND, atom[1])):
            if leaf is None:
                continue
            school, grade, cls = leaf
            for cell in ((side, "class", school, grade, cls), (side, "grade", school, grade,
                                                                None),
                         (side, "school", school, None, None), (side, "city", "", grade,
                                                                None)):
                cells.setdefault(cell, set()).add(i)
    return cells


def _shown(cell: tuple[str, str, str, int | None, str | None], hidden: Suppression) -> bool:
    side, level, school, grade, cls = cell
    if level == "city":
        return not hidden.city_hidden(KEY, side, grade)
    return not hidden.is_hidden(KEY, side, school, grade, cls)


def _recoverable_small_groups(atoms: list[Atom], hidden: Suppression) -> list[list[Atom]]:
    """Sets of atoms with 1–9 pupils whose total is a linear combination of shown cells."""
    cells = _cells(atoms)
    shown = [members for cell, members in cells.items() if _shown(cell, hidden)]
    if not shown:
        return []
    m = np.zeros((len(shown), len(atoms)))
    for i, members in enumerate(shown):
        m[i, list(members)] = 1.0
    n = np.asarray([a[2] for a in atoms])
    found = []
    for size in range(1, len(atoms) + 1):
        for subset in itertools.combinations(range(len(atoms)), size):
            if not 1 <= n[list(subset)].sum() < MIN_PUPILS:
                continue
            v = np.zeros(len(atoms))
            v[list(subset)] = 1.0
            x, *_ = np.linalg.lstsq(m.T, v, rcond=None)
            if np.allclose(m.T @ x, v, atol=1e-7):
                found.append([atoms[i] for i in subset])
    return found


def _cells_of(rows: list, school: str, grade: int | None = None) -> dict[object, bool]:
    return {(r.grade, r.class_name): r.cell.suppressed for r in rows
            if r.school_code == school and (grade is None or r.grade in (grade, None))}


def test_a_class_under_10_cannot_be_recovered_by_subtracting_its_siblings_from_the_grade(
) -> None:
    atoms: list[Atom] = [(("A01", 4, "1"), None, 12), (("A01", 4, "2"), None, 13),
                         (("A01", 4, "3"), None, 9)]
    rows = positivity_rows(_groups(atoms, 0))
    cells = _cells_of(rows, "A01")
    assert cells[(4, "3")]  # under 10
    assert cells[(4, "1")]  # the smallest other class goes with it: 34 - 13 is not 9
    assert not cells[(4, "2")] and not cells[(4, None)] and not cells[(None, None)]
    assert not _recoverable_small_groups(atoms, suppression(_pairs(atoms)))


def test_two_small_classes_hidden_together_must_hold_ten_pupils_between_them() -> None:
    atoms: list[Atom] = [(("A01", 4, "1"), None, 3), (("A01", 4, "2"), None, 4),
                         (("A01", 4, "3"), None, 25), (("A01", 4, "4"), None, 30)]
    hidden = suppression(_pairs(atoms))
    assert hidden.is_hidden(KEY, FIRST, "A01", 4, "1") and hidden.is_hidden(KEY, FIRST, "A01",
                                                                            4, "2")
    # the grade minus the shown classes would be the 7 pupils of classes 1 and 2
    assert hidden.is_hidden(KEY, FIRST, "A01", 4, "3")
    assert not hidden.is_hidden(KEY, FIRST, "A01", 4, None)
    assert not _recoverable_small_groups(atoms, hidden)


def test_a_small_schools_grade_cannot_be_recovered_from_the_city_value_minus_the_others(
) -> None:
    atoms: list[Atom] = [(("A01", 4, "1"), None, 30), (("B02", 4, "1"), None, 25),
                         (("C03", 4, "1"), None, 8)]
    rows = positivity_rows(_groups(atoms, 0))
    grades = {r.school_code: r.cell for r in rows if r.grade == 4 and r.class_name is None}
    assert grades["C03"].suppressed
    assert sum(c.suppressed for c in grades.values()) == 2  # B02 (the smaller) goes too
    assert grades["A01"].city is not None  # the city value stays: it hides 33 pupils now
    assert not _recoverable_small_groups(atoms, suppression(_pairs(atoms)))


def test_a_grade_hidden_to_protect_another_school_is_not_given_away_by_its_own_classes(
) -> None:
    atoms: list[Atom] = [(("A01", 4, "1"), None, 8), (("B02", 4, "1"), None, 20),
                         (("B02", 4, "2"), None, 22)]
    hidden = suppression(_pairs(atoms))
    # B02's grade 4 (42) hides with A01's 8 — and then one of its classes too, else the
    # two classes would add up to it.
    assert hidden.is_hidden(KEY, FIRST, "A01", 4, None)
    assert hidden.is_hidden(KEY, FIRST, "B02", 4, "1") or hidden.is_hidden(
        KEY, FIRST, "B02", 4, None)
    assert not hidden.city_hidden(KEY, FIRST, 4)
    assert not _recoverable_small_groups(atoms, hidden)


def test_a_pupil_who_moved_away_cannot_be_recovered_from_last_years_class_and_the_cohort(
) -> None:
    """Last year's class A01 4-1 had 30 pupils; 29 are in 5-1 this year and one left the
    city. Last year's class (shown in last year's karte and as 「前年度の同じ学年」) minus
    the same pupils this year (「同じ児童生徒の前年度」) would be that one pupil."""
    atoms: list[Atom] = [(("A01", 4, "1"), ("A01", 5, "1"), 29), (("A01", 4, "1"), None, 1),
                         (("B02", 4, "1"), ("B02", 5, "1"), 25)]
    hidden = suppression(_pairs(atoms))
    last_year = positivity_rows(_groups(atoms, 0), hidden=hidden, side=FIRST)
    cohort = positivity_rows(_groups(atoms, 1), hidden=hidden, side=SECOND)
    assert not _cells_of(last_year, "A01")[(4, "1")]  # last year's own view stays whole
    assert _cells_of(cohort, "A01")[(5, "1")]  # the comparison gives way
    assert not _cells_of(cohort, "B02")[(5, "1")]  # nobody moved: nothing to give away
    assert not _recoverable_small_groups(atoms, hidden)


def test_a_class_of_nine_cannot_be_recovered_from_a_grade_with_and_without_it() -> None:
    """A 特別支援学級 of 9 pupils in last year's grade 3; this year they are taught in
    another school. Last year's grade (39) against the same pupils' grade a year later (30)
    would give the nine away even though their class is suppressed."""
    atoms: list[Atom] = [(("A01", 3, "1"), ("A01", 4, "1"), 30),
                         (("A01", 3, "なかよし"), ("B02", 4, "1"), 9),
                         (("B02", 3, "1"), ("B02", 4, "1"), 21)]
    hidden = suppression(_pairs(atoms))
    assert hidden.is_hidden(KEY, FIRST, "A01", 3, "なかよし")
    assert not _recoverable_small_groups(atoms, hidden)
    # … and the same without the move: the grade of 39 against a cohort of 39 gives
    # nothing away, so both stay shown.
    stay: list[Atom] = [(("A01", 3, "1"), ("A01", 4, "1"), 30),
                        (("A01", 3, "なかよし"), ("A01", 4, "なかよし"), 9)]
    kept = suppression(_pairs(stay))
    assert not kept.is_hidden(KEY, FIRST, "A01", 3, None)
    assert not kept.is_hidden(KEY, SECOND, "A01", 4, None)
    assert not _recoverable_small_groups(stay, kept)


def test_cells_of_one_grouping_alone_are_audited_as_its_own_atoms() -> None:
    groups = _groups([(("A01", 4, "1"), None, 30), (("A01", 4, "2"), None, 3)], 0)
    pairs = pairs_from_groups(groups)
    assert pairs["n"].tolist() == [30, 3] and (pairs["c_grade"] == -1).all()
    assert suppression(pairs).is_hidden(KEY, FIRST, "A01", 4, "1")


def _random_city(rng: random.Random) -> list[Atom]:
    schools = ["A01", "B02", "C03"][: rng.randint(1, 3)]
    sizes = [1, 2, 3, 5, 8, 12, 20]
    atoms: dict[tuple[object, object], int] = {}
    for school in schools:
        for grade in (4, 5) if rng.random() < 0.5 else (4,):
            for cls in "12"[: rng.randint(1, 2)]:
                for _ in range(rng.randint(1, 3)):
                    to = rng.choice([(school, grade + 1, "1"), (school, grade + 1, "2"),
                                     (rng.choice(schools), grade + 1, "1"), None])
                    key = ((school, grade, cls), to)
                    atoms[key] = atoms.get(key, 0) + rng.choice(sizes)
    if rng.random() < 0.3:  # answers of a pupil with no class that year
        atoms[(None, (schools[0], 5, "1"))] = rng.choice([1, 4, 11])
    return [(a, b, n) for (a, b), n in atoms.items()]  # type: ignore[misc]


@pytest.mark.parametrize("seed", range(4))
def test_no_group_under_10_can_be_recovered_in_any_small_random_city(seed: int) -> None:
    rng = random.Random(seed)
    checked = 0
    while checked < 40:
        atoms = _random_city(rng)
        if len(atoms) > 10:
            continue
        hidden = suppression(_pairs(atoms))
        assert not _recoverable_small_groups(atoms, hidden), atoms
        checked += 1

"""Schools, pupils and their enrollment history over the generated school years.

Grades are numbered 1–6 in primary and 7–9 in junior high (the registry's 学年 range 1..9),
so (年度, 学校コード, 学年, 組, 出席番号) never depends on knowing the school type. Each year
pupils move up a grade; grade-6 leavers enter the junior high of their district (or leave for
a private school), grade-9 pupils leave, a new grade-1 cohort enters, and ~1–2 % of pupils
transfer in or out (half at the turn of the year, half at a month boundary during the year).
Classes are re-formed every April (class size cap from the calibration); pupils of a
特別支援学級 are in their own class per grade; 出席番号 follows kana order within the class,
pupils who arrive during the year get the next numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from toda_desktop.demo import names, params
from toda_desktop.demo.config import DemoConfig
from toda_desktop.demo.rng import stream
from toda_desktop.demo.world import BoolArray, Enrollment, IntArray, Pupils, Schools

EPOCH = date(1970, 1, 1)


def build_schools(config: DemoConfig) -> Schools:
    """The listed schools of ``city.toml``, extended with numbered ones when more are asked."""
    rng = stream(config.seed, "schools")
    city = params.city()
    rows: list[tuple[str, str, bool, float, float]] = []
    for key, n, label, base in (
        ("primary", config.n_primary, "小学校", 23101),
        ("junior_high", config.n_junior_high, "中学校", 23201),
    ):
        listed = city[key]
        for i in range(n):
            if i < len(listed):
                s = listed[i]
                rows.append(
                    (
                        s["code"],
                        s["name"],
                        key == "junior_high",
                        s["welfare_rate"],
                        s["size_factor"],
                    )
                )
            else:
                rows.append(
                    (
                        f"{base + i:05d}",
                        f"第{i + 1}{label}",
                        key == "junior_high",
                        round(float(rng.uniform(5, 30)), 1),
                        float(rng.uniform(0.85, 1.15)),
                    )
                )
    junior = np.asarray([r[2] for r in rows])
    size = np.asarray([r[4] for r in rows], dtype=np.float64)
    for mask in (junior, ~junior):
        size[mask] /= size[mask].mean()
    n_p, n_j = config.n_primary, config.n_junior_high
    district = np.concatenate(
        [n_p + (np.arange(n_p) * n_j) // n_p, np.arange(n_p, n_p + n_j)]
    ).astype(np.int64)
    return Schools(
        code=np.asarray([r[0] for r in rows]),
        name=np.asarray([r[1] for r in rows]),
        junior_high=junior,
        district=district,
        welfare_rate=np.asarray([r[3] for r in rows], dtype=np.float64),
        size_factor=size,
    )


@dataclass
class _Years:
    """Enrollment rows as they are simulated, before pupils get attributes."""

    pid: list[IntArray]
    year_idx: list[IntArray]
    school: list[IntArray]
    grade: list[IntArray]
    start_m: list[IntArray]
    end_m: list[IntArray]


def _grades(junior_high: bool) -> IntArray:
    return np.arange(7, 10) if junior_high else np.arange(1, 7)


def _simulate(
    config: DemoConfig, schools: Schools, rng: np.random.Generator
) -> tuple[_Years, IntArray, IntArray, IntArray]:
    """Who is in which school and grade each year; returns rows and per-pid cohort/kind/home."""
    pop = params.calibration()["population"]
    share_april_in = float(pop["transfer_in_april_share"])
    junior = schools.junior_high
    n_s = len(schools)
    per_grade = np.where(junior, config.junior_high_size / 3, config.primary_size / 6)
    per_grade = per_grade * schools.size_factor
    feeders = np.bincount(schools.district[~junior], per_grade[~junior], minlength=n_s)
    p_continue = np.clip(
        per_grade / np.maximum(feeders, 1e-9), 0.3, float(pop["max_continue_to_jh"])
    )
    outside = np.maximum(per_grade - p_continue * feeders, 0) + 0.02 * per_grade
    rate = config.transfer_rate

    cohorts: list[IntArray] = []
    kinds: list[IntArray] = []
    homes: list[IntArray] = []
    out = _Years([], [], [], [], [], [])
    next_pid = 0

    def new(school: IntArray, grade: IntArray, year: int, kind: int) -> IntArray:
        nonlocal next_pid
        pid = np.arange(next_pid, next_pid + len(school), dtype=np.int64)
        next_pid += len(school)
        cohorts.append(year - grade + 1)
        kinds.append(np.full(len(school), kind, dtype=np.int64))
        homes.append(school.astype(np.int64))
        return pid

    def block(counts: IntArray, school_ids: IntArray, grades: IntArray) -> tuple[IntArray, ...]:
        return np.repeat(school_ids, counts), np.repeat(grades, counts)

    prev: tuple[IntArray, ...] | None = None
    for yi, year in enumerate(config.years):
        pids: list[IntArray] = []
        sch: list[IntArray] = []
        grd: list[IntArray] = []
        if prev is None:
            for s in range(n_s):
                g = _grades(bool(junior[s]))
                counts = rng.poisson(per_grade[s], len(g))
                s_arr, g_arr = block(counts, np.full(len(g), s), g)
                pids.append(new(s_arr, g_arr, year, 0))
                sch.append(s_arr)
                grd.append(g_arr)
        else:
            p_pid, p_school, p_grade, p_end = prev
            stayed = p_end == 11
            p_pid, p_school, p_grade = p_pid[stayed], p_school[stayed], p_grade[stayed]
            g = p_grade + 1
            school = p_school.copy()
            to_jh = g == 7
            school[to_jh] = schools.district[p_school[to_jh]]
            keep = (rng.random(len(g)) >= rate / 2) & (g <= 9)
            keep &= ~to_jh | (rng.random(len(g)) < p_continue[school])
            pids.append(p_pid[keep])
            sch.append(school[keep])
            grd.append(g[keep])
            primary = np.flatnonzero(~junior)
            s_arr, g_arr = block(
                rng.poisson(per_grade[primary]), primary, np.ones(len(primary), np.int64)
            )
            pids.append(new(s_arr, g_arr, year, 1))
            sch.append(s_arr)
            grd.append(g_arr)
            jh = np.flatnonzero(junior)
            s_arr, g_arr = block(rng.poisson(outside[jh]), jh, np.full(len(jh), 7))
            pids.append(new(s_arr, g_arr, year, 3))
            sch.append(s_arr)
            grd.append(g_arr)
        # Transfers in: some in April, the rest at a month boundary during the year.
        n_grades = np.where(junior, 3, 6)
        counts = rng.poisson(rate * per_grade * n_grades)
        s_arr = np.repeat(np.arange(n_s), counts)
        g_arr = np.where(junior[s_arr], 7, 1) + (rng.random(len(s_arr)) * n_grades[s_arr]).astype(
            np.int64
        )
        late_start = np.where(
            rng.random(len(s_arr)) < share_april_in, 0, rng.integers(1, 12, len(s_arr))
        )
        pids.append(new(s_arr, g_arr, year, 2))
        sch.append(s_arr)
        grd.append(g_arr)
        y_pid = np.concatenate(pids)
        y_school = np.concatenate(sch)
        y_grade = np.concatenate(grd)
        start = np.zeros(len(y_pid), dtype=np.int64)
        start[len(y_pid) - len(late_start) :] = late_start
        end = np.full(len(y_pid), 11, dtype=np.int64)
        leaves = (rng.random(len(y_pid)) < rate / 2) & (start <= 10)
        end[leaves] = rng.integers(start[leaves], 11)
        out.pid.append(y_pid)
        out.year_idx.append(np.full(len(y_pid), yi, dtype=np.int64))
        out.school.append(y_school)
        out.grade.append(y_grade)
        out.start_m.append(start)
        out.end_m.append(end)
        prev = (y_pid, y_school, y_grade, end)
    return out, np.concatenate(cohorts), np.concatenate(kinds), np.concatenate(homes)


def _unique_ints(rng: np.random.Generator, low: int, high: int, n: int) -> IntArray:
    return (low + rng.choice(high - low, size=n, replace=False)).astype(np.int64)


def _pairs(
    rng: np.random.Generator, candidates: IntArray, same: IntArray, rate: float
) -> list[tuple[int, int]]:
    """Adjacent pids (same block key) chosen as twin pairs, no pid in two pairs.

    Every city gets at least one pair, so that even a tiny test city shows the case.
    """
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    cand = set(candidates.tolist())
    leaders = candidates[rng.random(len(candidates)) < rate].tolist()
    for a in [*leaders, *rng.permutation(candidates).tolist()]:
        if pairs and len(used) >= 2 * len(leaders):
            break
        b = a + 1
        if b in cand and a not in used and b not in used and same[a] == same[b]:
            used.update((a, b))
            pairs.append((a, b))
    return pairs


def _homonyms(
    rng: np.random.Generator, n_pairs: int, cohort: IntArray, home: IntArray, ok: BoolArray
) -> list[tuple[int, int]]:
    """Pairs of pupils of one cohort in different schools who will share name and birth."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    order = rng.permutation(np.flatnonzero(ok))
    for a in order.tolist():
        if len(pairs) >= n_pairs:
            break
        if a in used:
            continue
        match = np.flatnonzero(ok & (cohort == cohort[a]) & (home != home[a]))
        match = np.asarray([b for b in match.tolist() if b not in used and b != a])
        if len(match):
            b = int(rng.choice(match))
            used.update((a, b))
            pairs.append((a, b))
    return pairs


def _pupils(
    config: DemoConfig,
    schools: Schools,
    cohort: IntArray,
    kind: IntArray,
    home: IntArray,
    entry_grade: IntArray,
) -> Pupils:
    rng = stream(config.seed, "pupils")
    pop = params.calibration()["population"]
    n = len(cohort)
    female = rng.random(n) < float(pop["female_share"])
    first, last = int(cohort.min()), int(cohort.max())
    starts = np.asarray([(date(c - 7, 4, 2) - EPOCH).days for c in range(first, last + 2)])
    span = starts[cohort - first + 1] - starts[cohort - first]
    birth = starts[cohort - first] + (rng.random(n) * span).astype(np.int64)

    jsl = rng.random(n) < np.where(kind == 2, pop["jsl_share_transfer"], pop["jsl_share"])
    jsl_until = np.where(jsl, entry_grade + rng.integers(2, 7, n), 0).astype(np.int64)
    foreign = jsl & (rng.random(n) < float(pop["jsl_foreign_name_share"]))
    sn = rng.random(n) < float(pop["special_needs_share"])
    sn_grade = np.where(
        rng.random(n) < float(pop["special_needs_from_grade1"]), 1, rng.integers(2, 8, n)
    )
    sn_grade = np.where(sn, sn_grade, 99).astype(np.int64)
    born = rng.random(n) < np.select(
        [kind == 2, kind == 3],
        [pop["born_in_city_transfer"], pop["born_in_city_jh_entrant"]],
        pop["born_in_city"],
    )
    preschool = born | ((kind != 2) & (rng.random(n) < float(pop["moved_in_before_school"])))
    welfare = rng.random(n) < schools.welfare_rate[home] / 100

    drawn = names.draw_names(rng, female, foreign)
    family, family_kana = drawn.family.astype(object), drawn.family_kana.astype(object)
    given, given_kana = drawn.given.astype(object), drawn.given_kana.astype(object)

    block = (cohort * 1000 + home) * 10 + kind
    twin_ok = np.flatnonzero((kind <= 1) & ~foreign & ~jsl)
    twins = _pairs(rng, twin_ok, block, float(pop["twin_share"]) / 2)
    twin_of = np.full(n, -1, dtype=np.int64)
    if twins:
        a = np.asarray([p[0] for p in twins])
        b = np.asarray([p[1] for p in twins])
        twin_of[a], twin_of[b] = b, a
        family[b], family_kana[b], birth[b] = family[a], family_kana[a], birth[a]
        g, gk = names.redraw_given(rng, female[b], given_kana[a].astype(str))
        given[b], given_kana[b] = g, gk

    homonym_of = np.full(n, -1, dtype=np.int64)
    ok = (kind <= 1) & ~foreign & (twin_of < 0)
    for a_, b_ in _homonyms(rng, config.homonym_pairs, cohort, home, ok):
        homonym_of[a_], homonym_of[b_] = b_, a_
        family[b_], family_kana[b_] = family[a_], family_kana[a_]
        given[b_], given_kana[b_] = given[a_], given_kana[a_]
        birth[b_], female[b_] = birth[a_], female[a_]

    name = np.char.add(np.char.add(family.astype(str), names.NAME_SEP), given.astype(str))
    kana = np.char.add(np.char.add(family_kana.astype(str), names.KANA_SEP), given_kana.astype(str))
    ids = stream(config.seed, "ids")
    address = np.char.zfill(_unique_ints(ids, 300_000_000, 6_000_000_000, n).astype(str), 10)
    prefix = str(params.city()["pref_id_prefix"])
    pref = np.char.add(prefix, np.char.zfill(_unique_ints(ids, 0, 10_000_000, n).astype(str), 7))
    serial = np.char.zfill(_unique_ints(ids, 0, 1_000_000, n).astype(str), 6)
    year2 = np.char.zfill((cohort % 100).astype(str), 2)
    domain = "@" + str(params.city()["email_domain"])
    google = np.char.add(np.char.add(np.char.add("s", year2), serial), domain)
    return Pupils(
        cohort=cohort,
        female=female,
        birth=birth.astype(np.int64),
        address_code=address,
        pref_id=pref,
        google_account=google,
        name=name,
        name_kana=kana,
        home_school=home,
        entry_kind=kind,
        special_needs_grade=sn_grade,
        jsl_until_grade=jsl_until,
        born_in_city=born,
        preschool_in_city=preschool,
        welfare=welfare,
        twin_of=twin_of,
        homonym_of=homonym_of,
    )


def _rank_within(keys_sorted: IntArray) -> IntArray:
    """0-based position of each element within its run of equal (sorted) keys."""
    n = len(keys_sorted)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n, dtype=np.int64) - run_start


def _classes(config: DemoConfig, schools: Schools, pupils: Pupils, years: _Years) -> Enrollment:
    rng = stream(config.seed, "classes")
    pop = params.calibration()["population"]
    pid = np.concatenate(years.pid)
    yi = np.concatenate(years.year_idx)
    school = np.concatenate(years.school)
    grade = np.concatenate(years.grade)
    start = np.concatenate(years.start_m)
    end = np.concatenate(years.end_m)
    sn = grade >= pupils.special_needs_grade[pid]
    jsl = grade < pupils.jsl_until_grade[pid]
    junior = schools.junior_high[school]
    cap = np.where(junior, int(pop["class_cap_junior_high"]), int(pop["class_cap_primary"]))

    key = (yi * len(schools) + school) * 10 + grade
    regular = (start == 0) & ~sn
    _, first_idx, key_idx = np.unique(key, return_index=True, return_inverse=True)
    counts = np.bincount(key_idx, regular).astype(np.int64)
    n_classes = np.maximum(1, -(-counts // cap[first_idx]))
    cls = np.zeros(len(pid), dtype=np.int64)
    order = np.lexsort((rng.random(len(pid)), ~regular, key_idx))
    rank = _rank_within((key_idx * 2 + ~regular)[order])
    cls[order] = rank % n_classes[key_idx[order]] + 1
    late = (start > 0) & ~sn
    cls[late] = 1 + (rng.random(int(late.sum())) * n_classes[key_idx[late]]).astype(np.int64)
    sn_name = np.where(junior, str(pop["special_class_junior_high"]), str(pop["special_class"]))
    class_name = np.where(sn, sn_name, cls.astype(str))

    cls[sn] = 99  # the special-needs class comes after the numbered classes
    order = np.lexsort((pid, pupils.name_kana[pid], start, cls, key))
    seat = np.zeros(len(pid), dtype=np.int64)
    seat[order] = _rank_within((key * 100 + cls)[order]) + 1
    # Rows in roster order: year, school, grade, class, seat.
    o = order
    return Enrollment(
        pid=pid[o],
        year_idx=yi[o],
        school=school[o],
        grade=grade[o],
        start_m=start[o],
        end_m=end[o],
        class_name=class_name[o],
        seat=seat[o],
        special_needs=sn[o],
        jsl=jsl[o],
    )


def build_population(config: DemoConfig, schools: Schools) -> tuple[Pupils, Enrollment]:
    """Pupils with names and IDs, and their enrollment rows for every generated year."""
    years, cohort, kind, home = _simulate(config, schools, stream(config.seed, "enrollment"))
    pid = np.concatenate(years.pid)
    grade = np.concatenate(years.grade)
    entry_grade = np.zeros(len(cohort), dtype=np.int64)
    first = np.unique(pid, return_index=True)[1]
    entry_grade[pid[first]] = grade[first]
    pupils = _pupils(config, schools, cohort, kind, home, entry_grade)
    return pupils, _classes(config, schools, pupils, years)

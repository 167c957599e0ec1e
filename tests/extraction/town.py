"""A hand-made town for the push-support preset, every answer worked out by hand.

Ten pupils in grade 5 (2025) / grade 4 (2024) of one school. Surveys (item master below):
LESSON items LE-1, LE-2 (学習, positive 3,4), asked for 国語 and 算数 → 4 answers a round;
HAPPY items HM-1 (友人関係, positive 3,4) and HM-6 (生活, reversed: positive 1,2).

=====  ==========  =====================  =====================  ==============  =========
pupil  学力 24→25   LESSON r1 → r2          HAPPY r1 → r2           長期欠席          preset
=====  ==========  =====================  =====================  ==============  =========
P1     5,5 → 5,4   100% → 50%  fell       100% → 50%  fell       —               yes
P2     5,5 → 5,5   100% → 75%  fell       100% → 50%  fell       —               yes (same)
P3     4,4 → 5,5   rose: no                                       —               no
P4     fell        50% → 50%   same: no                           —               no
P5     fell        fell                   0% → 100%   rose: no    —               no
P6     fell        fell                   fell                   2025: 45 days   no
P7     fell        fell                   fell                   2024 only       yes
P8     2025 only   fell                   fell                   —               no (no 2024)
P9     fell        fell                   fell                   2025: 20 days   yes (<30)
P10    5,5 → 5,5   fell                   [4,1]→[4,4]: 100→50%   —               yes
P11    not enrolled in 2025 (surveys only)                                         no
=====  ==========  =====================  =====================  ==============  =========

P10 falls only because HM-6 is reversed: reading answers ≥3 as positive would say "rose".
"""

from __future__ import annotations

from tests.search.helpers import add_rows
from toda_desktop.composition import SignedIn

FALL_L = ([4, 4, 3, 3], [4, 4, 2, 1])
FALL_H = ([4, 1], [4, 3])
SPEC: dict[str, dict[str, object]] = {
    "P1": {"acad": ((5, 5), (5, 4)), "L": FALL_L, "H": FALL_H},
    "P2": {"acad": ((5, 5), (5, 5)), "L": ([3, 3, 3, 3], [3, 3, 3, 2]), "H": ([3, 2], [2, 2])},
    "P3": {"acad": ((4, 4), (5, 5)), "L": FALL_L, "H": FALL_H},
    "P4": {"acad": ((5, 5), (4, 4)), "L": ([3, 3, 2, 2], [2, 2, 3, 3]), "H": FALL_H},
    "P5": {"acad": ((5, 5), (4, 4)), "L": FALL_L, "H": ([2, 3], [3, 2])},
    "P6": {"acad": ((5, 5), (4, 4)), "L": FALL_L, "H": FALL_H,
           "LA": [(2025, 10, 32), (2025, 11, 45)]},
    "P7": {"acad": ((5, 5), (4, 4)), "L": FALL_L, "H": FALL_H, "LA": [(2024, 12, 40)]},
    "P8": {"acad": (None, (4, 4)), "L": FALL_L, "H": FALL_H},
    "P9": {"acad": ((5, 5), (4, 4)), "L": FALL_L, "H": FALL_H, "LA": [(2025, 3, 20)]},
    "P10": {"acad": ((5, 5), (5, 5)), "L": FALL_L, "H": ([4, 1], [4, 4])},
    "P11": {"acad": (None, None), "L": FALL_L, "H": FALL_H, "only_2024": True},
}
EXPECTED = {"P1", "P2", "P7", "P9", "P10"}
SCHOOL = "11101"


def address(pupil: str) -> str:
    return f"90000000{int(pupil[1:]):02d}"


def name(pupil: str) -> str:
    return f"試験　{pupil}"


def build(signed: SignedIn) -> None:
    store = signed.store
    pupils = list(SPEC)
    add_rows(store, "students", [
        {"address_code": address(p), "name": name(p), "name_kana": f"シケン {p}",
         "birth_date": "2015-05-05", "sex": "女" if i % 2 else "男"}
        for i, p in enumerate(pupils)])
    add_rows(store, "schools", [{"school_code": SCHOOL, "school_name": "試験小学校",
                                 "school_type": "小学校"}])
    enrollments = []
    for i, p in enumerate(pupils):
        for year in (2024, 2025):
            if year == 2025 and SPEC[p].get("only_2024"):
                continue
            enrollments.append({"address_code": address(p), "school_year": year,
                                "school_code": SCHOOL, "grade": year - 2020,
                                "class_name": "1", "seat_number": i + 1})
    add_rows(store, "enrollments", enrollments)
    items = []
    for code, item, domain, pos in (("LESSON", "LE-1", "学習", "3,4"),
                                    ("LESSON", "LE-2", "学習", "3,4"),
                                    ("HAPPY", "HM-1", "友人関係", "3,4"),
                                    ("HAPPY", "HM-6", "生活", "1,2")):
        for grade in (4, 5, 6):
            items.append({"survey_code": code, "school_year": 2025, "grade": grade,
                          "item_code": item, "item_text": f"{item}の設問", "choice_count": 4,
                          "positive_answers": pos, "domain": domain})
    add_rows(store, "survey_items", items)
    academic, responses, long_absence = [], [], []
    for p in pupils:
        spec = SPEC[p]
        for year, levels in zip((2024, 2025), spec["acad"], strict=True):  # type: ignore[call-overload]
            if levels is None:
                continue
            for subject, level in zip(("国語", "算数"), levels, strict=True):
                academic.append({"address_code": address(p), "school_year": year,
                                 "subject": subject, "level": level, "correct_rate": 50.0})
        lesson = spec["L"]
        happy = spec["H"]
        for rnd, month in ((1, "06"), (2, "12")):
            answers = lesson[rnd - 1]  # type: ignore[index]
            slots = [(s, i) for s in ("国語", "算数") for i in ("LE-1", "LE-2")]
            for (subject, item), answer in zip(slots, answers, strict=True):
                responses.append({"address_code": address(p), "survey_code": "LESSON",
                                  "school_year": 2025, "round": rnd,
                                  "survey_date": f"2025-{month}-10", "subject": subject,
                                  "item_code": item, "answer": answer})
        for rnd, day in ((1, "2025-06-20"), (2, "2026-01-20")):
            for item, answer in zip(("HM-1", "HM-6"), happy[rnd - 1], strict=True):  # type: ignore[index]
                responses.append({"address_code": address(p), "survey_code": "HAPPY",
                                  "school_year": 2025, "round": rnd, "survey_date": day,
                                  "item_code": item, "answer": answer})
        for year, month, days in spec.get("LA", []):  # type: ignore[attr-defined]
            long_absence.append({"address_code": address(p), "school_year": year,
                                 "month": month, "absence_days": days, "truancy": 1})
    add_rows(store, "academic_results", academic)
    add_rows(store, "survey_responses", responses)
    add_rows(store, "long_absence", long_absence)
    # For the other kinds of condition: monthly absences and health-room visits.
    add_rows(store, "attendance_monthly", [
        {"address_code": address("P1"), "school_year": 2025, "month": 6, "school_days": 20,
         "absence_days": 7, "late_count": 0, "early_leave_count": 0},
        {"address_code": address("P2"), "school_year": 2025, "month": 6, "school_days": 20,
         "absence_days": 3, "late_count": 2, "early_leave_count": 0},
        {"address_code": address("P3"), "school_year": 2024, "month": 6, "school_days": 20,
         "absence_days": 9, "late_count": 0, "early_leave_count": 1},
    ])
    add_rows(store, "health_room_visits", [
        {"address_code": address("P4"), "visit_date": d, "time_in": "10:00", "symptom": s}
        for d, s in (("2025-05-01", "内科"), ("2025-05-10", "心因"), ("2025-05-25", "内科"))
    ] + [
        {"address_code": address("P5"), "visit_date": d, "time_in": "10:00", "symptom": "外科"}
        for d in ("2025-05-01", "2025-06-15", "2025-08-01")
    ] + [
        {"address_code": address("P6"), "visit_date": d, "time_in": "11:00", "symptom": "心因"}
        for d in ("2025-09-01", "2025-09-08", "2025-11-20", "2026-02-01")
    ])

"""A few support cases for the demo city (issue 14), so the case pages show something.

Written straight through the case repository (the demo uses no service, as the rest of the
city): a handful of 不登校, いじめ and 教育相談 cases for pupils whose generated records
suggest one, each with a meeting in the data's latest school year (reviewed six weeks later,
each action answered and moved on) and a follow-up meeting a few weeks before the day the
city is made, so 支援の予定 lists reviews that are due soon or overdue. Text is generic;
attendees are roles with invented surnames; nothing names a pupil.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from storage.connection import Connection, transaction
from storage.repos import cases as repo
from storage.store import Store
from toda_desktop.demo.rng import stream

PER_DOMAIN = {"truancy": 4, "bullying": 2, "consultation": 2}
HOME = {"truancy": "long_absence", "bullying": "bullying_records",
        "consultation": "consultations"}
SURNAMES = ("青木", "石井", "上田", "遠藤", "大野", "川口", "木村", "小池", "坂本", "杉山")
CONTENT = {
    "truancy": {
        "title": "登校しぶりへの支援", "family": "保護者は協力的。朝の準備に手が回らない日がある。",
        "profile": "穏やかで、好きなことには集中して取り組める。朝の体調不良の訴えが続いている。",
        "child": "少しずつ学校に行けるようになりたい", "guardian": "生活リズムを整えたい",
        "assessment": "夏休み明けから欠席が増加。友人関係の不安と生活リズムの乱れが重なっている。",
        "strengths": "絵を描くことが得意。特定の友人とは話せる。",
        "long": "教室で安心して過ごせる", "short": "週2回、別室で1時間過ごす",
        "actions": (("朝の電話連絡（登校の声かけ）", "担任"), ("別室の用意と見守り", "学年"),
                    ("保護者との面談", "SC")),
    },
    "bullying": {
        "title": "いじめ被害への対応", "family": "保護者は学校の対応を見守っている。",
        "profile": "まじめで責任感が強い。困ったことを自分から言い出しにくい。",
        "child": "安心して過ごしたい", "guardian": "再発しないようにしてほしい",
        "assessment": "からかいが続き、本人の不安が強い。加害側への指導は実施済み。",
        "strengths": "部活動に意欲的。相談できる教員がいる。",
        "long": "不安なく学校生活を送れる", "short": "休み時間の見守りを続け、週1回面談する",
        "actions": (("休み時間の見守り", "学年"), ("週1回の面談", "担任"),
                    ("学級での指導", "生徒指導")),
    },
    "consultation": {
        "title": "教育相談からの継続支援", "family": "ひとり親家庭。祖父母の支援がある。",
        "profile": "人懐こく、話をよく聞いてくれる相手には心を開く。",
        "child": "話を聞いてほしい", "guardian": "家庭での関わり方を相談したい",
        "assessment": "家庭の環境の変化による不安。学習の遅れも気にしている。",
        "strengths": "読書が好き。下級生に優しい。",
        "long": "不安を言葉にして相談できる", "short": "月2回のSC面談と学習の補充",
        "actions": (("SC面談（月2回）", "SC"), ("放課後の学習支援", "担任"),
                    ("関係機関との情報共有", "SSW")),
    },
}
ATTENDEES = (("担任", ""), ("管理職", ""), ("SC", ""), ("SSW", ""),
             ("関係機関", "教育支援センター"))


def _attendees(rng_pick: list[int]) -> str:
    people = []
    for i, (role, organisation) in enumerate(ATTENDEES[: 3 + rng_pick[0] % 3]):
        people.append({"name": SURNAMES[(rng_pick[1] + i) % len(SURNAMES)], "role": role,
                       "organisation": organisation})
    return json.dumps(people, ensure_ascii=False)


def _meeting(conn: Connection, s: str, case: int, held: date, domain: str, picks: list[int],
             by: str, at: datetime) -> tuple[int, list[int]]:
    text = CONTENT[domain]
    fields: dict[str, str | None] = {
        "held_on": held.isoformat(), "meeting_type": "ケース会議",
        "attendees_json": _attendees(picks), "child_wish": str(text["child"]),
        "guardian_wish": str(text["guardian"]), "assessment": str(text["assessment"]),
        "strengths": str(text["strengths"]), "long_goal": str(text["long"]),
        "short_goal": str(text["short"]),
        "next_review": (held + timedelta(weeks=6)).isoformat()}
    meeting = repo.insert_meeting(conn, s, case, fields, "{}", by, at)
    actions = [repo.insert_action(conn, s, case, meeting, str(what), str(owner),
                                  (held + timedelta(days=14 * (i + 1))).isoformat(), "planned",
                                  by, at)
               for i, (what, owner) in enumerate(text["actions"])]
    return meeting, actions


# At the review, each action's answers, and where the action stands after it.
OUTCOMES = (("done", "worked", "done"), ("partly", "partly", "in_progress"),
            ("not_done", "unclear", "stopped"))


def _outcomes(conn: Connection, s: str, case: int, actions: list[int], shift: int, by: str,
              at: datetime) -> str:
    """The reviewed meeting's actions: answered at the review and moved on accordingly."""
    out = []
    for n, action in enumerate(actions):
        done, worked, status = OUTCOMES[(n + shift) % len(OUTCOMES)]
        out.append({"action_id": action, "done": done, "worked": worked, "note": ""})
        repo.update_fields(conn, s, "case_actions", action, case, {"status": status}, by, at)
    return json.dumps(out, ensure_ascii=False)


def add_demo_cases(store: Store, made_by: str, *, seed: int, at: datetime) -> int:
    """Write the demo cases (one transaction); returns how many were made."""
    rng = stream(seed, "cases")
    today = at.date()

    def write(conn: Connection) -> int:
        latest = repo.latest_school_year(conn)
        if latest is None:
            return 0
        made = 0
        with transaction(conn):
            for domain, count in PER_DOMAIN.items():
                s = repo.case_schema(conn, HOME[domain])
                if s is None:
                    continue
                for pupil in repo.demo_pupils(conn, domain, count):
                    picks = [int(v) for v in rng.integers(0, 1000, size=3)]
                    text = CONTENT[domain]
                    case = repo.insert_case(
                        conn, s, pupil_id=pupil, domain=domain,
                        fields={"title": str(text["title"]), "profile": str(text["profile"]),
                                "family": str(text["family"])},
                        source="manual", source_ref="", by=made_by, at=at)
                    first = date(latest, 10, 1) + timedelta(days=picks[2] % 40)
                    meeting, actions = _meeting(conn, s, case, first, domain, picks,
                                                made_by, at)
                    done = ("done", "partly", "not_done")[picks[0] % 3]
                    worked = ("worked", "partly", "unclear")[picks[1] % 3]
                    repo.insert_review(
                        conn, s, case, meeting, reviewed_on=(first + timedelta(weeks=6))
                        .isoformat(), done=done, worked=worked,
                        comment="手立ては概ね実施できた。引き続き様子を見る。",
                        outcomes_json=_outcomes(conn, s, case, actions, picks[0], made_by, at),
                        evidence_json="{}", by=made_by, at=at)
                    # a follow-up a few weeks ago: its review is due soon (or just overdue)
                    follow = today - timedelta(days=28 + picks[2] % 21)  # review: -6 to +14 days
                    _meeting(conn, s, case, follow, domain, picks, made_by, at)
                    made += 1
        return made

    return int(store.db.call(write, kind=HOME["truancy"]))


__all__ = ["add_demo_cases"]

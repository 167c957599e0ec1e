"""Former pupils (卒業・転出): who has left, and keeping them from roles that do not need them.

A pupil is *former* when the last school year in which they are enrolled is before the latest
school year in the store: graduated when that last enrollment was in grade 9 (中3), otherwise
transferred out (転出, which includes leaving the city's schools after 小6). A pupil with no
enrollment at all (a child known from another department before school) is not former.

Only roles whose entry in the permission map says ``former_pupils = true`` still find former
pupils (follow-up, retention, investigations). For the others the search leaves them out in
SQL (so limits and counts hold), the karte and its record lists refuse them by id (logged as
denied), and an extraction over an earlier school year leaves them out of its population.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection
from storage.repos import search as repo
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied

FINAL_GRADE = 9  # 中学3年: leaving after it is graduation from the city's schools
DENIED_REASON = "former_pupil"  # the audit detail's reason (labelled on the 監査ログ screen)
DENIED_MESSAGE = (
    "この児童生徒は卒業・転出しているため、この役割では表示できません"
    "（権限設定の「卒業・転出した児童生徒」が許可されていません）。"
)


@dataclass(frozen=True)
class EnrollmentStatus:
    """在籍状況: ``state`` is "enrolled", "graduated", "transferred" or "none"."""

    state: str
    last_year: int | None

    @property
    def former(self) -> bool:
        return self.state in ("graduated", "transferred")

    @property
    def label(self) -> str:
        """「在籍中」「卒業（2022年度）」「転出（2023年度）」「在籍記録なし」."""
        if self.state == "enrolled":
            return "在籍中"
        if self.state == "none":
            return "在籍記録なし"
        word = "卒業" if self.state == "graduated" else "転出"
        return f"{word}（{self.last_year}年度）"


def status_of(last: repo.LastEnrollment | None, latest_year: int | None) -> EnrollmentStatus:
    if last is None or latest_year is None:
        return EnrollmentStatus("none", None)
    if last.school_year >= latest_year:
        return EnrollmentStatus("enrolled", last.school_year)
    state = "graduated" if last.grade == FINAL_GRADE else "transferred"
    return EnrollmentStatus(state, last.school_year)


def statuses(conn: Connection, pupil_ids: list[int]) -> dict[int, EnrollmentStatus]:
    """在籍状況 of each pupil (on the database thread)."""
    latest = repo.latest_school_year(conn)
    last = repo.last_enrollments(conn, pupil_ids)
    return {pid: status_of(last.get(pid), latest) for pid in pupil_ids}


def sees_former(ctx: ServiceContext) -> bool:
    """Whether the signed-in role may find and open former pupils (the map's setting)."""
    return ctx.gate.role.former_pupils


def former_among(conn: Connection, pupil_ids: frozenset[int] | set[int]) -> frozenset[int]:
    """The former pupils among these (on the database thread)."""
    latest = repo.latest_school_year(conn)
    if latest is None:
        return frozenset()
    return frozenset(repo.left_before(conn, latest) & set(pupil_ids))


def require_not_former(ctx: ServiceContext, pupil_id: int, action: str) -> None:
    """Refuse (logged as denied, with the pupil) a role without the setting that asks for a
    former pupil by id."""
    if sees_former(ctx):
        return
    status = ctx.db.call(lambda c: statuses(c, [pupil_id]))[pupil_id]
    if status.former:
        ctx.log(action, outcome="denied", pupil_id=pupil_id,
                detail={"reason": DENIED_REASON})
        raise PermissionDenied(DENIED_MESSAGE)

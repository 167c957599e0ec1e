"""Former pupils (卒業・転出): keeping them from roles that do not need them (issue 13).

Who has left, and how, is ``storage.repos.leavers``' rule (the same one retention counts
from): a pupil is former when the school of their last enrollment already has a newer
register without them (registers arrive school by school; a school with none for the store's
latest two years is taken as closed); graduated when that last enrollment was the last grade
of 中学校 (or grade 9), otherwise transferred out. A pupil with no enrollment at all (a child
known from another department before school) is not former.

Only roles whose entry in the permission map says ``former_pupils = true`` still find former
pupils (follow-up, retention, investigations). For the others the search leaves them out in
SQL (so limits and counts hold), the karte and its record lists refuse them by id (logged as
denied), an extraction over an earlier school year leaves them out of its population, and a
dataset export leaves out their rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.connection import Connection
from storage.repos import leavers
from storage.repos import search as search_repo
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied

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
        return self.state in leavers.LEAVE_REASONS

    @property
    def label(self) -> str:
        """「在籍中」「卒業（2022年度）」「転出（2023年度）」「在籍記録なし」."""
        if self.state == "enrolled":
            return "在籍中"
        if self.state == "none":
            return "在籍記録なし"
        word = "卒業" if self.state == leavers.GRADUATED else "転出"
        return f"{word}（{self.last_year}年度）"


ENROLLED = EnrollmentStatus("enrolled", None)
NO_ENROLLMENT = EnrollmentStatus("none", None)


def statuses(conn: Connection, pupils: Iterable[tuple[int, bool]]
             ) -> dict[int, EnrollmentStatus]:
    """在籍状況 of each (pupil id, has an enrollment) on the database thread."""
    wanted = list(pupils)
    gone = leavers.leavers_among(conn, (pupil_id for pupil_id, _ in wanted))
    out = {}
    for pupil_id, enrolled in wanted:
        left = gone.get(pupil_id)
        out[pupil_id] = (EnrollmentStatus(left.reason, left.last_year) if left is not None
                         else ENROLLED if enrolled else NO_ENROLLMENT)
    return out


def sees_former(ctx: ServiceContext) -> bool:
    """Whether the signed-in role may find and open former pupils (the map's setting)."""
    return ctx.gate.role.former_pupils


def former_among(conn: Connection, pupil_ids: Iterable[int]) -> frozenset[int]:
    """The former pupils among these (on the database thread)."""
    wanted = set(pupil_ids)
    return frozenset(left.pupil_id for left in leavers.iter_leavers(conn)
                     if left.pupil_id in wanted)


def former_address_codes(conn: Connection) -> set[str]:
    """The 宛名番号 of every former pupil (on the database thread)."""
    return search_repo.address_codes(conn, (left.pupil_id for left in leavers.iter_leavers(conn)))


def without_former_rows(ctx: ServiceContext, rows: list[tuple[object, ...]], at: int
                        ) -> list[tuple[object, ...]]:
    """Export rows without those of former pupils (``at``: the 宛名番号 column)."""
    gone = ctx.db.call(former_address_codes)
    return [r for r in rows if str(r[at]) not in gone]


def require_not_former(ctx: ServiceContext, pupil_id: int, action: str) -> None:
    """Refuse (logged as denied, with the pupil) a role without the setting that asks for a
    former pupil by id."""
    if sees_former(ctx):
        return
    if ctx.db.call(lambda c: leavers.is_former(c, pupil_id)):
        ctx.log(action, outcome="denied", pupil_id=pupil_id,
                detail={"reason": DENIED_REASON})
        raise PermissionDenied(DENIED_MESSAGE)

"""After a purge, no page of any file holds what went: every page of the store file and of
each group file (free pages and write-ahead logs included) is decrypted with its key and
searched for the purged names, kana, IDs and texts."""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection
from tests.retention.helpers import TWENTY_YEARS_ON, sign_in
from tests.retention.pages import plaintext
from toda_desktop.composition import SignedIn
from toda_desktop.search.keys import kana_search_key, name_search_key

FORMER = ("SELECT pupil_id FROM ds_enrollments GROUP BY pupil_id"
          " HAVING max(school_year) < (SELECT max(school_year) FROM ds_enrollments)")


def _needles(conn: Connection) -> tuple[set[str], set[str]]:
    """(what must go, what must stay): identifying values of former pupils that no current
    pupil shares, and the names of current pupils (the test's own check that it can see)."""
    def values(sql: str) -> set[str]:
        return {str(r[0]) for r in conn.execute(sql) if r[0] not in (None, "")}

    gone: set[str] = set()
    staying: set[str] = set()  # current pupils' names in every form (サイトウ ユウキ stays)
    for column in ("name", "name_kana", "address_code"):
        former = values(f"SELECT {column} FROM ds_students WHERE id IN ({FORMER})")
        current = values(f"SELECT {column} FROM ds_students WHERE id NOT IN ({FORMER})")
        gone |= former
        staying |= current
        if column != "address_code":
            fold = name_search_key if column == "name" else kana_search_key
            gone |= {fold(v) for v in former}
            staying |= {fold(v) for v in current}
    for column in ("pref_id", "google_account"):
        gone |= values(f"SELECT {column} FROM ds_enrollments WHERE pupil_id IN ({FORMER})")
    summaries = values(f"SELECT summary FROM ds_consultations WHERE pupil_id IN ({FORMER})")
    gone |= summaries - values(
        f"SELECT summary FROM ds_consultations WHERE pupil_id NOT IN ({FORMER})")
    kept = values(f"SELECT name FROM ds_students WHERE id NOT IN ({FORMER})")
    # A former pupil's name that is part of a current pupil's (サイトウ ユウ in サイトウ ユウキ)
    # may stay on a page, and so may a text a current pupil's record shares.
    return {g for g in gone if len(g) >= 4 and not any(g in s for s in staying)}, kept


def _files(signed: SignedIn) -> list[tuple[Path, bytes]]:
    store = signed.store
    files = [(store.path, bytes(store.keys.system))]
    for group, path in zip(store.held_groups, store.group_files(), strict=True):
        files.append((path, bytes(store.keys.groups[group.name])))
    return files


def _found(files: list[tuple[Path, bytes]], needles: set[str]) -> set[str]:
    found: set[str] = set()
    for path, key in files:
        pages = plaintext(path, key)
        found |= {n for n in needles if n.encode("utf-8") in pages}
    return found


def _wal_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_no_page_holds_a_purged_name_id_or_text(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", TWENTY_YEARS_ON)
    try:
        gone, kept = lead.store.db.call(_needles)
        files = _files(lead)
        assert len(gone) > 50
        assert _found(files, gone) == gone  # before: every one of them is on some page
        plan = lead.retention.approve(lead.retention.make_plan().id)
        assert {line.action for line in plan.lines} == {"delete", "pseudonymise"}
        result = lead.retention.run(plan.id)
        assert result.log_left == 0
        # While the store is still open, the write-ahead logs hold nothing (truncated); the
        # pages read now are those the open store leaves on disk.
        assert [p.name for p, _ in files if _wal_bytes(p)] == []
        assert _found(files, gone) == set()
    finally:
        lead.sign_out()
    assert _found(files, gone) == set()
    assert _found(files, kept) == kept  # the pages were read: current pupils are all there

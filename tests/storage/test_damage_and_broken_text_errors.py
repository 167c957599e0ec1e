"""Errors that say what really happened (issue 12, finding 14: damaged page, lone surrogate).

The review damaged a page of a real store and signed in with the right password: the
message said 「鍵が一致しないか」, sending staff to retype a password that was right. The key
reaching SQLCipher comes from a key wrap whose AES-GCM tag verified, so once page 1 opens
with it, a page that fails is damage. A lone surrogate typed into a search raised a bare
``UnicodeEncodeError``; it is now refused at the service edge in Japanese.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from storage.connection import transaction
from storage.errors import CannotOpen, StoreDamaged, StoreError, WrongCredentials
from storage.group_files import group_file_path
from storage.registry import default_registry
from storage.repos import datasets
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N, copy_store
from tests.search.helpers import demo_sessions
from toda_desktop.composition import SignedIn
from toda_desktop.errors import UserFacingError, user_message
from toda_desktop.extraction import Extraction, Group, Threshold
from toda_desktop.search.service import SearchFilters

CREATED = datetime(2026, 4, 1, 9, 0)
KEY_WORDS = ("鍵が一致", "パスワード", "もう一度お試し")


def _store_with_pupils(path: Path, count: int = 3000) -> int:
    """A real store with pupils; returns the page where the pupils table begins (in the
    basic group's file, see ``_basic``)."""
    store, _ = Store.create(path, "test", LEAD_LOGIN, LEAD_PASSWORD, created_at=CREATED,
                            scrypt_n=TEST_SCRYPT_N)
    kind = default_registry().kind("students")
    rows = [(f"{i:010d}", "高橋 美咲", "タカハシ ミサキ", "2014-05-01", "女")
            for i in range(count)]

    def write(conn: object) -> None:
        with transaction(conn):  # type: ignore[arg-type]
            datasets.insert_rows(conn, kind,  # type: ignore[arg-type]
                                 ["address_code", "name", "name_kana", "birth_date", "sex"],
                                 rows)

    store.db.call(write)
    root = store.db.call(lambda c: c.execute(
        "SELECT rootpage FROM g_basic.sqlite_master WHERE name = 'ds_students'").fetchone()[0])
    store.close()  # checkpoints: every page is in its file now
    return int(root)


def _flip(path: Path, offset: int, count: int = 8) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        data = fh.read(count)
        fh.seek(offset)
        fh.write(bytes(b ^ 0xA5 for b in data))


PAGE = 4096  # SQLCipher 4's default page size, as the store uses it


def _basic(path: Path) -> Path:
    """The file of the basic key group (pupils, the search index) beside the store."""
    return group_file_path(path, "basic")


def _all_names(store: Store) -> list[object]:
    return store.db.call(lambda c: c.execute("SELECT name FROM ds_students").fetchall())


def test_a_damaged_page_with_the_right_password_is_said_to_be_damage(
    store_path: Path,
) -> None:
    root = _store_with_pupils(store_path)
    assert root > 1
    _flip(_basic(store_path), (root - 1) * PAGE + 512)
    with Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD) as store:  # page 1 is fine
        with pytest.raises(StoreDamaged) as writer:
            _all_names(store)
        with pytest.raises(StoreDamaged) as reader:  # the read-only connections alike
            store.db.read(lambda c: c.execute("SELECT name FROM ds_students").fetchall())
        for error in (writer.value, reader.value):
            assert "破損しています" in error.message_ja
            assert "バックアップから復元" in error.message_ja
            assert not any(w in error.message_ja for w in KEY_WORDS)
            assert "高橋" not in str(error)
        assert not store.integrity_check().ok


def test_a_damaged_first_page_names_damage_or_a_foreign_key_file_never_the_password(
    store_path: Path,
) -> None:
    _store_with_pupils(store_path, count=10)
    _flip(store_path, 300)
    with pytest.raises(CannotOpen) as info:
        Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    assert "破損" in info.value.message_ja and "鍵ファイル" in info.value.message_ja
    assert not any(w in info.value.message_ja for w in KEY_WORDS)
    # A wrong password still fails at the key wrap, before the store file is read.
    with pytest.raises(WrongCredentials):
        Store.open(store_path, LEAD_LOGIN, "not the password at all")


def test_a_service_on_a_damaged_store_says_damage_to_the_user(
    _demo_store_template: Path, tmp_path: Path,
) -> None:
    path = copy_store(_demo_store_template, tmp_path / "demo.tdb")
    with demo_sessions(path, ("project_lead",)) as signed:
        roots = signed["project_lead"].store.db.call(lambda c: c.execute(
            "SELECT rootpage FROM g_basic.sqlite_master WHERE name = 'search_pupils'"
        ).fetchall())
    root = int(roots[0][0])
    _flip(_basic(path), (root - 1) * PAGE + 512)
    # Signing in with the right password and searching: whichever step meets the damaged
    # page first (the sign-in's own reads may), the person is told it is damage.
    with pytest.raises(StoreError) as info, demo_sessions(path, ("project_lead",)) as signed:
        signed["project_lead"].search.search("", SearchFilters(school_year=2025))
    message = user_message(info.value)
    assert message is not None and "破損しています" in message
    assert not any(w in message for w in KEY_WORDS)


@pytest.fixture(scope="module")
def lead(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[SignedIn]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("text") / "d.tdb")
    with demo_sessions(path, ("project_lead",)) as signed:
        yield signed["project_lead"]


@pytest.mark.parametrize("query", ["\ud800", "高橋 \udfff", "\udc80美咲"])
def test_a_lone_surrogate_in_a_search_is_refused_in_japanese(lead: SignedIn, query: str) -> None:
    before = len(lead.audit_view.entries())
    with pytest.raises(UserFacingError, match="検索語に読み取れない文字"):
        lead.search.search(query)
    with pytest.raises(UserFacingError, match="絞り込みの条件に読み取れない文字"):
        lead.search.search("高橋", SearchFilters(class_name=query))
    with pytest.raises(UserFacingError, match="絞り込みの条件に読み取れない文字"):
        lead.search.filter_options(school_code=query)
    assert len(lead.audit_view.entries()) == before + 1  # only the listing itself: no search
    assert lead.search.search("高橋").query == "高橋"  # and the session goes on


def test_a_lone_surrogate_in_an_extraction_is_refused_in_japanese(lead: SignedIn) -> None:
    broken = Extraction("男子\ud800", Group("and", (Threshold("students", "sex", "==", "男"),)))
    value = Extraction("男子", Group("and", (Threshold("students", "sex", "==", "男\udfff"),)))
    for action in (lambda: lead.extraction.save(broken), lambda: lead.extraction.run(value)):
        with pytest.raises(UserFacingError, match="抽出条件（名前や値）に読み取れない文字"):
            action()
    assert "男子\ud800" not in [s.name for s in lead.extraction.saved()]

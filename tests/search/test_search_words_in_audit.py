"""The audit log keeps who searched, when, the filters and the number of results — and each
search word only as a keyed digest, never the word (issue 13).

An insider with the IT administrator's password (system key only: the store file, where the
log lives) decrypts every page and WAL frame of the store file: no searched name is there. An
auditor holding the basic key (the project lead) asks "was X searched?" and finds the
searches whatever width, case or kana the searcher typed; the check is logged with digests
only. Entries written before keep their words, and the chain still verifies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage import audit
from storage.keys import KeyFile
from tests.retention.pages import plaintext
from tests.risk.conftest import sign_in
from toda_desktop.audit.sealing import reader_opener
from toda_desktop.audit.signer import account_signer
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied
from toda_desktop.search.audit_words import folded_words
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


def _details(signed: SignedIn, action: str) -> list[dict[str, object]]:
    """The JSON of the entries of ``action``, newest first, as the audit reader opens it
    (search entries are sealed: ``storage.audit_seal``)."""
    opener = reader_opener(signed.store.db)
    entries = signed.store.db.call(lambda c: audit.query(c, action=action, opener=opener))
    return [json.loads(e.detail or "{}") for e in entries]


def _a_pupil(signed: SignedIn) -> tuple[str, str]:
    """(family name, full name) of a demo pupil."""
    name = str(signed.store.db.call(lambda c: c.execute(
        "SELECT name FROM ds_students ORDER BY id LIMIT 1").fetchone()[0]))
    return name.split("\u3000")[0], name


def test_a_search_entry_holds_counts_and_digests_and_no_word(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead")
    try:
        family, _full = _a_pupil(lead)
        found = lead.search.search(f"{family} 12345")
        [detail] = _details(lead, "search")[:1]
        assert "query" not in detail and detail["words"] == 2
        digests = detail["word_digests"]
        assert isinstance(digests, list) and len(digests) == 2
        assert all(isinstance(d, str) and len(d) == 16 for d in digests)
        assert detail["results"] == len(found.hits)
        assert family not in json.dumps(detail, ensure_ascii=False) and "12345" not in str(detail)
    finally:
        lead.sign_out()


def test_the_it_administrator_finds_no_searched_name_in_any_page_of_the_store_file(
    demo_store_path: Path,
) -> None:
    lead = sign_in(demo_store_path, "project_lead")
    try:
        family, full = _a_pupil(lead)
        for query in (full, family, "ｿﾂｷﾞｮｳ"):
            lead.search.search(query)
    finally:
        lead.sign_out()
    held = KeyFile.load(demo_store_path).unlock(DEMO_LOGINS["it_admin"][0], DEMO_PASSWORD)
    assert held.groups == {}
    pages = plaintext(demo_store_path, held.system)
    for word in (full, family, "ｿﾂｷﾞｮｳ", "ソツギョウ"):
        assert word.encode() not in pages, word


def test_an_auditor_with_the_basic_key_checks_whether_a_word_was_searched(
    demo_store_path: Path,
) -> None:
    truancy = sign_in(demo_store_path, "truancy_support")
    try:
        family, _full = _a_pupil(truancy)
        truancy.search.search("たかはし　ひろと")
        truancy.search.search(family)
        truancy.search.search("0012-345")
    finally:
        truancy.sign_out()
    lead = sign_in(demo_store_path, "project_lead")
    try:
        check = lead.search_words
        assert [r.actor for r in check.searches_with("ﾀｶﾊｼ")] == ["demo-truancy"]
        assert len(check.searches_with("ヒロト たかはし")) == 1  # any order
        assert check.searches_with("たかはし ゆうと") == []  # every word must match
        assert len(check.searches_with(family)) == 1
        assert len(check.searches_with("12345")) == 1  # an ID without dashes or zeros
        assert check.searches_with("さとう") == []
        logged = _details(lead, "audit_search_check")
        assert len(logged) == 6 and all("word_digests" in d for d in logged)
        assert "たかはし" not in json.dumps(logged, ensure_ascii=False)
        assert family not in json.dumps(logged, ensure_ascii=False)
        assert lead.audit_view.verify().ok
    finally:
        lead.sign_out()


def test_the_check_needs_the_audit_right_and_the_basic_key(demo_store_path: Path) -> None:
    it = sign_in(demo_store_path, "it_admin")  # audit_view, system key only
    try:
        with pytest.raises(PermissionDenied, match="基本情報の鍵"):
            it.search_words.searches_with("たかはし")
    finally:
        it.sign_out()
    liaison = sign_in(demo_store_path, "liaison")  # the basic key, no audit_view
    try:
        with pytest.raises(PermissionDenied):
            liaison.search_words.searches_with("たかはし")
    finally:
        liaison.sign_out()


def test_entries_written_before_keep_their_words_and_the_chain_verifies(
    demo_store_path: Path,
) -> None:
    """An entry of the earlier form (the words in clear) is left as it is: the chain is never
    rewritten; new entries chain after it."""
    lead = sign_in(demo_store_path, "project_lead")
    try:
        signer = account_signer(lead.store, "demo-lead")  # as the code before wrote it
        lead.store.db.call(lambda c: audit.append(
            c, signer, actor="demo-lead", action="search", target="pupils",
            detail={"query": "まえの　けんさく", "filters": {}, "results": 0},
            at=lead.context.now()))
        lead.search.search("あたらしい")
        old, new = _details(lead, "search")[1], _details(lead, "search")[0]
        assert old["query"] == "まえの　けんさく" and "query" not in new
        assert lead.audit_view.verify().ok
    finally:
        lead.sign_out()


def test_words_fold_as_the_search_folds_them() -> None:
    assert folded_words("髙橋") == folded_words("高橋")
    assert folded_words("たかはし") == folded_words("ﾀｶﾊｼ") == folded_words("タカハシ")
    assert folded_words("0012-345") == folded_words("12345")
    assert folded_words("「」 、") == ()


def test_the_command_line_lists_the_searches_of_a_word(
    demo_store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from toda_desktop.cli import main

    truancy = sign_in(demo_store_path, "truancy_support")
    try:
        truancy.search.search("たかはし")
    finally:
        truancy.sign_out()
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["project_lead"][0])
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    out = io.StringIO()
    assert main(["audit", "list", "--store", str(demo_store_path), "--searched", "タカハシ"],
                out=out) == 0
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1 and "demo-truancy" in lines[0] and "児童生徒の検索" in lines[0]

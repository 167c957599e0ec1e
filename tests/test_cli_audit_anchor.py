"""`audit anchor --dir` sets the outside folder; `audit verify` compares with its copies."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from storage import audit
from storage.store import Store
from tests.conftest import TEST_SCRYPT_N
from toda_desktop.cli import main
from toda_desktop.store_setup import create_empty_store

PASSWORD = "a long enough password"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODA_PASSWORD", PASSWORD)
    monkeypatch.setenv("TODA_USER", "lead")


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_the_command_line_sets_the_folder_and_verify_finds_a_cut_tail(
    tmp_path: Path, env: None
) -> None:
    store = tmp_path / "office" / "t.tdb"
    outside = tmp_path / "it-server"
    outside.mkdir()
    # (the test suite\'s test store: the command line\'s would need a real scanner)
    create_empty_store(store, "test", "lead", PASSWORD, scrypt_n=TEST_SCRYPT_N).store.close()
    code, text = _run("audit", "anchor", "--store", str(store))
    assert code == 0 and "（未設定）" in text
    code, text = _run("audit", "anchor", "--store", str(store), "--dir", str(outside))
    assert code == 0 and "控えを書き込みました" in text
    code, text = _run("audit", "anchor", "--store", str(store))
    assert str(outside) in text
    code, text = _run("audit", "verify", "--store", str(store))
    assert code == 0 and text.startswith("正常")

    with Store.open(store, "lead", PASSWORD) as opened:  # the tail cut, the anchor moved
        last = opened.db.call(audit.head)
        assert last is not None
        opened.db.call(lambda c: c.execute("DELETE FROM audit_log WHERE id > ?",
                                           (last[0] - 3,)))
        head = opened.db.call(audit.head)
    assert head is not None
    audit.write_anchor(store, *head)
    code, text = _run("audit", "verify", "--store", str(store), "--anchor-dir", str(outside))
    assert code == 1 and text.startswith("異常") and "末尾の切り詰め" in text

"""``keys list`` and ``keys rotate``: generations and holder counts without names, and a
renewal for a suspected leak that only a key holder can make."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from storage.keys import KeyFile
from toda_desktop.cli import main
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def as_lead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("TODA_USER", "demo-lead")


def test_keys_list_shows_generation_and_holders_but_no_one_by_name(
    demo_store_path: Path, as_lead: None
) -> None:
    code, text = _run("keys", "list", "--store", str(demo_store_path))
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith("区分\t名称\t世代\t持っている人数")
    bullying = next(line for line in lines if line.startswith("bullying\t"))
    assert "\tいじめ\t第1世代\t" in bullying and "\t保有" in bullying
    for login, name in DEMO_LOGINS.values():
        assert login not in text and name not in text


def test_keys_rotate_renews_the_named_group_and_says_who_must_sign_in_again(
    demo_store_path: Path, as_lead: None
) -> None:
    code, text = _run("keys", "rotate", "--store", str(demo_store_path), "--group", "bullying")
    assert code == 0, text
    assert "理由: 漏えいの疑い" in text and "いじめ" in text
    assert "もう一度サインイン" in text
    assert KeyFile.load(demo_store_path).generations["bullying"] == 2
    _, listing = _run("keys", "list", "--store", str(demo_store_path))
    assert "\t第2世代\t" in next(x for x in listing.splitlines() if x.startswith("bullying\t"))


def test_keys_rotate_all_renews_every_key_the_user_holds(
    demo_store_path: Path, as_lead: None
) -> None:
    before = dict(KeyFile.load(demo_store_path).generations)
    code, _ = _run("keys", "rotate", "--store", str(demo_store_path), "--all",
                   "--reason", "routine")
    assert code == 0
    after = KeyFile.load(demo_store_path).generations
    assert all(after[g] == n + 1 for g, n in before.items())


def test_keys_rotate_by_someone_without_the_key_fails_with_a_japanese_reason(
    demo_store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("TODA_USER", "demo-it")
    code, _ = _run("keys", "rotate", "--store", str(demo_store_path), "--group", "bullying")
    assert code == 2
    assert "お持ちでないため" in capsys.readouterr().err
    assert KeyFile.load(demo_store_path).generations["bullying"] == 1

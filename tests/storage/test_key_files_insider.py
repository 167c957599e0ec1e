"""An insider with their own keys (issue 12): the product's Python API, sqlcipher3 and the raw
files reach exactly the groups they hold; the services work with those and say what is left
out.

The accounts sign in through the real application (demo city) with their own passwords: key
file format 2 gives each exactly the keys of its role's groups. The project lead's keys (all of
them) serve only to show that the records the insider cannot read are really there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3
from PySide6.QtWidgets import QApplication

from storage.connection import key_pragma
from storage.errors import OperationDenied, StoreError
from storage.group_files import file_groups, group_file_path, group_files_beside
from storage.keyring import StoreKeys
from storage.registry import default_registry
from storage.store import Store
from tests.risk.conftest import sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.extraction.model import CountInWindow, Extraction, Group
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.karte.page import KarteView

REGISTRY = default_registry()
LIAISON_GROUPS = ("basic", "other_department")


def _with_every_key(signed: SignedIn) -> tuple[SignedIn, StoreKeys]:
    """The session as its own password opened it, and every key (from the project lead)."""
    lead_login = DEMO_LOGINS["project_lead"][0]
    with Store.open(signed.store.path, lead_login, DEMO_PASSWORD) as lead_store:
        every = lead_store.keys
    return signed, every


def _reopen_with(signed: SignedIn, groups: tuple[str, ...]) -> tuple[SignedIn, StoreKeys]:
    """The same account's session on the store opened with only ``groups`` of the keys it
    holds (as when a holder has not yet given it the others)."""
    every = signed.store.keys
    path, keyfile = signed.store.path, signed.store.keyfile
    app, user, account_id = signed.app, signed.user, signed.account_id
    signed.sign_out()
    keys = StoreKeys(system=every.system,
                     groups={g: every.groups[g] for g in groups if g in every.groups},
                     signing_seed=every.signing_seed)
    return SignedIn(app, Store(path, keyfile, keys, REGISTRY), user, account_id), every


@pytest.fixture
def liaison(demo_store_path: Path) -> Iterator[tuple[SignedIn, StoreKeys]]:
    signed, every = _with_every_key(sign_in(demo_store_path, "liaison"))
    assert set(signed.store.keys.groups) == set(LIAISON_GROUPS)
    yield signed, every
    signed.sign_out()


def _bullying_text(path: Path, every: StoreKeys) -> str:
    """A bullying record's longest text, read by someone who holds the key (the lead)."""
    conn = sqlcipher3.connect(str(group_file_path(path, "bullying")))
    conn.execute(key_pragma(every.groups["bullying"]))
    columns = [str(r[1]) for r in conn.execute("PRAGMA table_info(ds_bullying_records)")
               if str(r[2]).upper() == "TEXT"]
    best = ""
    for column in columns:
        for (value,) in conn.execute(f"SELECT {column} FROM ds_bullying_records"):
            if isinstance(value, str) and len(value) > len(best):
                best = value
    conn.close()
    return best


def test_the_liaison_cannot_read_bullying_records_by_any_way_it_has(
    liaison: tuple[SignedIn, StoreKeys],
) -> None:
    signed, every = liaison
    store = signed.store
    text = _bullying_text(store.path, every)
    assert len(text) >= 4  # the demo city has bullying records to protect
    # 1. The product's Python API: the table is not there, on the writer and the readers.
    for run in (store.db.call, store.db.read):
        with pytest.raises(StoreError):
            run(lambda c: c.execute("SELECT * FROM ds_bullying_records").fetchall())
    # 2. Attaching the file on an app connection, with any key the liaison holds: denied.
    for key in (every.system, every.groups["basic"]):
        with pytest.raises(OperationDenied):
            store.db.call(lambda c, key=key: c.execute(
                "ATTACH DATABASE ? AS g_x KEY ?",
                (str(group_file_path(store.path, "bullying")), f"x'{key.hex()}'")))
    # 3. sqlcipher3 directly on the file with each key the liaison holds.
    for key in (every.system, *(every.groups[g] for g in LIAISON_GROUPS)):
        conn = sqlcipher3.connect(str(group_file_path(store.path, "bullying")))
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        with pytest.raises(sqlcipher3.DatabaseError):
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()
    # 4. The raw bytes of every file beside the store: no record text in the clear.
    needle = text.encode("utf-8")
    for path in (store.path, *group_files_beside(store.path)):
        assert needle not in path.read_bytes(), path.name
    # 5. The store file, opened with the system key, holds no bullying table either.
    conn = sqlcipher3.connect(str(store.path))
    conn.execute(key_pragma(every.system))
    tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert not {t for t in tables if "bullying" in t}


def test_a_role_with_some_keys_sees_only_their_kinds_and_is_told_what_is_left_out(
    demo_store_path: Path,
) -> None:
    groups = tuple(g.name for g in file_groups(REGISTRY) if g.name != "bullying")
    signed, _ = _reopen_with(sign_in(demo_store_path, "director"), groups)
    try:
        visible = {k.name for k in signed.visible_kinds()}
        assert "bullying_records" not in visible and "attendance_monthly" in visible
        pupil_id = signed.store.db.call(lambda c: int(c.execute(
            "SELECT min(id) FROM ds_students").fetchone()[0]))
        karte = signed.karte.open(pupil_id)
        assert karte.withheld == ("鍵をお持ちでない領域（いじめ等の記録）は含まれていません。"
                                  "鍵の付与は事業全体総括職員にご依頼ください。")
        assert "bullying_records" not in {d.kind for d in karte.linked}
        assert len({d.kind for d in karte.linked}) >= 5  # the karte spans the other domains
        with pytest.raises(PermissionDenied, match="鍵をお持ちでない"):
            signed.karte.records(pupil_id, "bullying_records")
        assert "bullying_records" not in {f.kind for f in signed.extraction.fields()}
        signed.overview()
        with pytest.raises(PermissionDenied, match="鍵をお持ちでない"):
            signed.gate.require_kind("view", "bullying_records")
        bullying = Extraction("いじめ", Group(items=(CountInWindow("bullying_records", 1, 365),)))
        with pytest.raises(PermissionDenied, match="「いじめ等の記録」の鍵をお持ちでないため"):
            signed.extraction.run(bullying)
    finally:
        signed.sign_out()


def test_without_the_survey_key_the_factor_analysis_says_which_key_is_missing(
    demo_store_path: Path,
) -> None:
    groups = tuple(g.name for g in file_groups(REGISTRY) if g.name != "survey")
    signed, _ = _reopen_with(sign_in(demo_store_path, "data_analyst"), groups)
    try:
        with pytest.raises(UserFacingError, match=r"要因分析に必要なデータ.*鍵"):
            signed.risk.kept_factor_analysis()
        assert signed.karte.open(signed.store.db.call(lambda c: int(c.execute(
            "SELECT min(id) FROM ds_students").fetchone()[0]))).withheld.startswith(
                "鍵をお持ちでない領域（")
    finally:
        signed.sign_out()


def test_without_the_basic_key_search_and_karte_refuse_in_plain_japanese(
    demo_store_path: Path,
) -> None:
    signed, _ = _reopen_with(sign_in(demo_store_path, "director"), ("attendance-truancy",))
    try:
        with pytest.raises(UserFacingError, match="基本情報の鍵"):
            signed.search.search("山")
        with pytest.raises(UserFacingError, match="基本情報の鍵"):
            signed.karte.open(1)
    finally:
        signed.sign_out()


def test_the_karte_window_shows_the_line_saying_what_is_left_out(
    demo_store_path: Path, qapp: QApplication, tmp_path: Path
) -> None:
    groups = tuple(g.name for g in file_groups(REGISTRY) if g.name != "bullying")
    signed, _ = _reopen_with(sign_in(demo_store_path, "director"), groups)
    runner = BackgroundRunner(ErrorReporter(tmp_path / "errors.log"))
    try:
        pupil_id = signed.store.db.call(lambda c: int(c.execute(
            "SELECT min(id) FROM ds_students").fetchone()[0]))
        view = KarteView(signed.karte.open(pupil_id), signed.karte, runner, "wareki")
        assert view.withheld_label is not None
        assert view.withheld_label.text() == (
            "鍵をお持ちでない領域（いじめ等の記録）は含まれていません。"
            "鍵の付与は事業全体総括職員にご依頼ください。")
        view.deleteLater()
    finally:
        runner.shutdown()
        signed.sign_out()


def test_a_rollback_needs_the_key_of_every_group_it_could_leave_pointing_at_no_one(
    demo_store_path: Path,
) -> None:
    groups = tuple(g.name for g in file_groups(REGISTRY) if g.name != "bullying")
    signed, _ = _reopen_with(sign_in(demo_store_path, "data_analyst"), groups)
    try:
        batches = dict(signed.store.db.call(lambda c: c.execute(
            "SELECT kind, min(id) FROM import_batches GROUP BY kind").fetchall()))
        for kind in ("bullying_records", "students"):
            with pytest.raises(UserFacingError, match="いじめ等の記録の鍵が必要です"):
                signed.importing.rollback(batches[kind])
        assert signed.store.db.call(lambda c: c.execute(
            "SELECT count(*) FROM import_batches WHERE status != 'committed'").fetchone()[0]) == 0
    finally:
        signed.sign_out()


def test_a_model_is_neither_trained_nor_scored_on_part_of_its_inputs(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead")
    lead.risk.train(quick=True)
    groups = tuple(g.name for g in file_groups(REGISTRY) if g.name != "truancy")
    signed, _ = _reopen_with(lead, groups)
    try:
        month = signed.risk.list_months()[-1]
        with pytest.raises(UserFacingError, match=r"長期欠席.*鍵をお持ちでないため、一覧の作成"):
            signed.risk.score(month)
        with pytest.raises(UserFacingError, match=r"長期欠席.*鍵をお持ちでないため、学習"):
            signed.risk.train(quick=True)
        assert signed.store.db.call(lambda c: c.execute(
            "SELECT count(*) FROM risk_alerts").fetchone()[0]) == 0
    finally:
        signed.sign_out()

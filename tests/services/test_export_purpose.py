"""Exports that fit their purpose (issue 13), on real stores through the product's API: an
identifiable export states a purpose from the lead's list, which the audit entry keeps; above
the lead's number of pupils it uses the lead's approval, once, on the day it was given; 室長
(and 課長, 所長) write aggregate files only."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage.migrations.m013_export_purposes import DEFAULT_PURPOSES
from storage.registry import default_registry
from storage.repos import export_approvals
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_files import ExportResult
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose import catalog
from toda_desktop.export_purpose.check import authorize
from toda_desktop.export_purpose.model import OTHER, Purpose
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

MEETING = Purpose("ケース会議の資料", "12月10日の会議")


class Clock:
    """The application's clock, moved by the test (an approval lasts the day)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 10, 0, 0)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class City:
    path: Path
    clock: Clock
    sessions: dict[str, SignedIn]

    def __getitem__(self, role: str) -> SignedIn:
        if role not in self.sessions:
            sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

            def factory(kind: str) -> Scanner:
                require_real_scanner_for(kind, sim)
                return sim

            app = Application(self.path, scanner_factory=factory, clock=self.clock,
                              idle_limit=timedelta(days=30), max_session=timedelta(days=60))
            self.sessions[role] = app.sign_in(DEMO_LOGINS[role][0], DEMO_PASSWORD)
        return self.sessions[role]


@pytest.fixture
def city(demo_store_path: Path) -> Iterator[City]:
    made = City(demo_store_path, Clock(), {})
    yield made
    for signed in made.sessions.values():
        signed.sign_out()


def _entries(city: City, action: str) -> list[str]:
    """The details of the entries of one action, as the lead reads them."""
    return [e.detail_text for e in
            city["project_lead"].audit_view.entries(AuditFilter(action=action))]


def _search(signed: SignedIn) -> Callable[[Path, Purpose | None], ExportResult]:
    results = signed.search.search("山")
    assert len({h.pupil_id for h in results.hits}) > 3
    return lambda path, purpose: signed.search.export(results, path, purpose=purpose)


def _search_pupils(signed: SignedIn) -> int:
    return len({h.pupil_id for h in signed.search.search("山").hits})


def _approved(city: City, pupils: int, purpose: Purpose = MEETING,
              export: str = catalog.SEARCH_RESULTS.key, scope: str = "") -> int:
    request = city["data_analyst"].export_purposes.request(export, purpose, pupils, scope)
    city["project_lead"].export_purposes.approve(request)
    return request


# -- 室長 with the Python API -----------------------------------------------------------------

@pytest.mark.parametrize("role", ["director", "section_chief", "center_director"])
def test_a_director_with_the_python_api_writes_no_identifiable_export(
    city: City, role: str, tmp_path: Path
) -> None:
    boss = city[role]
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    results = boss.search.search("山")  # they may look pupils up ...
    assert results.hits
    attempts = {
        "students.csv": lambda p: boss.records.export_dataset("students", p, purpose=MEETING),
        "attendance.csv": lambda p: boss.records.export_dataset("attendance_monthly", p,
                                                                purpose=MEETING),
        "search.csv": lambda p: boss.search.export(results, p, purpose=MEETING),
    }
    for name, attempt in attempts.items():  # ... but write no file that names one
        with pytest.raises(PermissionDenied):
            attempt(tmp_path / name)
    with pytest.raises(PermissionDenied):  # nor through the check itself
        authorize(boss.context, catalog.DATASET, purpose=MEETING, pupils=1)
    with pytest.raises(PermissionDenied):  # nor by asking the lead to approve one
        boss.export_purposes.request(catalog.DATASET.key, MEETING, 500, "students")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    # Aggregate files stay theirs: a dataset without pupils, no purpose asked.
    written = boss.records.export_dataset("schools", tmp_path / "schools.csv")
    assert written.rows > 0


def test_the_default_map_gives_the_three_chiefs_aggregate_exports_only(city: City) -> None:
    for role in ("director", "section_chief", "center_director"):
        assert not city[role].may("export") and city[role].may("export_aggregate")
    for role in ("project_lead", "data_analyst"):
        assert city[role].may("export")


def test_a_stored_map_that_gives_a_chief_export_keeps_its_words(city: City) -> None:
    lead = city["project_lead"]
    text = lead.policy_admin.current_text()
    old = text.replace('functions = ["pupil_search", "view", "export_aggregate", "print", '
                       '"analysis",', 'functions = ["pupil_search", "view", "export", "print", '
                       '"analysis",', 1)
    assert old != text
    assert lead.export_purposes.identifiable_export_roles() == []
    lead.policy_admin.update(old)  # as a store edited before this change holds it
    assert 'functions = ["pupil_search", "view", "export", "print"' in (
        lead.policy_admin.current_text())
    # It applies from the next sign-in: the 室長 keeps identifiable exports (purpose-bound),
    # and the lead's approvals page says so.
    city.sessions.pop("project_lead").sign_out()
    assert city["director"].may("export")
    assert city["project_lead"].export_purposes.identifiable_export_roles() == ["教育政策室長"]


# -- the purpose --------------------------------------------------------------------------

def test_every_identifiable_export_without_a_purpose_is_refused_and_logged(
    city: City, tmp_path: Path
) -> None:
    analyst = city["data_analyst"]
    extraction = analyst.extraction.run(analyst.extraction.push_support_preset())
    results = analyst.search.search("山")
    source = tmp_path / "students.csv"
    source.write_text("宛名番号,氏名\n0012345,山田 花子\n", encoding="utf-8")
    preview = analyst.importing.preview(analyst.importing.inspect(source, "students"))
    paths: dict[str, Callable[[Path], object]] = {
        "dataset": lambda p: analyst.records.export_dataset("attendance_monthly", p),
        "search_results": lambda p: analyst.search.export(results, p),
        "extraction_results": lambda p: analyst.extraction.export(extraction, p),
        "validation_report": lambda p: analyst.importing.export_issues(preview, p),
    }
    assert set(paths) == {s.key for s in catalog.EXPORTS if s.identifiable} - {"alert_list"}
    for key, attempt in paths.items():
        with pytest.raises(UserFacingError, match="出力の目的の指定が必要です"):
            attempt(tmp_path / f"{key}.csv")
        assert not (tmp_path / f"{key}.csv").exists()
    refused = _entries(city, "export_refused")
    assert len(refused) == len(paths)
    assert all("目的の指定なし" in text for text in refused)
    assert _entries(city, "export") == []  # no 開始 entry, no file


def test_the_purpose_and_the_pupils_are_in_the_export_entries(city: City, tmp_path: Path
                                                               ) -> None:
    analyst = city["data_analyst"]
    path = tmp_path / "search.csv"
    written = _search(analyst)(path, MEETING)
    assert path.exists() and written.rows > 0
    entries = [t for t in _entries(city, "export") if path.name in t]
    assert len(entries) == 2  # 開始 and 成功 both carry it
    for text in entries:
        assert "目的: ケース会議の資料（12月10日の会議）" in text
        assert f"児童生徒数: {_search_pupils(analyst)}" in text
        assert "出力の種類: 児童生徒検索の結果の出力" in text


def test_a_purpose_off_the_list_is_refused_and_other_needs_words(city: City, tmp_path: Path
                                                                 ) -> None:
    export = _search(city["data_analyst"])
    with pytest.raises(UserFacingError, match="一覧にありません") as raised:
        export(tmp_path / "a.csv", Purpose("なんとなく"))
    assert "「ケース会議の資料」" in raised.value.message_ja  # it names the choices
    with pytest.raises(UserFacingError, match="具体的な目的を書いてください"):
        export(tmp_path / "b.csv", Purpose(OTHER, "  "))
    export(tmp_path / "c.csv", Purpose(OTHER, "県教育委員会への照会への回答"))
    assert any("目的: その他：県教育委員会への照会への回答" in t
               for t in _entries(city, "export"))


def test_a_new_store_offers_the_default_purposes(city: City) -> None:
    assert city["data_analyst"].export_purposes.purposes() == list(DEFAULT_PURPOSES)


def test_the_leads_list_edits_are_logged_and_only_the_lead_edits(city: City,
                                                                 tmp_path: Path) -> None:
    lead, analyst = city["project_lead"], city["data_analyst"]
    added = lead.export_purposes.add_purpose("就学相談の資料")
    assert analyst.export_purposes.purposes()[-1] == "就学相談の資料"
    first = lead.export_purposes.purpose_rows()[0]
    lead.export_purposes.remove_purpose(first.id)
    assert first.label not in analyst.export_purposes.purposes()
    with pytest.raises(UserFacingError, match="一覧にありません"):  # no longer a purpose
        _search(analyst)(tmp_path / "x.csv", Purpose(first.label))
    lead.export_purposes.set_threshold(30)
    assert analyst.export_purposes.threshold() == 30
    assert any(f"番号: {added}" in t and "就学相談の資料" in t
               for t in _entries(city, "export_purpose_added"))
    assert any(first.label in t for t in _entries(city, "export_purpose_removed"))
    assert any("変更前: 100" in t and "変更後: 30" in t
               for t in _entries(city, "export_threshold_changed"))
    for edit in (lambda: analyst.export_purposes.add_purpose("私用"),
                 lambda: analyst.export_purposes.remove_purpose(added),
                 lambda: analyst.export_purposes.set_threshold(100_000)):
        with pytest.raises(PermissionDenied):
            edit()


# -- bulk exports and the lead's approval -------------------------------------------------

def test_above_the_threshold_an_export_needs_an_approval_used_once(city: City,
                                                                   tmp_path: Path) -> None:
    lead, analyst = city["project_lead"], city["data_analyst"]
    pupils = _search_pupils(analyst)
    lead.export_purposes.set_threshold(pupils - 1)
    export = _search(analyst)
    with pytest.raises(UserFacingError, match="承認が必要です"):
        export(tmp_path / "refused.csv", MEETING)
    assert not (tmp_path / "refused.csv").exists()
    request = analyst.export_purposes.request(catalog.SEARCH_RESULTS.key, MEETING, pupils)
    pending = lead.export_purposes.pending()
    assert [(r.id, r.pupils, r.purpose, r.requested_by) for r in pending] == [
        (request, pupils, MEETING.text, DEMO_LOGINS["data_analyst"][0])]
    with pytest.raises(UserFacingError, match="まだ承認されていません"):
        export(tmp_path / "early.csv", Purpose(approval_id=request))
    lead.export_purposes.approve(request)
    written = export(tmp_path / "approved.csv", Purpose(approval_id=request))
    assert written.rows >= pupils
    with pytest.raises(UserFacingError, match="既に使われています"):
        export(tmp_path / "again.csv", Purpose(approval_id=request))
    assert not (tmp_path / "again.csv").exists()
    started = [t for t in _entries(city, "export") if "approved.csv" in t]
    assert started and all(f"承認番号: {request}" in t and "目的: ケース会議の資料" in t
                           for t in started)
    assert any(f"出力の承認の依頼番号 {request}" == e.target_text
               for e in lead.audit_view.entries(AuditFilter(action="export_approval_approved")))
    assert any("既に使われています" not in t and "使用済み" in t
               for t in _entries(city, "export_refused"))


def test_an_approval_expires_at_the_end_of_its_day(city: City, tmp_path: Path) -> None:
    city["project_lead"].export_purposes.set_threshold(1)
    export = _search(city["data_analyst"])
    request = _approved(city, 1000)
    city.clock.now += timedelta(days=1)
    with pytest.raises(UserFacingError, match="有効期限が切れています"):
        export(tmp_path / "late.csv", Purpose(approval_id=request))
    assert not (tmp_path / "late.csv").exists()


def test_a_declined_request_cannot_be_used(city: City, tmp_path: Path) -> None:
    lead, analyst = city["project_lead"], city["data_analyst"]
    lead.export_purposes.set_threshold(1)
    request = analyst.export_purposes.request(catalog.SEARCH_RESULTS.key, MEETING, 1000)
    lead.export_purposes.decline(request, "会議資料は学校名までで足ります。")
    assert lead.export_purposes.pending() == []
    with pytest.raises(UserFacingError, match="承認されませんでした"):
        _search(analyst)(tmp_path / "x.csv", Purpose(approval_id=request))
    with pytest.raises(UserFacingError, match="既に判断されています"):
        lead.export_purposes.approve(request)
    assert any("会議資料は学校名までで足ります" in t
               for t in _entries(city, "export_approval_declined"))


def test_an_approval_covers_only_its_export_its_pupils_its_purpose_and_its_requester(
    city: City, tmp_path: Path
) -> None:
    lead, analyst = city["project_lead"], city["data_analyst"]
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    lead.export_purposes.set_threshold(1)
    pupils = _search_pupils(analyst)
    export = _search(analyst)
    for_dataset = _approved(city, 100_000, export=catalog.DATASET.key, scope="students")
    with pytest.raises(UserFacingError, match="別の出力"):
        export(tmp_path / "a.csv", Purpose(approval_id=for_dataset))
    too_few = _approved(city, pupils - 1)
    with pytest.raises(UserFacingError, match="より多い"):
        export(tmp_path / "b.csv", Purpose(approval_id=too_few))
    other = _approved(city, pupils)
    with pytest.raises(UserFacingError, match="承認された目的は"):
        export(tmp_path / "c.csv", Purpose("学校への情報提供", approval_id=other))
    with pytest.raises(UserFacingError, match="あなたの依頼にはありません"):
        _search(lead)(tmp_path / "d.csv", Purpose(approval_id=other))
    assert list(tmp_path.iterdir()) == []
    export(tmp_path / "e.csv", Purpose(approval_id=other))  # still unused: works


def test_nobody_decides_on_their_own_request_while_another_may(city: City) -> None:
    lead = city["project_lead"]
    request = lead.export_purposes.request(catalog.SEARCH_RESULTS.key, MEETING, 500)
    with pytest.raises(PermissionDenied):  # only the lead decides
        city["data_analyst"].export_purposes.approve(request)
    # The demo city has one lead: with no one else to ask, the decision is the lead's own,
    # marked in the log.
    lead.export_purposes.approve(request)
    assert any("自分の依頼: はい" in t for t in _entries(city, "export_approval_approved"))
    # With a second lead account, the first may no longer decide on their own request.
    lead.account_admin.create("lead-2", "第二 総括", "project_lead", "Second-lead-pw-1")
    again = lead.export_purposes.request(catalog.SEARCH_RESULTS.key, MEETING, 500)
    with pytest.raises(PermissionDenied, match="ご自身の依頼"):
        lead.export_purposes.decline(again)
    assert [r.id for r in lead.export_purposes.pending()] == [again]


def test_a_request_holds_counts_and_descriptions_only(city: City) -> None:
    request = city["data_analyst"].export_purposes.request_dataset("attendance_monthly",
                                                                   MEETING)
    lead = city["project_lead"]
    row = lead.store.db.call(lambda c: export_approvals.approval(c, request))
    assert row is not None
    assert row.description == "データの種類ごとの出力（出欠状況（月次））" or (
        row.description.startswith("データの種類ごとの出力（"))
    kind = default_registry().kind("attendance_monthly")
    pupils = lead.store.db.call(lambda c: export_approvals.dataset_pupils(c, kind))
    assert row.pupils == pupils and row.target == "attendance_monthly"


def test_the_threshold_counts_pupils_not_rows(city: City, tmp_path: Path) -> None:
    lead, analyst = city["project_lead"], city["data_analyst"]
    kind = default_registry().kind("attendance_monthly")
    pupils = lead.store.db.call(lambda c: export_approvals.dataset_pupils(c, kind))
    lead.export_purposes.set_threshold(pupils)
    written = analyst.records.export_dataset(kind.name, tmp_path / "ok.csv", purpose=MEETING)
    assert written.rows > pupils  # several months a pupil: rows are not pupils
    lead.export_purposes.set_threshold(pupils - 1)
    with pytest.raises(UserFacingError, match=f"{pupils:,}人分"):
        analyst.records.export_dataset(kind.name, tmp_path / "no.csv", purpose=MEETING)


def test_a_file_that_could_not_be_written_gives_its_approval_back(city: City,
                                                                  tmp_path: Path) -> None:
    city["project_lead"].export_purposes.set_threshold(1)
    export = _search(city["data_analyst"])
    request = _approved(city, 1000)
    with pytest.raises(UserFacingError):
        export(Path("/proc/self/検索結果.csv"), Purpose(approval_id=request))
    export(tmp_path / "retry.csv", Purpose(approval_id=request))
    with pytest.raises(UserFacingError, match="既に使われています"):
        export(tmp_path / "third.csv", Purpose(approval_id=request))


# -- the catalogue --------------------------------------------------------------------------

def test_every_export_must_choose_its_kind_in_the_catalogue() -> None:
    export = inspect.signature(logged_export).parameters["export"]
    assert export.default is inspect.Parameter.empty
    assert len(catalog.BY_KEY) == len(catalog.EXPORTS)
    for spec in catalog.EXPORTS:
        assert spec.needs_purpose == spec.identifiable or spec.approval_always
        assert (spec.function == "export") == spec.identifiable or spec.approval_always
    with pytest.raises(ValueError, match="needs 'export'"):
        catalog.ExportSpec("x", "x", catalog.Identifiability.IDENTIFIABLE, "export_aggregate")


def test_an_export_that_always_needs_approval_is_refused_without_one_at_any_size(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyst = city["data_analyst"]
    # (no bundled export is like this today: the research extract has its project approval)
    spec = catalog.ExportSpec("pooled", "集計前の共同利用データ", catalog.Identifiability.AGGREGATE,
                              function="export", approval_always=True)
    monkeypatch.setitem(catalog.BY_KEY, spec.key, spec)
    with pytest.raises(UserFacingError, match="承認が必要です"):
        authorize(analyst.context, spec, purpose=MEETING, pupils=1, scope="project-a")
    request = _approved(city, 5000, export=spec.key, scope="project-a")
    allowed = authorize(analyst.context, spec, purpose=Purpose(approval_id=request),
                        pupils=4000, scope="project-a")
    assert allowed.approval_id == request
    assert allowed.detail["approved_by"] == DEMO_LOGINS["project_lead"][0]
    assert allowed.detail["purpose"] == MEETING.text


# Modules that write files without ``logged_export``, each with why it writes no pupil data.
WRITERS_WITHOUT_LOG = {
    "toda_desktop/risk/alert_csv.py": "the list's format; RiskService logs each file it writes",
    "toda_desktop/risk/cli.py": "the model card: metrics of a model, no pupil",
    "toda_desktop/cli.py": "the data dictionary: generated from the registry, no pupil",
    "toda_desktop/research/files.py": "the extract's files: ResearchService.write logs them",
}
WRITERS = ("write_csv", "write_xlsx", "write_text_file", "write_list")


def test_every_module_that_writes_an_export_file_goes_through_logged_export() -> None:
    """A new export cannot skip the catalogue: a module that calls a writer must also call
    ``logged_export`` (or be listed above with why its files hold no pupil)."""
    import ast

    root = Path(__file__).resolve().parents[2]
    found = []
    for path in sorted((root / "toda_desktop").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        called = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                  for n in ast.walk(tree) if isinstance(n, ast.Call)}
        if called & set(WRITERS) and "logged_export" not in called:
            found.append(name)
    assert sorted(found) == sorted(WRITERS_WITHOUT_LOG)

"""A saved extraction is shown only to roles that may run it (issue 12, finding 13).

The review signed in as the liaison (basic and other-department data only) and saw the name
of the project lead's bullying extraction in the list. Its name says what it looks for, so a
role whose need to know does not cover every dataset it reads must not see it listed, open,
run, delete or overwrite it — through the product's Python API, as an insider would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import audit
from tests.conftest import copy_store
from tests.search.helpers import demo_sessions
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.extraction import Extraction, Group, Threshold
from toda_desktop.extraction.service import NOT_FOUND, ExtractionService

NAME = "いじめ重大事態の追跡（総括）"
BULLYING = Extraction(NAME, Group("and", (
    Threshold("bullying_records", "serious", "==", True),)))


@pytest.fixture(scope="module")
def demo(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("saved") / "d.tdb")
    with demo_sessions(path, ("project_lead", "bullying_support", "liaison")) as s:
        yield s


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Module-scoped sessions; the fixture closes them."""


@pytest.fixture(scope="module")
def saved_id(demo: dict[str, SignedIn]) -> int:
    return ExtractionService(demo["project_lead"].context).save(BULLYING).id


def _service(demo: dict[str, SignedIn], role: str) -> ExtractionService:
    return ExtractionService(demo[role].context)


def _denied(signed: SignedIn) -> list[audit.AuditEntry]:
    return signed.store.db.call(lambda c: audit.query(
        c, actor=signed.user.login_id, action="permission_denied"))


def test_the_liaison_is_not_shown_the_name_of_a_bullying_extraction(
    demo: dict[str, SignedIn], saved_id: int
) -> None:
    assert NAME not in [s.name for s in _service(demo, "liaison").saved()]
    assert saved_id not in [s.id for s in _service(demo, "liaison").saved()]
    # The roles whose need to know covers bullying data still see and run it.
    for role in ("project_lead", "bullying_support"):
        listed = {s.id: s for s in _service(demo, role).saved()}
        assert listed[saved_id].name == NAME
    assert _service(demo, "bullying_support").run_saved(saved_id).name == NAME


def test_opening_running_or_deleting_it_by_id_says_only_not_found_and_is_logged(
    demo: dict[str, SignedIn], saved_id: int
) -> None:
    liaison = _service(demo, "liaison")
    before = len(_denied(demo["liaison"]))
    for action in (liaison.get, liaison.run_saved, liaison.delete):
        with pytest.raises(PermissionDenied) as refused:
            action(saved_id)
        assert refused.value.message_ja == NOT_FOUND
        assert NAME not in str(refused.value) and "いじめ" not in refused.value.message_ja
    with pytest.raises(UserFacingError) as missing:
        liaison.get(999_999)
    assert missing.value.message_ja == NOT_FOUND  # the same words: existence is not told
    denied = _denied(demo["liaison"])[: len(_denied(demo["liaison"])) - before]
    assert [e.target for e in denied] == ["extract:bullying_records"] * 3
    assert _service(demo, "project_lead").get(saved_id).name == NAME  # not deleted


def test_saving_under_its_name_does_not_replace_it(
    demo: dict[str, SignedIn], saved_id: int
) -> None:
    mine = Extraction(NAME, Group("and", (Threshold("students", "sex", "==", "男"),)))
    with pytest.raises(PermissionDenied, match="この名前では保存できません"):
        _service(demo, "liaison").save(mine)
    kept = _service(demo, "project_lead").get(saved_id)
    assert kept.extraction == BULLYING and kept.updated_by == demo["project_lead"].user.login_id
    assert _denied(demo["liaison"])[0].target == "extraction_save:bullying_records"
    # A name no hidden extraction uses is the liaison's to save, list and delete.
    own = _service(demo, "liaison").save(Extraction("男子の一覧", mine.root))
    assert own.name in [s.name for s in _service(demo, "liaison").saved()]
    _service(demo, "liaison").delete(own.id)

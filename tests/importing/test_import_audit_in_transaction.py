"""An import's 取込 entry (and a rollback's 取込の取消 entry) commits with its batch.

Found in the review (issue 12, finding 5): a process killed after an import's commit left a
144,486-row batch with no 取込 entry, because the entry was written afterwards in a
transaction of its own. A real process is killed right after the COMMIT here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.importing.test_import_safety import STUDENTS
from toda_desktop.composition import Application, SignedIn
from toda_desktop.store_setup import create_empty_store

ROOT = Path(__file__).resolve().parents[2]

# The child wraps the import service's transaction: once it has committed, the child says
# so and waits to be killed, before anything after the commit can run.
CHILD = """
    import contextlib, sys, time
    sys.path.insert(0, {root!r})
    from pathlib import Path
    import toda_desktop.importing.service as service
    from toda_desktop.composition import Application

    real = service.transaction

    @contextlib.contextmanager
    def then_stop(conn):
        with real(conn) as inner:
            yield inner
        print("COMMITTED", flush=True)
        time.sleep(60)

    app = Application(Path({store!r}))
    signed = app.sign_in({login!r}, {password!r})
    service.transaction = then_stop
    {action}
"""
IMPORT = ("signed.importing.commit("
          "signed.importing.preview(signed.importing.inspect(Path({file!r}))))")
ROLLBACK = "signed.importing.rollback(signed.importing.batches()[0].id)"


def _killed_right_after_commit(store_path: Path, action: str) -> None:
    script = textwrap.dedent(CHILD).format(root=str(ROOT), store=str(store_path),
                                           login=LEAD_LOGIN, password=LEAD_PASSWORD,
                                           action=action)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             text=True, cwd=ROOT)
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "COMMITTED", line
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


def _entries(signed: SignedIn, action: str) -> list[dict[str, object]]:
    rows = signed.store.db.call(lambda c: c.execute(
        "SELECT detail FROM audit_log WHERE action = ? ORDER BY id", (action,)).fetchall())
    return [json.loads(str(r[0])) for r in rows]


@pytest.fixture
def students(store_path: Path, tmp_path: Path) -> Path:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    path = tmp_path / "students.csv"
    path.write_text(STUDENTS, encoding="utf-8")
    return path


def test_a_process_killed_right_after_an_imports_commit_leaves_its_entry(
    store_path: Path, students: Path
) -> None:
    _killed_right_after_commit(store_path, IMPORT.format(file=str(students)))
    app = Application(store_path)
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    try:
        batches = signed.importing.batches()
        assert [b.row_count for b in batches] == [300]
        logged = _entries(signed, "import")
        assert [e["batch_id"] for e in logged] == [batches[0].id]
        assert logged[0]["inserted"] == 300
        assert signed.audit_view.verify().ok  # the anchor left behind is caught up
    finally:
        app.close()


def test_a_process_killed_right_after_a_rollbacks_commit_leaves_its_entry(
    store_path: Path, students: Path
) -> None:
    app = Application(store_path)
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    signed.importing.commit(signed.importing.preview(signed.importing.inspect(students)))
    app.close()
    _killed_right_after_commit(store_path, ROLLBACK)
    app = Application(store_path)
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    try:
        assert [b.status for b in signed.importing.batches()] == ["rolled_back"]
        assert [e["removed"] for e in _entries(signed, "import_rollback")] == [{"students": 300}]
        assert signed.audit_view.verify().ok
    finally:
        app.close()


def test_an_import_that_fails_before_its_commit_leaves_neither_batch_nor_entry(
    store_path: Path, students: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry is inside the transaction: when the commit does not happen, no 取込 entry
    claims a batch that does not exist."""
    import toda_desktop.importing.service as service

    app = Application(store_path)
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    try:
        preview = signed.importing.preview(signed.importing.inspect(students))

        def refuse(*_args: object, **_kwargs: object) -> int:
            raise RuntimeError("the disk went away")

        monkeypatch.setattr(service.batches, "set_row_count", refuse)
        with pytest.raises(RuntimeError):
            signed.importing.commit(preview)
        monkeypatch.undo()
        assert signed.importing.batches() == []
        assert _entries(signed, "import") == []
        assert signed.audit_view.verify().ok
    finally:
        app.close()

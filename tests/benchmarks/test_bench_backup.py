"""Backup of the full demo city beside a plain file copy of the same files (issue 13).

The backup exports every file from a snapshot (``sqlcipher_export``: decrypt, re-encrypt),
verifies each copy (SQLCipher's page check and SQLite's integrity check) and hashes it; the
baseline copies the same files byte for byte (``shutil.copyfile``) with nothing checked.
Goal: the backup under 3× the plain copy's time. Sizes are printed beside.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_backup.py``
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest

from storage import backup
from storage.store import Store
from tests.conftest import TEST_SCRYPT_N
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD, create_demo_store

GOAL_RATIO = 3.0
RUNS = 3


def _files(store: Store) -> list[Path]:
    sources = backup.backup_sources(store.path, store.keyfile, store.registry, store.keys)
    beside = [store.path.with_name(store.path.name + s) for s in (".keys", ".audit-head",
                                                                   ".signin")]
    return [s.path for s in sources] + [p for p in beside if p.exists()]


def _plain_copy(files: list[Path], folder: Path) -> None:
    folder.mkdir()
    for file in files:
        shutil.copyfile(file, folder / file.name)


def test_backup_of_the_full_demo_city_against_a_plain_copy(tmp_path: Path) -> None:
    path = tmp_path / "city" / "demo.tdb"
    create_demo_store(path, seed=1, scrypt_n=TEST_SCRYPT_N).store.close()
    lead_login = DEMO_LOGINS["project_lead"][0]
    with Store.open(path, lead_login, DEMO_PASSWORD) as store:
        files = _files(store)
        store_bytes = sum(f.stat().st_size for f in files)
        copies, backups = [], []
        for run in range(RUNS):
            start = time.perf_counter()
            _plain_copy(files, tmp_path / f"plain-{run}")
            copies.append(time.perf_counter() - start)
            start = time.perf_counter()
            info = backup.create_backup(
                store.path, store.keys, store.registry, tmp_path / "backups",
                now=datetime(2026, 6, 1, 9, 0, run), keep=RUNS)
            backups.append(time.perf_counter() - start)
        keys = {s.name: s.key for s in backup.backup_sources(
            store.path, store.keyfile, store.registry, store.keys)}
    start = time.perf_counter()  # the verification alone, one file after another
    for name, key in keys.items():
        assert backup.check_file(info.path / name, key) == []
    verify_s = time.perf_counter() - start
    copy_s, backup_s = min(copies), min(backups)
    ratio = backup_s / copy_s
    print(f"\n[benchmark] backup of the full demo city: {backup_s * 1000:.0f} ms, "
          f"{info.size / 2**20:.1f} MiB in {len(info.files)} files; plain copy of the "
          f"store's files: {copy_s * 1000:.0f} ms, {store_bytes / 2**20:.1f} MiB; "
          f"ratio {ratio:.2f}x (goal < {GOAL_RATIO:.0f}x); of which the checks of the "
          f"copies (cipher_integrity_check + integrity_check, serially) {verify_s * 1000:.0f} ms")
    assert info.verified
    if ratio >= GOAL_RATIO:
        pytest.fail(f"backup took {ratio:.2f}x the plain copy (goal < {GOAL_RATIO}x)")

"""Shared fixtures: fresh encrypted stores per test, no leaked threads, no network."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.group_files import group_files_beside
from storage.store import Store
from toda_desktop.store_setup import DEMO_PASSWORD, create_demo_store, create_empty_store

# Key derivation cost for test stores: the real cost (2**17) is tested once, explicitly.
TEST_SCRYPT_N = 2**10
LEAD_LOGIN = "lead"
LEAD_PASSWORD = "correct horse battery staple"
STORE_SUFFIXES = ("", ".keys", ".audit-head", ".signin")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The product works offline: any attempt to connect is a bug."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("tests must not open network connections")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """A test that leaves a database or worker thread running fails (they crash later)."""
    before = set(threading.enumerate())
    yield
    leaked = [
        t for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.daemon
    ]
    for t in leaked:
        t.join(timeout=2)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"threads left running: {still}"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "city.tdb"


@pytest.fixture
def test_store(store_path: Path) -> Iterator[Store]:
    """An empty test-kind store with the project lead as its only account."""
    created = create_empty_store(
        store_path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=TEST_SCRYPT_N
    )
    yield created.store
    created.store.close()


def copy_store(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in STORE_SUFFIXES:
        src = source.with_name(source.name + suffix)
        if src.exists():
            shutil.copyfile(src, target.with_name(target.name + suffix))
    for group_file in group_files_beside(source):  # one file per key group (issue 12)
        shutil.copyfile(group_file, target.with_name(target.name + group_file.name[
            len(source.name):]))
    return target


@pytest.fixture(scope="session")
def _demo_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-template") / "demo.tdb"
    created = create_demo_store(path, seed=7, small=True, scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    return path


@pytest.fixture
def demo_store_path(_demo_store_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a small demo city (accounts: see store_setup.DEMO_LOGINS)."""
    return copy_store(_demo_store_template, tmp_path / "demo" / "demo.tdb")


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD

"""The store's public facts, read before sign-in without its key.

Its own small module (no service, no pandas) so that the window can show the login screen
before the services are imported (issue 16, start-up); the composition root uses it too.
"""

from __future__ import annotations

from pathlib import Path

from kernel.store_kind import StoreKind
from storage.errors import StoreError
from storage.store import Store
from toda_desktop.errors import UserFacingError
from toda_desktop.models import DemoAccount, StoreHeader


def read_header(store_path: Path) -> StoreHeader:
    """The store's public facts, readable without a key; raises UserFacingError."""
    try:
        keyfile = Store.read_keyfile(store_path)
    except StoreError as exc:
        raise UserFacingError.from_store(exc) from None
    demo = tuple(
        DemoAccount(
            login_id=a["login_id"],
            password=a["password"],
            display_name=a["display_name"],
            role_label=a["role_label"],
        )
        for a in keyfile.demo_accounts
    ) if keyfile.store_kind == StoreKind.DEMO else ()
    return StoreHeader(path=str(store_path), store_kind=keyfile.store_kind, demo_accounts=demo)

"""Finding 2: the IT administrator never reaches a data key through its own functions.

An insider holds the IT administrator's password and runs the account administration in many
orders (create a project-lead account, reset the lead's password, swap the lead's palm, widen
roles, disable and re-enable, reset itself, try to complete grants), while the real lead and
the real owners do their part (own password changes, completing grants). After every step,
every password the insider knows, tried with the product's own ``Store.open`` on the current
key file and on every copy of the key file the insider took, yields no data group.
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
from collections.abc import Callable, Iterator
from itertools import permutations
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage.errors import StoreError
from storage.keys import KeyFile, _checksum
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N, copy_store
from tests.services.test_sign_in import WallClock
from toda_desktop.accounts.recovery_grants import give_keys_with_recovery_key
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.store_setup import create_empty_store

IT_LOGIN, IT_PASSWORD = "it-admin", "insider knows this one 1"
STAFF = {"liaison": "liaison", "analyst": "data_analyst"}  # login -> role
OWN = "{login} own secret passphrase"  # what an owner chooses; the insider never sees it
SET_BY_LEAD = "set by the lead 2026 x"


class World:
    """A test store, the insider's knowledge, and the real people's passwords."""

    def __init__(self, path: Path, recovery_key: str) -> None:
        self.path = path
        self.recovery_key = recovery_key  # on paper with the lead, never with the insider
        sim = Simulator(SimulatorConfig(seed=5, timeout_s=5), clock=FakeClock())
        self.sim = sim

        def factory(store_kind: str) -> Scanner:
            require_real_scanner_for(store_kind, sim)
            return sim

        self.app = Application(path, scanner_factory=factory, clock=WallClock())
        self.known: dict[str, set[str]] = {IT_LOGIN: {IT_PASSWORD}}  # the insider's knowledge
        self.real = {LEAD_LOGIN: LEAD_PASSWORD, IT_LOGIN: IT_PASSWORD,
                     **{login: OWN.format(login=login) for login in STAFF}}
        self.snapshots: list[str] = []
        self.counter = 0

    def secret(self) -> str:
        self.counter += 1
        return f"insider chosen password {self.counter}"

    @contextlib.contextmanager
    def session(self, login: str) -> Iterator[SignedIn]:
        try:
            signed = self.app.sign_in(login, self.real[login])
        except SignInError:
            # The insider swapped this palm: the help desk revokes it and the lead, an
            # administrator, enrolls the own palm again at sign-in.
            with self.session(IT_LOGIN) as it:
                it.account_admin.revoke_palm(login)
            signed = self.app.sign_in(login, self.real[login])
        try:
            yield signed
        finally:
            signed.sign_out()

    def snapshot(self) -> None:
        self.snapshots.append(KeyFile.path_for(self.path).read_text(encoding="utf-8"))


def _build(path: Path) -> str:
    created = create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    world = World(path, created.recovery_key)
    with world.session(LEAD_LOGIN) as lead:
        lead.account_admin.create(IT_LOGIN, "情報 太郎", "it_admin", IT_PASSWORD)
        for login, role in STAFF.items():
            lead.account_admin.create(login, f"{login} 花子", role, SET_BY_LEAD)
    for login in STAFF:  # each owner replaces the first password with their own
        with Store.open(path, login, SET_BY_LEAD) as store:
            store.change_own_password(login, SET_BY_LEAD, OWN.format(login=login))
    return created.recovery_key


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("insider") / "city.tdb"
    return path, _build(path)


def _world(template: tuple[Path, str], tmp_path: Path) -> World:
    return World(copy_store(template[0], tmp_path / "city.tdb"), template[1])


# -- the insider's steps ---------------------------------------------------------------------


def create_lead(w: World) -> None:
    password = w.secret()
    with w.session(IT_LOGIN) as it:
        it.account_admin.create("mallory", "偽 総括", "project_lead", password)
    w.known["mallory"] = {password}
    w.real["mallory"] = password


def reset_lead(w: World) -> None:
    password = w.secret()
    with w.session(IT_LOGIN) as it:
        it.account_admin.reset_password(LEAD_LOGIN, password)
    w.known.setdefault(LEAD_LOGIN, set()).add(password)
    w.real[LEAD_LOGIN] = password  # the lead is told the new password by the insider


def palm_swap(w: World) -> None:
    with w.session(IT_LOGIN) as it:
        it.account_admin.revoke_palm(LEAD_LOGIN)
        w.sim.push("; ".join([f"SCAN {IT_LOGIN}-other-hand"] * 3))
        with contextlib.suppress(UserFacingError):
            it.account_admin.enroll_palm(LEAD_LOGIN)


def widen_roles(w: World) -> None:
    with w.session(IT_LOGIN) as it:
        it.account_admin.change_role("liaison", "project_lead")
        if "mallory" in w.real:
            it.account_admin.change_role("mallory", "director")
        with contextlib.suppress(UserFacingError):
            it.account_admin.change_role(IT_LOGIN, "project_lead")  # refused: itself


def disable_enable(w: World) -> None:
    password = w.secret()
    with w.session(IT_LOGIN) as it:
        it.account_admin.set_enabled("analyst", False)
        it.account_admin.set_enabled("analyst", True, password)
    w.known.setdefault("analyst", set()).add(password)
    w.real["analyst"] = password


def reset_self(w: World) -> None:
    password = w.secret()
    with w.session(IT_LOGIN) as it:
        it.account_admin.reset_password(IT_LOGIN, password)
    w.known[IT_LOGIN].add(password)
    w.real[IT_LOGIN] = password


def it_completes(w: World) -> None:
    with w.session(IT_LOGIN) as it:
        for pending in it.account_admin.pending_grants():
            assert not pending.can_complete
            with pytest.raises(UserFacingError):
                it.account_admin.complete_grants(pending.login_id)
        due = it.account_admin.rotations_due()
        if due:  # only a holder renews a key: refused, nothing renewed
            with pytest.raises(UserFacingError):
                it.account_admin.complete_rotations()
            assert it.account_admin.rotations_due() == due
        else:
            assert it.account_admin.complete_rotations() == ()
        it.account_admin.unlock(LEAD_LOGIN)


def owners_change(w: World) -> None:
    """The real owners of passwords the insider set choose their own (not mallory: the
    insider's own invention has no other owner); a lead left without keys regains them
    with the recovery key."""
    for login in [LEAD_LOGIN, "analyst"]:
        current = w.real[login]
        if current in w.known.get(login, set()):
            with Store.open(w.path, login, current) as store:
                store.change_own_password(login, current, OWN.format(login=login) + "!")
            w.real[login] = OWN.format(login=login) + "!"
    with Store.open(w.path, LEAD_LOGIN, w.real[LEAD_LOGIN]) as store:
        lead_holds_nothing = not store.keys.groups
    if lead_holds_nothing and w.real[LEAD_LOGIN] not in w.known.get(LEAD_LOGIN, set()):
        assert give_keys_with_recovery_key(w.path, w.recovery_key, LEAD_LOGIN)


def lead_completes(w: World) -> None:
    with w.session(LEAD_LOGIN) as lead:
        for pending in lead.account_admin.pending_grants():
            with contextlib.suppress(UserFacingError):
                lead.account_admin.complete_grants(pending.login_id)
        with contextlib.suppress(UserFacingError):  # a lead left without keys renews none
            lead.account_admin.complete_rotations()


STEPS: dict[str, Callable[[World], None]] = {
    f.__name__: f for f in (create_lead, reset_lead, palm_swap, widen_roles, disable_enable,
                            reset_self, it_completes, owners_change, lead_completes)
}


def _orders() -> list[tuple[str, ...]]:
    names = tuple(STEPS)
    sample = random.Random(12).sample(list(permutations(names)), 10)
    return [names, names[::-1], *sample]


def _insider_groups(w: World) -> set[str]:
    """Every data group any known password opens, now or in any copied key file."""
    found: set[str] = set()
    files = [KeyFile.path_for(w.path).read_text(encoding="utf-8"), *w.snapshots]
    scratch = w.path.with_name("insider-copy.tdb")
    shutil.copyfile(w.path, scratch)
    for text in files:
        KeyFile.path_for(scratch).write_text(text, encoding="utf-8")
        for login, passwords in w.known.items():
            for password in passwords:
                try:
                    held = KeyFile.load(scratch).unlock(login, password)
                except StoreError:
                    continue
                found.update(held.groups)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("order", _orders(), ids=lambda o: "-".join(s[:6] for s in o))
def test_no_order_of_the_it_administrators_steps_reaches_a_data_key(
    _template: tuple[Path, str], tmp_path: Path, order: tuple[str, ...]
) -> None:
    w = _world(_template, tmp_path)
    assert _insider_groups(w) == set()
    for step in order:
        STEPS[step](w)
        w.snapshot()
        assert _insider_groups(w) == set(), f"after {step}"
    # The real people still get their keys back through the lead where allowed.
    lead_completes(w)
    assert _insider_groups(w) == set()


def test_an_old_key_pair_spliced_with_new_grants_opens_nothing(
    _template: tuple[Path, str], tmp_path: Path
) -> None:
    """The insider keeps the entry it made when re-enabling the analyst; after the owner's
    own change and the lead's grants, it pastes its old private wrap beside the new grants."""
    w = _world(_template, tmp_path)
    disable_enable(w)
    old = json.loads(KeyFile.path_for(w.path).read_text(encoding="utf-8"))
    owners_change(w)
    lead_completes(w)
    with Store.open(w.path, "analyst", w.real["analyst"]) as store:
        assert store.keys.groups  # the real analyst has the data keys again
    keys_path = KeyFile.path_for(w.path)
    slot = KeyFile.load(w.path).account_slot("analyst")
    new = json.loads(keys_path.read_text(encoding="utf-8"))
    spliced = {**old["accounts"][slot], "grants": new["accounts"][slot]["grants"]}
    spliced["check"] = _checksum({k: v for k, v in spliced.items() if k != "check"})
    new["accounts"][slot] = spliced
    keys_path.write_text(json.dumps(new), encoding="utf-8")
    (password,) = w.known["analyst"]
    with pytest.raises(StoreError):
        KeyFile.load(w.path).unlock("analyst", password)

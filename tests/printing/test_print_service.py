"""The print service on a small demo city: who may print, serials, the log and the register."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlcipher3

from storage import audit
from storage.audit_seal import Opener, reader_privates
from storage.key_groups import AUDIT_READER_GROUP
from storage.repos import leavers
from storage.store import Store
from tests.printing.helpers import MovingClock, sheet, sign_in
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.printing.printers import is_virtual_printer
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

MEETING = Purpose("ケース会議の資料", "12月10日")
START = datetime(2026, 12, 7, 9, 0)


def _audit(signed, action: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """The entries of ``action``, oldest first, opened with the lead's audit reader key (an
    entry naming a pupil is sealed: ``storage.audit_seal``)."""
    with Store.open(signed.store.path, DEMO_LOGINS["project_lead"][0], DEMO_PASSWORD) as lead:
        privates = lead.db.call(reader_privates, kind=AUDIT_READER_GROUP)
    opener = Opener(privates, signed.store.db.call(audit.store_id))
    rows = signed.store.db.call(lambda c: audit.query(c, action=action, opener=opener))
    return [{"detail": json.loads(e.detail) if e.detail else {}, "outcome": e.outcome,
             "pupil_id": e.pupil_id} for e in reversed(rows)]


def _pupils(signed, n: int) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    former = signed.store.db.call(lambda c: {x.pupil_id for x in leavers.iter_leavers(c)})
    ids = signed.store.db.call(lambda c: [int(r[0]) for r in c.execute(
        "SELECT id FROM ds_students ORDER BY id LIMIT 200")])
    return tuple(i for i in ids if i not in former)[:n]


def test_serials_count_up_and_a_voided_preview_keeps_its_number(demo_store_path: Path) -> None:
    clock = MovingClock(START)
    lead = sign_in(demo_store_path, "project_lead", clock)
    try:
        service = lead.printing
        first = service.reserve(sheet(), MEETING)
        service.voided(first)
        second = service.reserve(sheet(), MEETING)
        service.printed(second, 2, printer="RICOH IM C3000")
        third = service.reserve(sheet(), MEETING)
        assert [s.serial for s in (first, second, third)] == [
            "TODA-2026-000001", "TODA-2026-000002", "TODA-2026-000003"]
        assert re.fullmatch(r"TODA-\d{4}-\d{6}", third.serial)
        assert second.return_by == START.date().replace(day=21)  # 14 days by default
        shown = {e.serial: e.status for e in service.register(with_voided=True).entries}
        assert shown == {first.serial: "voided", second.serial: "outstanding"}
        assert [e.serial for e in service.register().entries] == [second.serial]
        # A preview never closed (the screen locked) is voided when the next one starts.
        fourth = service.reserve(sheet(), MEETING)
        states = {e.serial: e.status for e in service.register(with_voided=True).entries}
        assert states[third.serial] == "voided" and fourth.serial == "TODA-2026-000004"
        logged = _audit(lead, "print")[-1]["detail"]
        assert logged["serial"] == second.serial and logged["pages"] == 2
        assert logged["content_digest"] == sheet().digest()
        assert logged["purpose"] == "ケース会議の資料（12月10日）"
    finally:
        lead.sign_out()


def test_a_role_without_print_is_refused_and_the_refusal_logged(demo_store_path: Path) -> None:
    liaison = sign_in(demo_store_path, "liaison", MovingClock(START))
    try:
        with pytest.raises(PermissionDenied):
            liaison.printing.reserve(sheet(), MEETING)
        denied = _audit(liaison, "permission_denied")
        assert denied and denied[-1]["outcome"] == "denied"
    finally:
        liaison.sign_out()


def test_truancy_and_bullying_support_may_print_but_not_save_a_pdf(demo_store_path: Path
                                                                    ) -> None:
    clock = MovingClock(START)
    for role in ("truancy_support", "bullying_support"):
        signed = sign_in(demo_store_path, role, clock)
        try:
            slip = signed.printing.reserve(sheet(_pupils(signed, 1)), MEETING)
            with pytest.raises(PermissionDenied):
                signed.printing.printed(slip, 1, destination="pdf")
            signed.printing.printed(slip, 1, printer="Canon iR-ADV C5535")
        finally:
            signed.sign_out()


def test_a_purpose_from_the_list_is_required(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", MovingClock(START))
    try:
        with pytest.raises(UserFacingError):
            lead.printing.reserve(sheet(), Purpose(""))
        with pytest.raises(UserFacingError):
            lead.printing.reserve(sheet(), Purpose("思いつきの目的"))
        with pytest.raises(UserFacingError):
            lead.printing.reserve(sheet(), Purpose("その他", ""))
    finally:
        lead.sign_out()


def test_a_former_pupil_is_printed_only_by_roles_that_may_see_former_pupils(
        demo_store_path: Path) -> None:
    clock = MovingClock(START)
    director = sign_in(demo_store_path, "director", clock)  # print, former_pupils = false
    try:
        former = director.store.db.call(lambda c: next(leavers.iter_leavers(c)).pupil_id)
        with pytest.raises(PermissionDenied):
            director.printing.reserve(sheet((former,)), MEETING)
        refused = _audit(director, "print_refused")[-1]
        assert refused["detail"]["reason"] == "former_pupil"
        assert refused["pupil_id"] == former
        with pytest.raises(UserFacingError):
            director.printing.reserve(sheet((10**9,)), MEETING)  # no such pupil
    finally:
        director.sign_out()
    truancy = sign_in(demo_store_path, "truancy_support", clock)  # former_pupils = true
    try:
        truancy.printing.reserve(sheet((former,)), MEETING)
    finally:
        truancy.sign_out()


@pytest.mark.parametrize("name", [
    "Microsoft Print to PDF", "Microsoft XPS Document Writer", "CUPS-PDF", "PDF",
    "Adobe PDF", "OneNote for Windows 10", "Send To OneNote 2016", "Fax", "FAX (Brother)",
    "Print to File (PDF)",
])
def test_virtual_printers_are_known_by_name(name: str) -> None:
    assert is_virtual_printer(name)


@pytest.mark.parametrize("name", [
    "RICOH IM C3000", "Canon iR-ADV C5535 (教育政策室)", "imageRUNNER ADVANCE DX",
    "FUJIFILM Apeos C3070", "EPSON LP-S3290", "Brother MFC-L8610CDW", "SHARP MX-3661",
])
def test_office_printers_are_not_taken_for_virtual_ones(name: str) -> None:
    assert not is_virtual_printer(name)


def test_a_virtual_printer_is_refused_and_the_sheet_stays_unprinted(demo_store_path: Path
                                                                     ) -> None:
    lead = sign_in(demo_store_path, "project_lead", MovingClock(START))
    try:
        slip = lead.printing.reserve(sheet(), MEETING)
        with pytest.raises(UserFacingError, match="仮想プリンター"):
            lead.printing.printed(slip, 1, printer="Microsoft Print to PDF")
        assert _audit(lead, "print_refused")[-1]["detail"]["reason"] == "virtual_printer"
        assert not lead.printing.register().entries
        lead.printing.printed(slip, 1, destination="pdf")  # the product's own PDF: logged
        assert lead.printing.register().entries[0].destination == "pdf"
    finally:
        lead.sign_out()


def test_ticks_keep_their_history_and_the_lead_sees_overdue_sheets(demo_store_path: Path
                                                                    ) -> None:
    clock = MovingClock(START)
    truancy = sign_in(demo_store_path, "truancy_support", clock)
    try:
        kept = truancy.printing.reserve(sheet(_pupils(truancy, 2)), MEETING)
        truancy.printing.printed(kept, 3, printer="RICOH IM C3000")
        back = truancy.printing.reserve(sheet(_pupils(truancy, 1)), MEETING)
        truancy.printing.printed(back, 1, printer="RICOH IM C3000")
        clock.advance(days=2)
        truancy.printing.mark(back.serial, "returned")
        clock.advance(days=1)
        truancy.printing.mark(back.serial, "shredded")
        with pytest.raises(UserFacingError):
            truancy.printing.mark(back.serial, "returned")  # no way back
        history = truancy.printing.history(back.serial)
        assert [e.status for e in history] == ["reserved", "outstanding", "returned",
                                               "shredded"]
        assert history[2].at == datetime(2026, 12, 9, 9, 0)
        assert [d["detail"]["serial"] for d in _audit(truancy, "print_returned")] == [
            back.serial]
        printed = {d["detail"]["serial"]: d["pupil_id"] for d in _audit(truancy, "print")}
        assert printed[back.serial] == _pupils(truancy, 1)[0]  # one pupil: named by number
        assert printed[kept.serial] is None  # two: counted only
        with pytest.raises(PermissionDenied):
            truancy.printing.register(everyone=True)
    finally:
        truancy.sign_out()
    clock.advance(days=14)
    bullying = sign_in(demo_store_path, "bullying_support", clock)
    try:
        assert bullying.printing.register().entries == []  # only one's own sheets
        with pytest.raises(PermissionDenied):
            bullying.printing.mark(kept.serial, "returned")
    finally:
        bullying.sign_out()
    lead = sign_in(demo_store_path, "project_lead", clock)
    try:
        register = lead.printing.register(everyone=True)
        overdue = {e.serial for e in register.entries if e.overdue}
        assert overdue == {kept.serial} and register.overdue == 1
        assert lead.printing.overdue_count() == 1
        lead.printing.mark(kept.serial, "returned")  # the lead may record it
        assert lead.printing.overdue_count() == 0
    finally:
        lead.sign_out()


def test_an_insider_with_a_roles_keys_finds_no_pupil_names_in_the_print_log(
        demo_store_path: Path) -> None:
    clock = MovingClock(START)
    truancy = sign_in(demo_store_path, "truancy_support", clock)
    try:
        pupils = _pupils(truancy, 3)
        names = truancy.store.db.call(lambda c: [str(r[0]) for r in c.execute(
            f"SELECT name FROM ds_students WHERE id IN ({','.join('?' * len(pupils))})",
            pupils)])
        kana = truancy.store.db.call(lambda c: [str(r[0]) for r in c.execute(
            f"SELECT name_kana FROM ds_students WHERE id IN ({','.join('?' * len(pupils))})",
            pupils)])
        slip = truancy.printing.reserve(sheet(pupils, text="、".join(names)), MEETING)
        truancy.printing.printed(slip, 1, printer="RICOH IM C3000")
        truancy.printing.mark(slip.serial, "returned")
    finally:
        truancy.sign_out()
    with Store.open(demo_store_path, DEMO_LOGINS["truancy_support"][0], DEMO_PASSWORD) as s:
        key = s.keys.system
    conn = sqlcipher3.connect(str(demo_store_path))
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        text = " ".join(str(v) for table in ("print_log", "print_log_events")
                        for row in conn.execute(f"SELECT * FROM {table}") for v in row)
        audit = " ".join(str(r[0]) for r in conn.execute(
            "SELECT detail FROM audit_log WHERE action LIKE 'print%'"))
    finally:
        conn.close()
    assert slip.serial in text and slip.serial in audit
    for word in [*names, *kana, *(n.split()[0] for n in names)]:
        assert word not in text and word not in audit

"""What a caller states for an identifiable export, and the rules on its words."""

from __future__ import annotations

from dataclasses import dataclass

from toda_desktop.errors import UserFacingError
from toda_desktop.text_input import require_valid_text

OTHER = "その他"  # the choice that needs free text
MAX_NOTE = 200  # characters: a sentence or two, not a document
MAX_LABEL = 60
DEFAULT_THRESHOLD = 100  # pupils: above this an identifiable export needs the lead's approval


@dataclass(frozen=True)
class Purpose:
    """An entry of the lead's list (or ``OTHER``) and free text beside it; with an approval,
    the choice may be left empty (the approved purpose is used)."""

    choice: str = ""
    note: str = ""
    approval_id: int | None = None

    @property
    def text(self) -> str:
        """The words the audit entry and a request keep: 「ケース会議の資料（12月10日）」."""
        choice, note = self.choice.strip(), " ".join(self.note.split())
        if choice == OTHER:
            return f"{OTHER}：{note}"
        return f"{choice}（{note}）" if note else choice


def clean_note(note: str) -> str:
    note = " ".join(require_valid_text(note, "目的の補足").split())
    if len(note) > MAX_NOTE:
        raise UserFacingError(f"目的の補足は{MAX_NOTE}字以内で入力してください。")
    return note


def clean_label(label: str) -> str:
    label = " ".join(require_valid_text(label, "出力の目的").split())
    if not label:
        raise UserFacingError("出力の目的を入力してください。")
    if len(label) > MAX_LABEL:
        raise UserFacingError(f"出力の目的は{MAX_LABEL}字以内で入力してください。")
    if label == OTHER:
        raise UserFacingError(f"「{OTHER}」は自由記述用に必ず表示されるため、追加できません。")
    return label


def validated(purpose: Purpose, entries: list[str]) -> Purpose:
    """The purpose with its words checked against the lead's list (a Japanese refusal that
    names the choices otherwise)."""
    choice, note = purpose.choice.strip(), clean_note(purpose.note)
    if choice == OTHER:
        if not note:
            raise UserFacingError(
                f"目的に「{OTHER}」を選んだときは、具体的な目的を書いてください。")
    elif choice not in entries:
        choices = "、".join(f"「{e}」" for e in [*entries, OTHER])
        raise UserFacingError(f"出力の目的「{choice}」は一覧にありません。次から選んでください: "
                              f"{choices}")
    return Purpose(choice, note, purpose.approval_id)

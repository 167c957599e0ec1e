"""削除 of a condition or a group in the 抽出 builder: asked first (a condition was lost to
one slip of the mouse, issue 16), then 「元に戻す」 puts it back where it was."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ui.dialogs import confirm
from ui.extraction.builder import Builder
from ui.extraction.tree import ConditionRow, GroupBox


def ask_delete(parent: QWidget, builder: Builder, group: GroupBox,
               child: ConditionRow | GroupBox) -> QMessageBox:
    """Ask before ``child`` leaves ``group``; once it has, offer 「元に戻す」."""
    if isinstance(child, ConditionRow):
        what, text = "条件", f"条件「{child.description}」を削除しますか？"
    else:
        n = len(child.rows())
        what, text = "グループ", f"このグループを中の条件（{n}件）ごと削除しますか？"

    def remove() -> None:
        taken = group.take_child(child)
        if taken is not None:
            index, node = taken
            builder.offer_undo(f"{what}を削除しました。", lambda: group.restore(index, node))

    return confirm(parent, f"{what}の削除", text, remove, yes_text="削除する",
                   informative="削除した後も「元に戻す」で戻せます。"
                               "保存した抽出条件は、保存し直すまで変わりません。")

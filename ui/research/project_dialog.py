"""研究プロジェクトの登録: a name and the project's purpose; the service makes its key."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget

from ui.dialogs import FormDialog


class ProjectDialog(FormDialog):
    def __init__(self, lead: bool, parent: QWidget | None = None) -> None:
        approval = ("登録すると、あなたの承認で作成できます。" if lead else
                    "登録後、事業全体総括職員の承認を受けてから作成できます。")
        super().__init__(
            "研究プロジェクトの登録", "登録", parent,
            intro="研究プロジェクトごとに専用の鍵を作り、児童生徒を仮名IDにします。"
            "別のプロジェクトの研究用データとは結合できません。" + approval)
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(60)
        self.name_edit.setPlaceholderText("例: 不登校の要因に関する共同研究2026")
        self.purpose_edit = QPlainTextEdit()
        self.purpose_edit.setPlaceholderText("例: 大学との共同研究（研究計画書 第3版）")
        self.purpose_edit.setFixedHeight(72)
        self.form.addRow("プロジェクト名", self.name_edit)
        self.form.addRow("利用目的", self.purpose_edit)

    def problem(self) -> str | None:
        if not self.name_edit.text().strip():
            return "プロジェクト名を入力してください。"
        if not self.purpose_edit.toPlainText().strip():
            return "利用目的を入力してください。"
        return None

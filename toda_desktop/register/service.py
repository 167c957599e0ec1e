"""The 個人情報ファイル簿 for the project lead (権限設定) and administrators: shown and exported.

The map used is the one saved in the store (what applies from the next sign-in), so a change
in 権限設定 shows in the next register. The register holds no personal data, but writing it
is still an export: it goes through ``logged_export`` (logged before the file exists, never
over an existing file unless asked) in Excel, CSV or Markdown.
"""

from __future__ import annotations

from pathlib import Path

from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import ExportResult, write_csv, write_text_file, write_xlsx
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose.catalog import PERSONAL_INFO_REGISTER
from toda_desktop.policy.service import store_policy
from toda_desktop.register.model import (
    HEADER,
    Register,
    build_register,
    register_rows,
    render_markdown,
)
from toda_desktop.register.settings import default_settings

FORMATS = (".xlsx", ".csv", ".md")
TARGET = "personal_info_register"
SHEET = "個人情報ファイル簿"


class RegisterService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def _require(self) -> None:
        """The lead (権限設定) or an administrator; a refusal is logged."""
        gate = self._ctx.gate
        gate.require("policy_edit" if gate.may("policy_edit") else "admin")

    def register(self) -> Register:
        self._require()
        ctx = self._ctx
        return build_register(ctx.registry, store_policy(ctx.db), default_settings(),
                              ctx.now().date())

    def export(self, path: Path, *, overwrite: bool = False) -> ExportResult:
        """Write the register as .xlsx, .csv (UTF-8 with BOM) or .md; logged."""
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise UserFacingError("個人情報ファイル簿の出力先は .xlsx、.csv または .md で"
                                  "終わる名前にしてください（形式を決めます）。")
        register = self.register()
        rows = register_rows(register)

        def write() -> ExportResult:
            if suffix == ".xlsx":
                return write_xlsx(path, HEADER, rows, sheet=SHEET, overwrite=overwrite)
            if suffix == ".csv":
                return write_csv(path, HEADER, rows, overwrite=overwrite)
            write_text_file(path, render_markdown(register), overwrite=overwrite)
            return ExportResult(path, len(rows), 0)

        return logged_export(self._ctx, PERSONAL_INFO_REGISTER, target=TARGET, path=path,
                             rows=len(rows), write=write, overwrite=overwrite)

"""Every kind of export file the product writes, and whether it identifies pupils: declared
here, in one place. ``logged_export`` takes one of these (no default), so a new export must
choose; the tests check that each service's export is the one declared here.

Identifiable: the file holds a pupil's name, kana, birth date, 宛名番号 or another ID (or
a pupil-level row with reasons that can single a child out). It needs the ``export``
function, a purpose, and above the lead's number of pupils the lead's approval.
Aggregate: school-level figures, lists without any pupil, or the audit log (which names
pupils by the store's internal number only); the ``export_aggregate`` function (or
``export``) suffices and no purpose is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Identifiability(Enum):
    IDENTIFIABLE = "identifiable"
    AGGREGATE = "aggregate"


IDENTIFIABLE_FUNCTION = "export"
AGGREGATE_FUNCTION = "export_aggregate"


@dataclass(frozen=True)
class ExportSpec:
    key: str  # stored in audit entries and approval requests
    label: str  # what the lead reads in a request and in the dialog
    identifiability: Identifiability
    # The map's function that allows it (an identifiable export: always ``export``; an
    # aggregate one: ``export_aggregate``, which ``export`` includes, or its own right).
    function: str = AGGREGATE_FUNCTION
    # Always needs the lead's approval, whatever the number of pupils (e.g. a research
    # extract, which is logged with its approver).
    approval_always: bool = False

    @property
    def identifiable(self) -> bool:
        return self.identifiability is Identifiability.IDENTIFIABLE

    @property
    def needs_purpose(self) -> bool:
        return self.identifiable or self.approval_always

    def __post_init__(self) -> None:
        if self.identifiable and self.function != IDENTIFIABLE_FUNCTION:
            raise ValueError(f"identifiable export {self.key!r} needs {IDENTIFIABLE_FUNCTION!r}")


_A = Identifiability.AGGREGATE


def _identifiable(key: str, label: str) -> ExportSpec:
    return ExportSpec(key, label, Identifiability.IDENTIFIABLE, IDENTIFIABLE_FUNCTION)


# CLI ``export`` and the data pages: a pupil dataset (the register, or any kind linked to
# a pupil, written with the pupil's 宛名番号).
DATASET = _identifiable("dataset", "データの種類ごとの出力")
# The same command for a kind without pupils (schools, school-level figures).
DATASET_NO_PUPILS = ExportSpec("dataset_no_pupils", "児童生徒を含まないデータの出力", _A)
SEARCH_RESULTS = _identifiable("search_results", "児童生徒検索の結果の出力")
EXTRACTION_RESULTS = _identifiable("extraction_results", "抽出結果の出力")
# 見守りアラート lists with the pupils (宛名番号 and/or reasons); also the command line's
# printout of them, which can be redirected to a file.
ALERT_LIST = _identifiable("alert_list", "見守りアラートの一覧の出力（児童生徒つき）")
# The same lists for a role that sees no pupils: school, order and band only.
ALERT_BANDS = ExportSpec("alert_bands", "見守りアラートの一覧の出力（児童生徒なし）", _A)
# The import's validation report: cell values of the school's file (names, birth dates,
# IDs among them), returned to the school that sent it.
VALIDATION_REPORT = _identifiable("validation_report", "取込の検証結果の出力")
# The audit log names pupils by the store's internal number only; its own right.
AUDIT_LOG = ExportSpec("audit_log", "監査ログの出力", _A, function="audit_view")
# The research extract (issue 13): pupils pseudonymised per project, quasi-identifiers
# generalised to k >= 10, so not identifiable by name or ID. Its own right
# (``research_export``); the approval is the research project's, given by a project lead
# (toda_desktop/research/approval.py), and the extract's entry names purpose and approver.
RESEARCH_EXTRACT = ExportSpec("research_extract", "研究用データの抽出（仮名化）", _A,
                              function="research_export")
# 個人情報ファイル簿: made from the registry and the map, no pupil (administrators).
PERSONAL_INFO_REGISTER = ExportSpec("personal_info_register", "個人情報ファイル簿の出力", _A,
                                    function="admin")

EXPORTS: tuple[ExportSpec, ...] = (
    DATASET, DATASET_NO_PUPILS, SEARCH_RESULTS, EXTRACTION_RESULTS, ALERT_LIST, ALERT_BANDS,
    VALIDATION_REPORT, AUDIT_LOG, RESEARCH_EXTRACT, PERSONAL_INFO_REGISTER,
)
BY_KEY = {spec.key: spec for spec in EXPORTS}


def spec(key: str) -> ExportSpec:
    return BY_KEY[key]

"""Reading the audit log: filtered views, CSV export and chain verification.

Only roles with the ``audit_view`` function (the project lead and the IT administrator) may
read it; reading and exporting are themselves logged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from kernel.school_calendar import SchoolMonth
from storage import audit, audit_outside
from storage.key_groups import key_groups
from storage.registry import Registry
from toda_desktop.accounts.grants import group_labels
from toda_desktop.audit.sealing import reader_opener
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import ExportResult, write_csv, write_xlsx
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose.catalog import AUDIT_LOG, EXPORTS
from toda_desktop.formatting import format_phrase
from toda_desktop.phrase import Part, Phrase, SchoolYear, join, phrase
from toda_desktop.policy.model import FUNCTION_LABELS, describe_policy_changes

ACTION_LABELS = {
    "store_created": "データベース作成",
    "demo_city_loaded": "デモ都市の作成",
    "sign_in": "サインイン",
    "sign_in_failed": "サインイン失敗",
    "account_locked": "アカウントのロック",
    "account_unlocked": "アカウントのロック解除",
    "sign_out": "サインアウト",
    "session_locked": "画面ロック",
    "session_resumed": "画面ロックの解除",
    "palm_verify_failed": "手のひら静脈認証の失敗",
    "palm_enrolled": "手のひら静脈の登録",
    "palm_revoked": "手のひら静脈の登録取消",
    "recovery_granted": "回復サインインの許可",
    "recovery_sign_in": "回復サインイン",
    "account_created": "アカウント作成",
    "account_disabled": "アカウント無効化",
    "account_enabled": "アカウント有効化",
    "password_reset": "パスワード再設定",
    "role_changed": "役割の変更",
    "password_changed": "パスワードの変更（本人）",
    "keys_granted": "データの鍵の付与",
    "keys_revoked": "データの鍵の取り消し",
    "key_rotated": "データの鍵の更新",
    "key_rotation_due": "データの鍵の更新待ち",
    "policy_changed": "権限設定の変更",
    "permission_denied": "権限のない操作",
    "device_event": "機器イベント",
    "view_overview": "データ概要の閲覧",
    "integrity_check": "整合性の検査",
    "audit_view": "監査ログの閲覧",
    "audit_export": "監査ログの出力",
    "audit_verify": "監査ログの検証",
    "search": "児童生徒の検索",
    "view_karte": "カルテの閲覧",
    "view_records": "記録の閲覧",
    "edit": "記録の編集",
    "import": "取込",
    "import_rollback": "取込の取消",
    "import_value_map": "取込の値の対応付け",
    "review_view": "名寄せ確認待ちの閲覧",
    "review_decision": "名寄せの確認",
    "export": "出力",
    "print": "印刷",
    "audit_anchor_mismatch": "監査ログの巻き戻し・差し替えの検出",
    "audit_breaks_acknowledged": "監査ログの不整合の確認",
    "audit_key_registered": "署名鍵の登録",
    "audit_anchor_set": "監査ログの外部の控えの場所の設定",
    "audit_anchor_unreachable": "監査ログの外部の控えの書き込み失敗",
    "validation_report": "検証結果の出力",
    "search_results": "検索結果の出力",
    "extraction": "抽出",
    "extraction_saved": "抽出条件の保存",
    "extraction_deleted": "抽出条件の削除",
    "risk_train": "予測モデルの学習",
    "risk_evaluate": "予測モデルの評価",
    "risk_model_view": "予測モデルの閲覧",
    "risk_score": "見守りアラートの作成",
    "risk_alerts_view": "見守りアラートの閲覧",
    "risk_alert_mark": "見守りアラートの記録",
    "risk_alert_history": "見守りアラートの記録の閲覧",
    "risk_explanations": "カルテの早期把握欄の閲覧",
    "risk_factors": "要因分析",
    "view_survey_domains": "調査の領域別の見立ての閲覧",
    # sign-in counters and scanner backends (issue 12)
    "signin_record_break": "サインイン記録の不整合", "scanner_refused": "認められないスキャナ",
    "scanner_backends_recorded": "使用できるスキャナの登録",
    # research extracts (issue 13)
    "research_project": "研究プロジェクトの登録",
    "research_project_approved": "研究プロジェクトの承認",
    "research_extract": "研究用データの作成",
    # backup and restore (issue 13)
    "backup_created": "バックアップの作成", "backup_restored": "バックアップからの復元",
    "backup_settings": "バックアップの設定",
    # purpose-bound exports (issue 13)
    "export_refused": "出力の拒否", "export_purpose_added": "出力の目的の追加",
    "export_purpose_removed": "出力の目的の削除",
    "export_threshold_changed": "承認が必要な人数の変更",
    "export_approval_requested": "出力の承認の依頼", "export_approval_approved": "出力の承認",
    "export_approval_declined": "出力の承認の却下",
    # retention (issue 13)
    "retention_plan": "保存期間の削除計画の作成", "retention_approve": "削除計画の承認",
    "retention_run": "削除計画の実行", "retention_certificate": "削除証明（保存期間の終了）",
    # school karte (issue 15)
    "school_karte_view": "学校カルテの閲覧", "school_karte_city": "学校カルテ（市全体）の閲覧",
    # restricted printing (issue 14)
    "print_voided": "印刷の取消（プレビューのみ）", "print_refused": "印刷の拒否",
    "print_returned": "印刷物の回収", "print_shredded": "印刷物の廃棄",
    "print_return_days_changed": "印刷物の返却期限（日数）の変更",
    # support cases (issue 14)
    "case_open": "支援ケースの作成", "case_list": "支援ケースの一覧の閲覧",
    "case_view": "支援ケースの閲覧", "case_change": "支援ケースの変更",
    "case_status": "支援ケースの状態の変更", "case_meeting": "ケース会議の記録",
    "case_action": "支援の手立ての記録", "case_withdraw": "支援ケースの記録の取り下げ",
    "case_evidence": "振り返り用のデータの閲覧", "case_review": "ケース会議の振り返りの記録",
    "case_note": "支援ケースの記録の追加", "case_note_open": "支援ケースの記録の閲覧",
    "case_history": "支援ケースの変更履歴の閲覧", "case_reviews_due": "振り返りの予定の閲覧",
    "case_draft": "支援ケースの下書き", "case_import": "ケース会議の記録の取込",
    # issue 16 (uxb): copies of table cells, corrections of alert marks
    "copy_cells": "表のコピー", "risk_alert_mark_corrected": "見守りアラートの記録の訂正",
    # データ概要's start of the day (issue 16)
    "view_start_of_day": "データ概要（今日の確認）の閲覧",
    "review_find_pupil": "名寄せ確認での児童生徒の指定",  # issue 13: refused for former pupils
    "key_group_created": "データの鍵の区分の追加",  # issue 13: the research projects' keys
    "research_keys_moved": "研究プロジェクトの鍵の移動",  # issue 13
    "audit_reader_key_mismatch": "監査ログの閲覧用の鍵の不一致",  # sealed audit entries
    "audit_search_check": "検索語の照合",  # issue 13: was a word searched (digests only)
}
OUTCOME_LABELS = {"ok": "成功", "denied": "拒否", "failed": "失敗", "problem": "異常あり",
                  "cancelled": "中止", "started": "開始"}
DETAIL_LABELS = {
    "role": "役割", "method": "方法", "fmr_achieved": "他人受入率", "reason": "理由",
    "quality": "品質", "device": "機器", "rows": "件数", "file": "ファイル", "date": "日付",
    "batch_id": "取込番号", "sha256": "ハッシュ", "inserted": "追加", "overwritten": "上書き",
    "queued": "確認待ち", "excluded": "除外", "removed": "削除", "kind": "種類",
    "kept": "後の取込に残した記録", "restored": "元の値に戻した記録",
    "column": "列", "values": "値の数",
    "seed": "乱数の種", "problems": "異常", "audit_chain": "監査ログ", "error": "エラー",
    "templates": "登録数", "was_locked": "ロック中だった", "old": "変更前", "new": "変更後",
    "changes": "変更内容", "grant_id": "許可番号", "expires_at": "有効期限", "items": "件数",
    "item": "確認項目", "decision": "判断", "record_id": "記録番号", "consecutive": "連続回数",
    "event": "内容", "factor": "要素", "at": "日時",
    "alerts": "アラート件数", "model_id": "モデル番号", "config": "一覧に使う方法",
    "grid": "候補数",
    # risk_train / risk_evaluate: the held-out recall of the best model's lists of 5 per
    # school (also when the lists use a simple ranking, which "config" then names); on
    # training, beside it the best simple ranking that counts only non-sick absence.
    "recall@5": "モデルの再現率（評価年度・各校5人の一覧）",
    "baseline_recall@5": "病気欠席を除いて数える単純な並べ方の最良の再現率",
    "top": "学校ごとの人数",
    "with_ids": "宛名番号つき", "month": "月", "school_year": "年度", "test_year": "評価年度",
    "pupils": "児童生徒数", "factors": "要因数", "population": "対象", "query": "検索語",
    "filters": "絞り込み", "results": "件数", "truncated": "打ち切り", "conditions": "条件",
    "datasets": "データ種類数", "charts": "グラフ数", "status": "状態", "id": "番号",
    "domain": "領域", "actor": "利用者", "action": "操作", "pupil_id": "児童生徒ID",
    "since": "開始日", "until": "終了日", "chart": "グラフ", "x": "位置", "series": "系列",
    "anchor_last_id": "外部の控えの記録番号", "breaks": "不整合の回数",
    "groups": "データの鍵の区分", "keys_removed": "外れたデータの鍵",
    "signing_key": "署名鍵の指紋", "recovery_signing_key": "回復キーの署名鍵の指紋",
    "dir": "場所",
    "previous": "変更前",
    "failures_lost": "記録から消えていた失敗回数", "scanner": "スキャナ",
    "scanner_version": "スキャナのバージョン", "scanners": "使用できるスキャナ",
    "former_pupils": "卒業・転出した児童生徒",  # left out of a role's search (issue 13)
    # 児童生徒検索's filters (a dict inside "filters")
    "school_code": "学校コード", "grade": "学年", "class_name": "組",
    # research extracts (issue 13)
    "project": "研究プロジェクト", "approver": "承認者",
    "approved": "承認済み", "kinds": "データの種類", "columns": "列", "years": "年度",
    "files": "ファイル数", "k": "k（最小人数）", "step": "一般化の段階",
    "withheld": "除外した児童生徒・年度", "cells_primary": "一次秘匿したセル",
    "cells_complementary": "補完秘匿したセル",
    # backup and restore (issue 13)
    "backup": "バックアップ", "bytes": "サイズ（バイト）", "backup_head_id": "監査ログの記録番号",
    "created_at": "作成日時", audit.SUPERSEDED_FIELD: "復元前の外部の控え",
    "unread": "読めなかった場所",
    "backup_dir": "保存先", "backup_keep": "残す世代", "backup_offer_hours": "勧める間隔（時間）",
    # purpose-bound exports (issue 13)
    "export": "出力の種類", "purpose": "目的", "approval": "承認番号", "approved_by": "承認者",
    "label": "目的", "threshold": "承認が必要な人数", "note": "判断の理由",
    "own_request": "自分の依頼",
    # key renewal and the own password change (issue 13, keys)
    "generation": "鍵の世代",
    # retention (issue 13): plans, approvals and the deletion certificate
    "plan_id": "計画番号", "records": "記録数", "unseen": "鍵・権限がなく含まれない種類",
    "own_plan": "自分の作った計画", "certificate": "削除・仮名化した記録",
    "related": "併せて削除した関連の記録", "review_queue": "名寄せ確認待ちの行",
    "linkage_decisions": "名寄せの判断の記憶", "batch_overwrites": "取込の取消に備えた元の値",
    "batch_confirmations": "取込の確認の記録", "risk_alert_status": "見守りアラートの確認の記録",
    "digest": "計画の照合値",
    # restricted printing (issue 14)
    "serial": "印刷番号", "sheet": "印刷物の種類", "pages": "ページ数",
    "content_digest": "内容の照合値", "destination": "出力先", "return_by": "返却・廃棄期限",
    "printer": "プリンター",
    # support cases (issue 14)
    "actions": "支援の手立ての数", "alert": "見守りアラート番号", "cases": "ケース数",
    "entity": "記録の種類", "entries": "件数", "fields": "変更した項目数",
    "meeting": "会議の記録番号", "meetings": "会議の記録数", "notes": "記録数",
    "review": "振り返りの記録番号", "reviews": "振り返りの件数", "source": "きっかけ",
    "errors": "エラーの数", "dry_run": "確認のみ",
    # issue 16 (uxb): table copies and alert-mark corrections
    "pupil_ids": "児童生徒の番号", "pupils_unknown": "児童生徒を特定できない表",
    "withdrawn": "取り消した記録",
    "parts": "表示した項目",  # データ概要's 今日の確認 (issue 16)
    "risk_alert_corrections": "見守りアラートの確認の訂正",  # issue 13: counted on purge
    "words": "検索語の数", "word_digests": "検索語の照合値",  # issue 13: no words in the log
    "accounts": "アカウント数", "projects": "研究プロジェクト数",  # issue 13: research keys
    "skipped": "記録済みのため取り込まなかった会議",  # case import: rows already recorded
}
# Public keys (64 hex digits) are shown by their first 16, enough to tell them apart.
KEY_DETAILS = frozenset({audit.KEY_FIELD, audit.RECOVERY_KEY_FIELD})
VALUE_LABELS = {
    "palm": "手のひら静脈", "password": "パスワード", "recovery": "回復サインイン",
    "palm_enrolled": "手のひら静脈の初回登録", "no_match": "不一致",
    "spoof_suspected": "偽造の疑い", "duplicate": "重複", "link": "照合", "reject": "照合不可",
    "account_inactive": "無効なアカウント",
    "password_not_own": "管理者が設定したパスワードのまま", "not_a_holder": "鍵を持っていない",
    "connected": "スキャナ接続", "removed": "スキャナ取り外し", "True": "はい", "False": "いいえ",
    "true": "はい", "false": "いいえ",
    "anchor_missing": "外に置いた控えがない", "anchor_damaged": "外に置いた控えの破損",
    "rolled_back": "巻き戻し", "replaced": "差し替え",
    "throttle_file_damaged": "サインイン記録ファイルの破損", "sign_in_failed": "サインイン失敗",
    "account_locked": "アカウントのロック", "simulator": "シミュレータ（デモ用）", "None": "—",
    "demo": "デモ", "test": "テスト", "production": "本番",
    "former_pupil": "卒業・転出した児童生徒（役割の設定で対象外）",  # issue 13
    "left_out": "対象外（役割の設定）",
    "session_locked": "画面ロック中", "session_expired": "利用時間の上限超過",
    "missing": "ファイルがない", "damaged": "ファイルの破損", "older": "古い控えへの差し替え",
    "reset": "回数の巻き戻し", "builtin": "組み込み",
    # purpose-bound exports (issue 13): the export kinds, and why one was refused
    **{spec.key: spec.label for spec in EXPORTS},
    "no_purpose": "目的の指定なし", "no_approval": "承認なし", "pending": "承認待ち",
    "declined": "却下済み", "used": "使用済み", "expired": "有効期限切れ",
    "other_export": "別の出力の承認", "more_pupils": "承認された人数を超える",
    "other_purpose": "承認と異なる目的", "not_found": "該当する承認なし",
    "own_request": "自分の依頼",
    # key renewal and the own password change (issue 13, keys)
    "leak_suspected": "漏えいの疑い", "holder_left": "鍵を持つ職員の異動・退職",
    "routine": "定期的な更新", "keys_renewed": "別の画面でのデータの鍵の更新",
    "wrong_password": "現在のパスワードの誤り", "palm_not_confirmed": "手のひら静脈の確認失敗",
    "palm_not_enrolled": "手のひら静脈の登録なし", "store_error": "データベースのエラー",
    "password_and_palm": "パスワードと手のひら静脈",
    # retention (issue 13): why a run was refused
    "audit_chain": "監査ログの異常", "approval_missing": "署名された承認の記録がない",
    # restricted printing (issue 14): destinations and why a print was refused
    "pdf": "PDFファイル", "virtual_printer": "仮想プリンター（ファイルへの出力）",
    "pupils_not_visible": "児童生徒を閲覧できない役割", "unknown_pupil": "見つからない児童生徒",
    "other_persons_sheet": "他の職員の印刷物", "outstanding": "未回収", "returned": "回収済み",
    "extraction_list": "抽出結果の一覧", "case_sheet": "児童生徒理解・支援シート",
    "school_karte": "学校カルテ",
    # support cases (issue 14): domains, drafts, what was changed, where a case came from
    "truancy": "不登校", "bullying": "いじめ", "consultation": "教育相談",
    "saved": "保存", "loaded": "読み込み", "discarded": "破棄", "listed": "一覧",
    "year_sheet": "学年別シート", "meeting": "ケース会議の記録",
    "child_protection": "児童虐待・要保護", "general": "記録", "manual": "新規入力",
}
# Entries about the log itself: their details hold no pupil data, and the IT administrator
# (who sees no details otherwise) is the one to look into them.
INTEGRITY_ACTIONS = frozenset({audit.BREAK_ACTION, audit.ACK_ACTION, audit.SELF_REGISTERED,
                               audit_outside.SET_ACTION, audit_outside.UNREACHABLE_ACTION,
                               audit.RESTORE_ACTION})
TARGET_PREFIXES = {"account:": "アカウント ", "risk_model:": "予測モデル ",
                   "risk_alerts:": "見守りアラート ", "risk_alert:": "見守りアラート番号 ",
                   "extraction:": "抽出 ", "factors:": "要因分析 ",
                   "key_group:": "データの鍵 ",
                   "export_approval:": "出力の承認の依頼番号 ", "retention_plan:": "削除計画 ",
                   "print:": "印刷番号 ",
                   # support cases (issue 14): "truancy:12"
                   "truancy:": "支援ケース 不登校-", "bullying:": "支援ケース いじめ-",
                   "consultation:": "支援ケース 教育相談-",
                   "page:": "画面 "}  # (issue 16: the page a table was copied from)
TARGET_WORDS = {"pupils": "児童生徒", "search_results": "検索結果",
                "validation_report": "検証結果", "risk_months": "見守りアラートの月",
                "risk_score": "見守りアラートの作成", "survey_domains": "調査の領域別の見立て",
                "risk_alert_mark": "見守りアラートの記録",
                "personal_info_register": "個人情報ファイル簿",
                "cases": "支援ケース"}  # issue 14
# "verb:kind" targets: a function of the map, or an extraction step, on a dataset kind.
TARGET_VERBS = {**FUNCTION_LABELS, "extract": "抽出", "extraction_save": "抽出条件の保存"}


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Detail values that are school years: written as 年度 in the reader's date style.
YEAR_KEYS = frozenset({"school_year", "test_year"})
# Detail values that count things: written with thousands separators (12,198).
COUNT_KEYS = frozenset({"rows", "inserted", "overwritten", "queued", "excluded", "removed",
                        "kept", "restored", "skipped",
                        "pupils", "alerts", "items", "results", "conditions", "grid",
                        "records"})
# Detail values that are shares 0..1: written as percentages (71.8%).
PERCENT_KEYS = frozenset({"recall@5", "baseline_recall@5"})


def describe_detail(detail: str | None, codes: Mapping[str, str] = VALUE_LABELS) -> Phrase:
    """The stored JSON detail as a short Japanese summary (keys and codes translated;
    ``codes``: the values to translate, e.g. with the map's role names added); school years,
    months and days stay values for the reader's date style."""
    if not detail:
        return ()
    try:
        values = json.loads(detail)
    except ValueError:
        return (detail,)
    if not isinstance(values, dict):
        return (str(values),)
    parts: list[Phrase] = []
    for key, value in values.items():
        text: Part | Phrase
        if key in KEY_DETAILS and isinstance(value, str):
            text = value[:16] + "…"
        elif key == "fmr_achieved" and isinstance(value, float) and value > 0:
            text = f"1/{round(1 / value):,}"  # as the device standard writes a rate
        elif key in PERCENT_KEYS and isinstance(value, float):
            text = f"{value * 100:.1f}%"
        elif isinstance(value, float):
            text = f"{value:.2g}"
        elif key in COUNT_KEYS and isinstance(value, int) and not isinstance(value, bool):
            text = f"{value:,}"
        elif key in YEAR_KEYS and isinstance(value, int) and not isinstance(value, bool):
            text = SchoolYear(value)
        elif key == "changes" and isinstance(value, dict):
            text = "／".join(describe_policy_changes(value, codes))
        elif isinstance(value, list):
            text = "、".join(codes.get(str(v), str(v)) for v in value)
        elif isinstance(value, dict):
            text = "、".join(f"{DETAIL_LABELS.get(str(k), k)}: {v}" for k, v in value.items())
        elif value is None:
            text = "—"
        elif isinstance(value, str) and (when := _when(value)) is not None:
            text = when
        else:
            text = codes.get(str(value), str(value))
        if text:
            parts.append(phrase(f"{DETAIL_LABELS.get(key, key)}: ", text))
    return join(parts, "、")


def _when(text: str) -> SchoolMonth | date | None:
    """A month (``2025-10``) or a day (``2025-06-03``) written in a detail, as a value."""
    if month := _MONTH.match(text):
        return SchoolMonth(int(month[1]), int(month[2])) if 1 <= int(month[2]) <= 12 else None
    if _DAY.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return None


def describe_target(target: str | None, registry: Registry | None = None) -> Phrase:
    """The stored target in words: functions and dataset kinds by their Japanese names
    (``view:consultations`` → 閲覧: 相談記録, ``students.name`` → 児童生徒基本情報の氏名);
    the month of 見守りアラート and the year of 要因分析 as values."""
    if not target:
        return ()
    for prefix, label in TARGET_PREFIXES.items():
        if target.startswith(prefix):
            rest = target[len(prefix):]
            if prefix == "risk_alerts:" and isinstance(when := _when(rest), SchoolMonth):
                return (label, when)
            if prefix == "factors:" and rest.isdigit():
                return (label, SchoolYear(int(rest)))
            if prefix == "key_group:" and registry is not None:
                return (label + _group_words(registry).get(rest, rest),)
            if label.startswith("支援ケース") and rest.isdigit():
                return (f"{label}{int(rest):04d}",)  # as the case is named: 「いじめ-0001」
            return (label + rest,)
    if target in TARGET_WORDS:
        return (TARGET_WORDS[target],)
    verb, _, rest = target.partition(":")
    if rest and verb in TARGET_VERBS:
        return (f"{TARGET_VERBS[verb]}: {_kind_words(rest, registry)}",)
    if target in FUNCTION_LABELS:
        return (FUNCTION_LABELS[target],)
    return (_kind_words(target, registry),)


def _group_words(registry: Registry) -> dict[str, str]:
    """Key group names (``other_department``) → the map's words (他部署の情報)."""
    groups = key_groups(registry)
    return dict(zip((g.name for g in groups), group_labels(registry, (g.name for g in groups)),
                    strict=True))


def _kind_words(text: str, registry: Registry | None) -> str:
    kind_name, _, column = text.partition(".")
    if registry is None or kind_name not in registry.names:
        return text
    kind = registry.kind(kind_name)
    if not column:
        return kind.label
    return f"{kind.label}の{kind.column(column).label}" if kind.has_column(column) else text


# A sealed entry shown to someone without the audit reader's key.
SEALED_TEXT = "（児童生徒に関する内容は暗号化されています。閲覧用の鍵をお持ちの方のみ表示できます）"
CSV_HEADER = ["番号", "日時", "利用者", "操作", "結果", "対象", "児童生徒ID", "詳細"]


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    pupil_id: int | None = None
    since: date | None = None
    until: date | None = None  # inclusive


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    action_label: str
    outcome_label: str
    target: Phrase  # in words, its month or year as a value
    pupil_id: int | None
    detail: Phrase
    signer: str | None = None  # whose key signed it (None: written before signing)

    @property
    def actor_text(self) -> str:
        """The actor, and who recorded the entry when that is someone else (a failed
        sign-in of one account is written by the next session that opens the store)."""
        if self.signer is None or self.signer == self.actor:
            return self.actor
        return f"{self.actor}（記録: {self.signer}）"

    @property
    def target_text(self) -> str:
        """The target as written in files and on the command line (西暦)."""
        return format_phrase(self.target)

    @property
    def detail_text(self) -> str:
        return format_phrase(self.detail)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_bad_id: int | None
    message: Phrase  # the finding; the time of a rollback as a value
    pending_breaks: int = 0  # rollbacks/swaps an administrator may acknowledge


class AuditViewService:
    """監査ログ for the roles with ``audit_view``; each look is itself logged."""

    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def _query(self, filters: AuditFilter) -> list[AuditRow]:
        """Roles without access to pupil data (the IT administrator) see who did what and
        when, but not which pupil or what was searched. The pupil-linked parts of entries
        are sealed (``storage.audit_seal``): opened here for holders of the audit reader's
        key, shown as sealed to anyone else."""
        redact = not self._ctx.gate.may("view")
        opener = None if redact else reader_opener(self._ctx.db)
        codes = {**VALUE_LABELS, **_group_words(self._ctx.registry),
                 **{r.key: r.label for r in self._ctx.gate.policy.roles}}
        until = None if filters.until is None else (filters.until + timedelta(days=1)).isoformat()
        entries = self._ctx.db.call(
            lambda conn: audit.query(
                conn,
                actor=filters.actor,
                action=filters.action,
                pupil_id=filters.pupil_id,
                since=None if filters.since is None else filters.since.isoformat(),
                until=until,
                opener=opener,
            )
        )
        return [
            AuditRow(
                id=e.id,
                at=datetime.fromisoformat(e.at),
                actor=e.actor,
                action=e.action,
                action_label=ACTION_LABELS.get(e.action, e.action),
                outcome_label=OUTCOME_LABELS.get(e.outcome, e.outcome),
                target=describe_target(e.target, self._ctx.registry),
                pupil_id=None if redact else e.pupil_id,
                detail=((("（非表示）",) if e.detail or e.seal else ())
                        if redact and e.action not in INTEGRITY_ACTIONS
                        else (SEALED_TEXT,) if e.seal == "sealed"
                        else describe_detail(e.detail, codes)),
                signer=e.signer,
            )
            for e in entries
        ]

    def _log(self, action: str, **fields: Any) -> None:
        self._ctx.log(action, **fields)

    def entries(self, filters: AuditFilter | None = None) -> list[AuditRow]:
        self._ctx.gate.require("audit_view")
        filters = filters or AuditFilter()
        rows = self._query(filters)
        self._log("audit_view", detail=_filter_detail(filters))
        return rows

    def export_csv(
        self, path: Path, filters: AuditFilter | None = None, encoding: str = "utf-8-sig",
        overwrite: bool = False,
    ) -> ExportResult:
        """The filtered entries as CSV or .xlsx; logged before the file is written, its
        outcome after (``export_log``)."""
        self._ctx.gate.require("audit_view")
        filters = filters or AuditFilter()
        rows = self._query(filters)
        table = [
            [r.id, r.at.isoformat(sep=" "), r.actor_text, r.action_label, r.outcome_label,
             r.target_text, r.pupil_id, r.detail_text]
            for r in rows
        ]

        def write() -> ExportResult:
            if path.suffix.lower() == ".xlsx":
                return write_xlsx(path, CSV_HEADER, table, sheet="監査ログ", overwrite=overwrite)
            return write_csv(path, CSV_HEADER, table, encoding=encoding, overwrite=overwrite)

        return logged_export(self._ctx, AUDIT_LOG, action="audit_export", target=None, path=path,
                             rows=len(table), write=write, overwrite=overwrite,
                             detail=_filter_detail(filters))

    def verify(self, outside_folder: Path | None = None) -> ChainCheck:
        """The chain, its signatures, and its head against the anchor beside the store and
        the copies outside it (every folder the log names, and ``outside_folder``: one the
        person checking knows independently of the store)."""
        self._ctx.gate.require("audit_view")
        report = self._ctx.trail.verify(outside_folder)
        self._log("audit_verify", outcome="ok" if report.ok else "problem")
        return ChainCheck(report.ok, report.entries, report.first_bad_id,
                          chain_message(report), report.pending_breaks)

    def acknowledge_breaks(self, reason: str) -> ChainCheck:
        """An administrator records why the rollbacks/swaps found so far are known (e.g. a
        restore from a backup); the reason is a signed entry. Later ones are reported again.
        Tampering inside the chain cannot be acknowledged."""
        self._ctx.gate.require("audit_view")
        self._ctx.gate.require("admin")
        reason = " ".join(reason.split())
        if not reason:
            raise UserFacingError("確認した内容（例: バックアップからの復元）を入力してください。")
        if len(reason) > 200:
            raise UserFacingError("理由は200字以内で入力してください。")
        self._ctx.trail.acknowledge_breaks(self._ctx.actor.login_id, reason)
        return self.verify()


    def outside_folder(self) -> Path | None:
        """Where the chain's head is copied outside the store (None: not set)."""
        self._ctx.gate.require("audit_view")
        return self._ctx.trail.outside_folder()

    def set_outside_folder(self, folder: Path) -> str:
        """An administrator sets the folder for the copies (a signed entry) and the head
        is copied there at once; returns what happened, in Japanese."""
        self._ctx.gate.require("audit_view")
        self._ctx.gate.require("admin")
        folder = check_outside_folder(folder, self._ctx.trail.store_path)
        if self._ctx.trail.set_outside_folder(self._ctx.actor.login_id, folder):
            return f"監査ログの外部の控えの場所を {folder} にしました。控えを書き込みました。"
        return (f"場所を {folder} にしましたが、控えを書き込めませんでした。"
                "書き込みの権限と接続を確認してください（サインアウト時にもう一度試します）。")


def check_outside_folder(folder: Path, store_path: Path) -> Path:
    """The folder as an absolute path; refused when it does not exist or lies beside the
    store (a copy there could be rewritten together with the store)."""
    text = str(folder).strip()
    if not text:
        raise UserFacingError("外部の控えの場所を入力してください。")
    folder = Path(text).expanduser()
    if not folder.is_absolute():
        raise UserFacingError("外部の控えの場所は、ドライブや共有フォルダーから始まる"
                              "完全な場所で指定してください。")
    if not folder.is_dir():
        raise UserFacingError(f"フォルダー {folder} が見つかりません。"
                              "場所と接続を確認してください。")
    store_dir = store_path.resolve().parent
    if folder.resolve() == store_dir or store_dir in folder.resolve().parents:
        raise UserFacingError("外部の控えは、データベースと同じフォルダーには置けません。"
                              "情報管理部門のサーバーの共有フォルダーや、"
                              "追記しかできない媒体を指定してください。")
    return folder


def chain_message(report: audit.ChainReport) -> Phrase:
    """What the chain check found; a rollback or swap with the time it was found, as a
    value (the store writes the same finding for the command line)."""
    if report.first_break_at is None:
        return (report.reason,)
    try:
        when: Part = datetime.fromisoformat(report.first_break_at)
    except ValueError:
        when = report.first_break_at
    return (when, " に、データベースの監査ログが外に置いた控えより前の状態に戻されているか、"
            "別のデータベースに差し替えられていることを検出しました"
            f"（{report.pending_breaks}回）。バックアップからの復元でなければ、"
            "管理者に連絡してください。")


def _filter_detail(filters: AuditFilter) -> dict[str, object]:
    return {
        k: (v.isoformat() if isinstance(v, date) else v)
        for k, v in filters.__dict__.items()
        if v is not None
    }

"""The data dictionary of the interchange format, generated from the dataset registry.

``docs/DATA_DICTIONARY.md`` is this function's output; a test keeps it in step with the
registry, so the document other municipalities read is never out of date.
"""

from __future__ import annotations

from storage.registry import ColumnSpec, Registry, RetentionClass, default_registry
from toda_desktop.instruments import ANSWER_LABELS, instruments

TYPE_LABELS = {
    "code": "コード（文字列・日本語可・先頭0を保持）",
    "digits": "番号（数字のみ・先頭0を保持）",
    "text": "文字列",
    "name": "氏名",
    "kana": "カナ",
    "date": "日付（西暦・和暦）",
    "time": "時刻（HH:MM）",
    "int": "整数",
    "float": "数値",
    "percent": "割合（%）",
    "school_year": "年度（西暦）",
    "month": "月（4〜12, 1〜3）",
    "grade": "学年（1〜9）",
    "enum": "選択肢",
    "bool": "有無（1/0）",
    "list": "番号の列（例: 3,4）",
    "email": "アカウント（メール形式）",
    "answer": "回答（選択肢の番号、得点・割合などの数値、または区分の文字列）",
}
DOMAIN_LABELS = {
    "basic": "基本",
    "school": "学校（個人情報なし）",
    "attendance": "出欠",
    "health": "保健",
    "academic": "学力",
    "survey": "調査",
    "truancy": "不登校",
    "bullying": "いじめ",
    "consultation": "相談",
    "other_department": "他部局",
}
REF_LABELS = {
    "address_code": "宛名番号",
    "school_code": "在籍キー",
    "grade": "在籍キー",
    "class_name": "在籍キー",
    "seat_number": "在籍キー",
    "pref_id": "県学調番号",
    "google_account": "Googleアカウント",
    "name": "照合",
    "name_kana": "照合",
    "birth_date": "照合",
    "sex": "照合",
}


def _constraint(col: ColumnSpec) -> str:
    parts = []
    if col.values:
        parts.append(" / ".join(col.values))
    if col.value_synonyms:
        parts.append("別の書き方: " + " / ".join(f"{k}→{v}" for k, v in col.value_synonyms))
    if col.min is not None or col.max is not None:
        low = "" if col.min is None else f"{col.min:g}"
        high = "" if col.max is None else f"{col.max:g}"
        parts.append(f"{low}〜{high}")
    return "、".join(parts)


def retention_text(rc: RetentionClass) -> str:
    """「学籍に関する記録（卒業・転出から20年、その後は識別情報を削除し仮名で保持）」."""
    if not rc.ends:
        return f"{rc.label}（{rc.period_label}）"
    return f"{rc.label}（{rc.period_label}、その後は{rc.action_label}）"


def render(registry: Registry | None = None) -> str:
    registry = registry or default_registry()
    lines = [
        f"# データ辞書 — 教育データ取込・出力形式 v{registry.format_version}",
        "",
        "このファイルは `resources/datasets.toml`（データセット登録簿）から"
        "`python -m toda_desktop dictionary` で生成されます。直接編集しないでください。",
        "",
        "- 見出しの別名は全角・半角、空白、括弧の違いを区別せずに認識します。",
        "- 空欄は「不明」を意味し、0 とはみなしません。",
        "- 「コード」の列（調査コード、設問コード、学校コード、県学調番号など）には、日本語を含む"
        "どんな文字も使えます（例: `LESSON_わかる`）。全角英数字は半角として読み、"
        "前後の空白は除き、先頭の0は保持します。使えないのは制御文字・ゼロ幅スペースなどの見えない文字だけです。",
        "- 「番号（数字のみ）」の列（宛名番号）は数字だけで書きます。先頭の0は保持します。",
        "- 「選択肢」の列で一覧にない値は、任意の列なら書かれたとおり取り込み、値ごとの件数を"
        "注意として報告します（取込画面で一覧の値に対応付けられ、取込元ごとに保存されます）。"
        "必須の列ではエラーになります。",
        "- 「個人参照」は名寄せに使う列です。"
        "「保存しない」列は照合にのみ使い、記録には残しません。",
        "",
        "## 保存期間の区分",
        "",
        "保存期間は、児童生徒が卒業・転出した日（最後に在籍した年度の末日）から数えます。",
        "",
        "| 区分 | 名称 | 保存期間 | 期間の終了時 | 根拠 |",
        "|---|---|---|---|---|",
    ]
    for r in registry.retention_classes:
        lines.append(f"| `{r.key}` | {r.label} | {r.period_label} | {r.action_label} | "
                     f"{r.basis} |")
    lines += ["", "## データ種別", "", "| 種別 | 名称 | アクセス領域 | 保存期間 | 同一記録の判定 |"]
    lines.append("|---|---|---|---|---|")
    for kind in registry.kinds:
        domain = DOMAIN_LABELS.get(kind.domain, kind.domain)
        if kind.topics:
            domain += "（" + "・".join(DOMAIN_LABELS.get(t, t) for t in kind.topics) + "関連）"
        key_labels = ", ".join(kind.column(k).label for k in kind.natural_key)
        prefix = "児童生徒 + " if kind.links_to_pupil else ""
        if kind.repeats:
            key_labels += "（すべての列が同じ行は、選べば繰り返しの記録として回数で区別）"
        lines.append(
            f"| `{kind.name}` | {kind.label} | {domain} | "
            f"{retention_text(registry.retention(kind.retention))} | {prefix}{key_labels} |"
        )
    for kind in registry.kinds:
        lines += [
            "",
            f"## {kind.label}（`{kind.name}`）",
            "",
            f"保存期間: {retention_text(registry.retention(kind.retention))}",
            "",
            "| 見出し | 列キー | 型 | 必須 | 値の範囲 | 個人参照 | 保存 | 別名 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for col in kind.columns:
            lines.append(
                f"| {col.label} | `{col.key}` | {TYPE_LABELS[col.type]} | "
                f"{'●' if col.required else ''} | {_constraint(col)} | "
                f"{REF_LABELS.get(col.ref, '') if col.ref else ''} | "
                f"{'' if col.stored else '保存しない'} | {'、'.join(col.synonyms)} |"
            )
        if kind.pupil and not kind.master:
            lines += [
                "",
                "各行は個人参照（宛名番号、年度＋学校コード＋学年＋組＋出席番号、県学調番号、"
                "Googleアカウント、または氏名＋生年月日）の少なくとも一つで児童生徒を指します。",
            ]
    lines += _instrument_lines()
    return "\n".join(lines) + "\n"


def _instrument_lines() -> list[str]:
    """The instruments whose 回答 is a score, a rate or a category (resources/instruments.toml)."""
    lines = [
        "",
        "## 得点・割合・区分で答える調査（`resources/instruments.toml`）",
        "",
        "これらの調査の回答も調査回答（`survey_responses`）の行として取り込みます。"
        "1行に1人分・設問が列の出力ファイルは、設問ごとの行に直して読みます。",
        "",
        "| 調査コード | 名称 | 回答 | 値の範囲・区分 | 設問コード（見出し） |",
        "|---|---|---|---|---|",
    ]
    for inst in instruments():
        if inst.min is not None or inst.max is not None:
            low = "" if inst.min is None else f"{inst.min:g}"
            high = "" if inst.max is None else f"{inst.max:g}"
            span = f"{low}〜{high}"
        else:
            span = ""
        if inst.category_items:
            span = "、".join(filter(None, [span, "区分: " + " / ".join(inst.categories)]))
        answer = ANSWER_LABELS[inst.answer] + ("・区分" if inst.category_items else "")
        items = "、".join(f"`{i.code}`（{i.label}）" for i in inst.items)
        lines.append(f"| `{inst.code}` | {inst.name} | {answer} | {span} | {items} |")
    return lines

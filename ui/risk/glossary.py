"""Words of the 予測モデル and 要因分析 pages explained for staff who are not statisticians
(issue 16): one entry per term, shown as the 用語集 tab and as the tooltips of the tables'
headers and rows, so a term means the same wherever it appears."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser

GLOSSARY: dict[str, str] = {
    "再現率": "新たに不登校となった児童生徒のうち、その前の月の一覧に入っていた割合です。"
              "高いほど、見落としが少ないことを示します。",
    "適合率": "一覧に入った児童生徒のうち、翌月に実際に不登校となった割合です。不登校はまれな"
              "ため、よいモデルでも低めになります。",
    "偽陽性率": "不登校とならなかった児童生徒のうち、それでも一覧に入った割合です。群のあいだで"
                "大きく違うと、ある群に声かけが偏っていることになります。",
    "ROC-AUC": "翌月に不登校となった子とならなかった子を1人ずつ選んだとき、不登校となった子の"
               "方に高い見込みが付いている確率です。0.5は当てずっぽうと同じ、1に近いほどよく"
               "見分けています。",
    "PR-AUC": "不登校のようにまれな出来事を、どれだけ取りこぼさず、しかも余計なものを含めずに"
              "並べられたかをまとめた数です。1に近いほどよく、まれな出来事では小さな値になり"
              "ます。",
    "Brierスコア": "見込み（0〜1）と実際（起きたら1、起きなければ0）の差を二乗して平均したもの"
                   "です。小さいほど、見込みの数値が実際に近いことを示します。",
    "95%区間": "評価に使った学校と月を入れ替えて計算し直したとき（ブートストラップ）、値のほとんど"
               "が入る範囲です。幅が広いほど、結果が不確かです。",
    "特徴量": "モデルが見込みを計算するときに見るデータの項目（先月の欠席日数、前年度の欠席など）"
              "のことです。",
    "ロジスティック回帰": "各項目に重みを付けて足し合わせ、0〜1の見込みに直す、よく使われる計算"
                          "方法です。どの項目がどれだけ効いたかを説明しやすい方法です。",
    "L1正則化・L2正則化": "重みが大きくなりすぎないように抑える工夫です。L1は効かない項目の重みを"
                          "0にし、L2は全体を少しずつ小さくします。学習したデータに合わせすぎるの"
                          "を防ぎます。",
    "勾配ブースティング木・ランダムフォレスト": "「先月の欠席が◯日以上なら…」のような分かれ道を"
                                               "たくさん組み合わせて見込みを計算する方法です。",
    "単回帰": "要因分析で、ひとつの要因だけを見て、欠席率との関連を調べたものです。",
    "ダブルLASSO": "要因分析で、ほかの要因（学年、学校、調査のほかの領域など）のうち関係の強いもの"
                   "を統計的に選び、その影響を差し引いたうえで、ひとつの要因と欠席率の関連を調べる"
                   "方法です。",
    "関連": "要因分析の結果は、データのなかで一緒に動く度合いです。原因と結果を示すものでは"
            "ありません。",
}


def term_tip(term: str) -> str:
    """The glossary's explanation of ``term`` for a tooltip ("" if not in the glossary)."""
    return GLOSSARY.get(term, "")


def tip_for_text(text: str) -> str:
    """The explanations of every glossary term that ``text`` mentions, one per line."""
    found = [f"{term}: {meaning}" for term, meaning in GLOSSARY.items()
             if any(part in text for part in _parts(term))]
    return "\n".join(found)


def _parts(term: str) -> tuple[str, ...]:
    """「L1正則化・L2正則化」 is named in text as either; 「Brierスコア」 also as 「Brier」."""
    if "・" in term:
        return tuple(term.split("・"))
    if term == "Brierスコア":
        return ("Brier",)
    return (term,)


def glossary_view(terms: tuple[str, ...] | None = None) -> QTextBrowser:
    """The 用語集 tab: every term (or ``terms``) with its explanation."""
    view = QTextBrowser()
    view.setAccessibleName("用語集")
    view.setOpenExternalLinks(False)
    view.document().setDocumentMargin(16)
    shown = terms or tuple(GLOSSARY)
    parts = ["<p>画面に出てくる統計の言葉の意味です。表の見出しや行にマウスを重ねても"
             "表示されます。</p>"]
    for term in shown:
        parts.append(f"<h3>{escape(term)}</h3><p>{escape(GLOSSARY[term])}</p>")
    view.setHtml("".join(parts))
    return view

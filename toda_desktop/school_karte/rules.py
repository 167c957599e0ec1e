"""What counts as a positive answer for each instrument (issue 15).

Choice instruments (授業がわかる調査, しあわせアンケート, 学校生活アンケート, 県学調質問紙) use
the item master's 肯定的回答 as it is. Instruments whose answers are not choices need a rule:

- Q-U: the share of pupils in 学級生活満足群 (満足群) — the group in which a pupil feels both
  accepted and free of infringement. The two scores (承認・被侵害) are not counted: they are
  the axes the group is made from.
- AiGROW: a competency score of 50 or more. AiGROW reports scores on a scale whose standard is
  50, so "positive" is "at or above the standard"; each competency is an item of the domain
  非認知能力.
- RST (rates of correct reading) is an ability measure, not an attitude: not in the survey
  tables.
"""

from __future__ import annotations

from storage.repos.school_karte import PositiveRule

QU_SATISFIED = ("学級生活満足群", "満足群")
AIGROW_STANDARD = 50.0
QU_DOMAIN = "学級満足度"
AIGROW_DOMAIN = "非認知能力"

RULES: tuple[PositiveRule, ...] = (
    PositiveRule("QU", "GROUP", QU_DOMAIN, categories=QU_SATISFIED),
    PositiveRule("AIGROW", "*", AIGROW_DOMAIN, at_least=AIGROW_STANDARD),
)
CHOICE_RULE = "調査設問マスタの「肯定的回答」に当たる回答を肯定的とみなします。"
RULE_TEXTS = {
    "QU": "学級生活満足群（満足群）に入った児童生徒を肯定的とみなします"
          "（承認得点・被侵害得点は含めません）。",
    "AIGROW": f"各能力の得点が{AIGROW_STANDARD:g}（標準）以上を肯定的とみなします。",
}


def rule_text(survey_code: str) -> str:
    return RULE_TEXTS.get(survey_code, CHOICE_RULE)

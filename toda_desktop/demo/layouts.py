"""Which files a kind is written to, with which columns and encodings, as sources send them.

- Kinds with much data per year are split into one file per school year
  (``attendance_monthly_2022.csv`` …); the others are one file (``bullying_records.csv``).
- Pupil kinds carry the person references their sender has: schools send the enrollment key
  and 氏名 (the city adds 宛名番号), the prefectural survey uses 県学調番号, Google Forms the
  Googleアカウント, other departments 宛名番号 only. Messy files also carry 氏名カナ, 生年月日
  and 性別 so that rows without any ID can still be matched by name.
- Clean files are UTF-8 without BOM. Messy files use the encoding the sender's software
  writes (CP932 from school systems, UTF-8 with BOM from Excel's "CSV UTF-8", plain UTF-8 from
  web forms); for year-split kinds one year (chosen by the seed) comes in the other encoding,
  as when a school changes its software. Messy bullying records arrive as an Excel
  workbook (date cells, and 生年月日 as bare Excel serial numbers).
"""

from __future__ import annotations

from storage.registry import DatasetKind

PER_YEAR = frozenset(
    {
        "enrollments",
        "attendance_monthly",
        "health_room_visits",
        "academic_results",
        "survey_responses",
        "long_absence",
        "health_checkups",
    }
)
# Columns that come before the person references (the rest of the kind's columns follow).
LEADING: dict[str, tuple[str, ...]] = {
    "attendance_monthly": ("school_year", "month"),
    "attendance_term": ("school_year", "term"),
    "health_room_visits": ("visit_date",),
    "academic_results": ("school_year",),
    "survey_responses": ("survey_code", "school_year", "round", "survey_date"),
    "long_absence": ("school_year", "month"),
    "bullying_records": ("recognized_date",),
    "consultations": ("consult_date",),
    "health_checkups": ("school_year",),
}
KEY = ("school_code", "grade", "class_name", "seat_number")
REFS: dict[str, tuple[str, ...]] = {
    "attendance_monthly": (*KEY, "address_code", "name"),
    "attendance_term": (*KEY, "address_code", "name"),
    "health_room_visits": (*KEY, "address_code", "name", "name_kana"),
    "academic_results": ("pref_id", *KEY, "address_code", "name"),
    "survey_responses": ("google_account", *KEY, "address_code"),
    "long_absence": (*KEY, "address_code", "name", "name_kana", "birth_date", "sex"),
    "bullying_records": (*KEY, "address_code", "name"),
    "consultations": (*KEY, "address_code", "name", "name_kana"),
    "health_checkups": (*KEY, "address_code", "name", "name_kana", "birth_date", "sex"),
}
MESSY_EXTRA_REFS: dict[str, tuple[str, ...]] = {
    "survey_responses": ("pref_id", "name", "birth_date"),
}
NAME_REFS = ("name", "name_kana", "birth_date", "sex")

# Encoding of messy files per kind: (usual, the one year's other encoding).
MESSY_ENCODING: dict[str, tuple[str, str]] = {
    "students": ("utf-8-sig", "utf-8-sig"),
    "schools": ("utf-8", "utf-8"),
    "enrollments": ("utf-8-sig", "cp932"),
    "school_context": ("cp932", "cp932"),
    "attendance_monthly": ("cp932", "utf-8-sig"),
    "attendance_term": ("cp932", "cp932"),
    "school_questionnaire": ("cp932", "cp932"),
    "health_room_visits": ("cp932", "utf-8"),
    "academic_results": ("utf-8-sig", "utf-8"),
    "survey_items": ("utf-8", "utf-8"),
    "survey_responses": ("utf-8", "utf-8-sig"),
    "long_absence": ("cp932", "utf-8-sig"),
    "bullying_records": ("xlsx", "xlsx"),
    "consultations": ("cp932", "cp932"),
    "health_checkups": ("utf-8-sig", "cp932"),
    "infant_checkups": ("cp932", "cp932"),
    "preschool": ("utf-8-sig", "utf-8-sig"),
}
# Main date spelling of messy files per kind (others appear in some rows).
MESSY_DATE_FORMAT: dict[str, str] = {
    "students": "wareki_kanji",
    "enrollments": "slash",
    "attendance_monthly": "slash",
    "academic_results": "compact",
    "health_room_visits": "slash",
    "survey_responses": "iso",
    "long_absence": "wareki_letter",
    "bullying_records": "wareki_kanji",
    "consultations": "slash",
    "health_checkups": "wareki_padded",
    "infant_checkups": "compact",
    "preschool": "wareki_kanji",
}


def file_columns(kind: DatasetKind, messy: bool) -> list[str]:
    """Column keys of a kind's file, in file order."""
    name = kind.name
    if name not in REFS:
        return [c.key for c in kind.columns]
    leading = list(LEADING[name])
    refs = list(REFS[name])
    if messy:
        refs += [c for c in MESSY_EXTRA_REFS.get(name, NAME_REFS) if c not in refs]
    rest = [c.key for c in kind.stored_columns if c.key not in leading]
    return [*leading, *refs, *rest]

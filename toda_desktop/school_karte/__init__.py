"""学校カルテ (issue 15): each school's survey results, growth and basic information, with the
uncertainty shown and schools always in school-code order — never a ranking."""

from toda_desktop.school_karte.models import (
    CAPTION,
    BasicInfo,
    CityView,
    CorrelationResult,
    SchoolInfo,
    SchoolKarte,
    SupportCount,
    SurveyInfo,
    SurveyResult,
)

__all__ = ["CAPTION", "BasicInfo", "CityView", "CorrelationResult", "SchoolInfo",
           "SchoolKarte", "SupportCount", "SurveyInfo", "SurveyResult"]

"""The risk evaluation as typed records: reports stored before stay readable, a round trip
keeps them unchanged, and the service, the card and the pages read fields, not keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analysis.risk import model_card
from analysis.risk.report import MODEL, Evaluation, Interval
from kernel.school_calendar import SchoolMonth
from tests.risk.conftest import sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.errors import NoModelYet, UserFacingError
from toda_desktop.risk import Reevaluation, RiskService

# A model row written by the code before the evaluation became typed (commit e46a0de).
STORED = Path(__file__).parents[1] / "fixtures" / "risk" / "stored_model_e46a0de.json"


@pytest.fixture(scope="module")
def stored() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(STORED.read_text(encoding="utf-8"))
    return data


def test_a_stored_report_reads_into_fields_and_writes_back_unchanged(
    stored: dict[str, Any]
) -> None:
    raw = stored["metrics_json"]["evaluation"]
    evaluation = Evaluation.from_json(raw)
    assert evaluation.to_json() == raw
    assert json.loads(json.dumps(evaluation.to_json())) == raw  # as the store keeps it
    model = evaluation.model
    assert model is not None and model.key == evaluation.choice.model  # type: ignore[union-attr]
    assert set(model.recall) == {3, 5, 10}
    recall5 = model.recall[5]
    assert isinstance(recall5, Interval) and recall5.value == raw["scorings"]["model"][
        "recall@5"]["value"]
    assert evaluation.test_year == raw["test_year"]
    assert evaluation.months == tuple(SchoolMonth.parse(m) for m in raw["months"])
    assert evaluation.months[0] == SchoolMonth(2025, 4) and evaluation.months[-1].month == 3
    assert all(isinstance(m.month, SchoolMonth) for m in evaluation.model.per_month)  # type: ignore[union-attr]
    assert evaluation.bar is not None
    assert [r.key for r in evaluation.bar.reason_aware] == [
        r["key"] for r in raw["bar"]["reason_aware"]]
    assert model.reliability and model.bands  # the model's own parts
    assert evaluation.scorings["cum_abs"].reliability is None  # a baseline has none
    assert set(evaluation.fairness[MODEL]) >= {"性別", "学年"}
    assert all(isinstance(g.n, int) for a in evaluation.fairness[MODEL].values()
               for g in a.groups)


def test_the_card_from_a_stored_report_is_the_card_written_at_training(
    stored: dict[str, Any]
) -> None:
    card = stored["card_json"]
    evaluation = Evaluation.from_json(stored["metrics_json"]["evaluation"])
    assert model_card(card["facts"], evaluation) == card["markdown"]


def test_a_report_without_its_optional_parts_still_reads(stored: dict[str, Any]) -> None:
    """A bare evaluation (no choice, no fairness audit, no three-month horizon, a scoring
    without intervals) is read with those parts empty, and its card is still written."""
    raw = json.loads(json.dumps(stored["metrics_json"]["evaluation"]))
    for key in ("choice", "fairness", "horizon3"):
        del raw[key]
    del raw["scorings"]["model"]["reliability"], raw["scorings"]["model"]["lead_time"]
    raw["scorings"]["cum_abs"]["auc"] = None
    evaluation = Evaluation.from_json(raw)
    assert evaluation.choice is None and not evaluation.simple_chosen
    assert evaluation.fairness == {} and evaluation.horizon3 == {}
    assert evaluation.model is not None and evaluation.model.lead_time.mean is None
    assert evaluation.scorings["cum_abs"].auc is None
    card = model_card({}, evaluation)
    assert "## 公平性の点検" not in card and "## 3か月以内の見通し" not in card


def test_the_service_returns_typed_reports_and_stores_them_as_before(
    sessions: dict[str, SignedIn]
) -> None:
    lead = sessions["project_lead"]
    info = RiskService(lead.context).model_info()
    assert info.evaluation is not None and info.evaluation.bar is not None
    assert info.simple_chosen == info.evaluation.simple_chosen
    # The page shows the name and puts the settings in a tooltip: two fields, not a split.
    assert info.config_name and info.config_label in (
        info.config_name, f"{info.config_name[:-1]}; {info.config_settings}）")
    again = RiskService(lead.context).evaluate(n_boot=30)
    assert isinstance(again, Reevaluation) and again.model_id == info.id
    assert not again.data_changed and again.trained_on_data_version == info.data_version
    assert again.evaluation.test_year == info.evaluation.test_year
    assert again.evaluation.scorings.keys() == info.evaluation.scorings.keys()


def test_before_the_first_training_the_service_raises_no_model_yet(
    demo_store_path: Path
) -> None:
    signed = sign_in(demo_store_path, "project_lead")
    try:
        service = RiskService(signed.context)
        with pytest.raises(NoModelYet) as raised:
            service.model_info()
        assert isinstance(raised.value, UserFacingError)  # shown as it is elsewhere
        assert "risk train" in raised.value.message_ja
        with pytest.raises(NoModelYet):
            service.score(service.list_months()[-1])
    finally:
        signed.sign_out()

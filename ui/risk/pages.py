"""Registering the risk pages in the main window (called by the shell).

- 見守りアラート: roles for which ``signed.risk.may_see_alerts()`` (the truancy-related
  datasets with ``view``); CSV only with ``export``; 「カルテを開く」 only when the shell
  gives a way to open the karte.
- 予測モデル and 要因分析: roles with ``analysis``.

A month's lists made, an alert marked or a model trained reach the other pages through
``on_changed`` (the shell's ``changed``), with the kinds ``ui.page.ALERT_LISTS`` and
``ui.page.RISK_MODEL``: the karte's 不登校の早期把握 and this page read them again.

The service checks again on every call; hiding a page is for clarity only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kernel.date_style import DateStyle
from ui.background import BackgroundRunner
from ui.risk.alerts_page import AlertsPage
from ui.risk.factors_page import FactorsPage
from ui.risk.model_page import RiskModelPage

if TYPE_CHECKING:
    from toda_desktop.composition import SignedIn
    from toda_desktop.risk.service import Alert
    from ui.main_window import MainWindow
    from ui.printing.flow import PrintFlow

RISK_SECTION = "早期把握と分析"
ALERTS_TITLE = "見守りアラート"
MODEL_TITLE = "予測モデル"
FACTORS_TITLE = "要因分析"


def add_risk_pages(
    window: MainWindow,
    signed: SignedIn,
    runner: BackgroundRunner,
    date_style: DateStyle,
    *,
    open_karte: Callable[[int], None] | None = None,
    analysis_runner: BackgroundRunner | None = None,
    on_changed: Callable[[frozenset[str]], None] | None = None,
    printer: PrintFlow | None = None,
    open_case: Callable[[Alert], None] | None = None,
    case_links: tuple[Callable[[Sequence[int]], dict[int, str]], Callable[[str], None]]
    | None = None,
) -> list[str]:
    """Add the pages this role may use; returns their titles.

    ``analysis_runner``: a second runner for training and evaluation, so that minutes of
    training do not queue every other page's loading behind them (default: ``runner``).
    ``on_changed``: told the kinds a page changed (lists made, an alert marked, a model).
    ``open_case``: opens the case of an alert marked 支援開始 (None: roles without cases).
    ``case_links``: the cases' ``alert_cases`` and how to open a case by its key, for the
    alert list's ケース column (None: roles without cases, no column).
    """
    risk = signed.risk
    list_months, school_years = risk.list_months, risk.school_years
    added: list[str] = []
    if risk.may_see_alerts():
        alerts = AlertsPage(
            risk,
            list_months,
            runner,
            date_style,
            can_export=signed.may("export"),
            can_open_karte=open_karte is not None,
            purposes=signed.export_purposes,
            printer=printer,
            can_open_case=open_case is not None,
            alert_cases=case_links[0] if case_links is not None else None,
            open_case_key=case_links[1] if case_links is not None else None,
        )
        if open_case is not None:
            alerts.case_requested.connect(open_case)
        if open_karte is not None:
            alerts.open_requested.connect(open_karte)
        if on_changed is not None:
            alerts.store_changed.connect(on_changed)
        window.add_page(ALERTS_TITLE, alerts, RISK_SECTION)
        added.append(ALERTS_TITLE)
    if signed.may("analysis"):
        model = RiskModelPage(risk, analysis_runner or runner, date_style)
        if on_changed is not None:
            model.store_changed.connect(on_changed)
        window.add_page(MODEL_TITLE, model, RISK_SECTION)
        window.add_page(
            FACTORS_TITLE,
            FactorsPage(risk.run_factor_analysis, school_years, runner, date_style,
                        kept=risk.kept_factor_analysis, analysis_runner=analysis_runner),
            RISK_SECTION,
        )
        added += [MODEL_TITLE, FACTORS_TITLE]
    return added

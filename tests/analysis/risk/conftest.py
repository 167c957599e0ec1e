"""A small demo city as model inputs, built once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.risk import RiskInputs, build_frame
from tests.analysis.risk.helpers import city_inputs
from toda_desktop.demo import DemoConfig, generate_city


@pytest.fixture(scope="session")
def small_inputs() -> RiskInputs:
    """2 primary + 1 junior high, ~60 pupils each, 2023–2025 (seed 3)."""
    return city_inputs(generate_city(DemoConfig.small(seed=3)))


@pytest.fixture(scope="session")
def mid_inputs() -> RiskInputs:
    """Bigger than small (4 + 2 schools of 200 and 180), enough onsets to fit models."""
    return city_inputs(generate_city(DemoConfig(
        seed=5, n_primary=4, n_junior_high=2, primary_size=200, junior_high_size=180,
        first_year=2022, last_year=2025, homonym_pairs=1)))


@pytest.fixture(scope="session")
def mid_frame(mid_inputs: RiskInputs) -> pd.DataFrame:
    return build_frame(mid_inputs)

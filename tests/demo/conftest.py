"""Shared demo cities and written file sets (generated once per test session)."""

from __future__ import annotations

import os

import pytest

from toda_desktop.demo import (
    DemoCity,
    DemoConfig,
    InterchangeOutput,
    generate_city,
    write_interchange_files,
)

# Another seed can be tried with TODA_DEMO_TEST_SEED=n (the tests must hold for any seed).
SMALL_SEED = int(os.environ.get("TODA_DEMO_TEST_SEED", "7"))


@pytest.fixture(scope="session")
def small_city() -> DemoCity:
    return generate_city(DemoConfig.small(seed=SMALL_SEED))


@pytest.fixture(scope="session")
def clean_output(
    small_city: DemoCity, tmp_path_factory: pytest.TempPathFactory
) -> InterchangeOutput:
    return write_interchange_files(small_city, tmp_path_factory.mktemp("clean"), messy=False)


@pytest.fixture(scope="session")
def messy_output(
    small_city: DemoCity, tmp_path_factory: pytest.TempPathFactory
) -> InterchangeOutput:
    return write_interchange_files(small_city, tmp_path_factory.mktemp("messy"), messy=True)

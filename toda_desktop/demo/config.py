"""Size and seed of a demo city; everything else is calibrated in ``resources/demo/*.toml``.

The config is small on purpose: it says how big the city is and which random stream to use.
How pupils behave (absence rates, long-absence hazard, survey answers …) is data in
``resources/demo/calibration.toml`` so that it can be tuned without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoConfig:
    """How large the generated city is, which school years it covers, and its seed."""

    seed: int = 0
    n_primary: int = 12
    n_junior_high: int = 6
    primary_size: int = 690
    junior_high_size: int = 590
    first_year: int = 2022
    last_year: int = 2025
    transfer_rate: float = 0.015
    homonym_pairs: int = 6

    def __post_init__(self) -> None:
        if self.n_primary < 1 or self.n_junior_high < 1:
            raise ValueError("a demo city needs at least one primary and one junior-high school")
        if self.n_junior_high > self.n_primary:
            raise ValueError("every junior-high district needs at least one primary school")
        if self.primary_size < 6 or self.junior_high_size < 3:
            raise ValueError("schools need at least one pupil per grade")
        if not 2000 <= self.first_year <= self.last_year <= 2100:
            raise ValueError("first_year must not be after last_year")
        if not 0.0 <= self.transfer_rate < 0.5:
            raise ValueError("transfer_rate must be in [0, 0.5)")
        if self.homonym_pairs < 0:
            raise ValueError("homonym_pairs must not be negative")

    @classmethod
    def small(cls, seed: int = 0) -> DemoConfig:
        """A tiny city for tests: 2 primary + 1 junior high, ~60 pupils each, 3 years."""
        return cls(
            seed=seed,
            n_primary=2,
            n_junior_high=1,
            primary_size=60,
            junior_high_size=60,
            first_year=2023,
            last_year=2025,
            homonym_pairs=1,
        )

    @classmethod
    def calibration(cls, seed: int = 0) -> DemoConfig:
        """Full-size schools but only 4 primary + 2 junior high: checks rates in seconds."""
        return cls(seed=seed, n_primary=4, n_junior_high=2, homonym_pairs=2)

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))

    @property
    def n_schools(self) -> int:
        return self.n_primary + self.n_junior_high

"""Demo city generator: a fictitious Japanese city's education data, reproducible by seed.

Public API::

    from toda_desktop.demo import DemoConfig, DemoCity, generate_city, write_interchange_files
    city = generate_city(DemoConfig(seed=42), progress=None, cancel=None)
    out = write_interchange_files(city, out_dir, messy=True)

``city.frames`` has one frame per registry kind with the registry's column keys (pupil kinds:
``address_code`` of the true pupil + stored columns); dates are ISO strings, 学年 runs 1–6 in
primary and 7–9 in junior high, missing is ``pd.NA`` (see ``frames``). ``city.truth`` holds
what no real city knows (latent risk, truancy episodes, twins, homonyms) for tests and honest
model evaluation. See ``generator`` (steps), ``population``, ``risk`` (latent process),
``interchange`` and ``layouts`` (files), ``messy`` (what messy files contain) and ``checks``
(calibration figures).
"""

from toda_desktop.demo.config import DemoConfig
from toda_desktop.demo.generator import Cancelled, DemoCity, generate_city
from toda_desktop.demo.interchange import InterchangeOutput, write_interchange_files

__all__ = [
    "Cancelled",
    "DemoCity",
    "DemoConfig",
    "InterchangeOutput",
    "generate_city",
    "write_interchange_files",
]

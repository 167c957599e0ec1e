"""One import in a fresh process, for the import benchmark: prints its times and peak memory.

``python -m tests.benchmarks.import_worker STORE FILE PASSWORD`` imports FILE into STORE
(inspect → preview → commit, as the window and the command line do) and prints one JSON line:
wall and CPU seconds per step, rows inserted, and the process's peak resident memory (MiB).
A process of its own, so that the peak is the import's and nothing else's. A fourth argument
``--read-again`` keeps no checked rows between the preview's passes (as for a file too large
to keep: ``importing.chunks.HOLD_BYTES``), so the memory a file too large to keep needs is
measured on a smaller one. ``--report PATH`` also writes the preview's validation report
to PATH (CSV) after the preview, as a user does with a file that has many findings.
``--held N`` keeps at most N findings in memory (``importing.findings_held.HELD_FINDINGS``;
beyond, they spill to the encrypted file): a bound larger than the file's findings measures
the import with spilling disabled.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import toda_desktop.importing.chunks as chunks
import toda_desktop.importing.findings_held as findings_held
from toda_desktop.composition import Application
from toda_desktop.export_purpose.model import Purpose


def _peak_mib() -> float:
    """Peak resident memory of this process image. VmHWM, because ru_maxrss of a process
    started by fork+exec may still carry the parent's peak (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(store: Path, path: Path, password: str, report: Path | None = None
         ) -> dict[str, float]:
    app = Application(store)
    try:
        signed = app.sign_in("lead", password)
        before = _peak_mib()
        marks = [(time.perf_counter(), time.process_time())]
        inspection = signed.importing.inspect(path)
        marks.append((time.perf_counter(), time.process_time()))
        preview = signed.importing.preview(inspection)
        marks.append((time.perf_counter(), time.process_time()))
        previewed = _peak_mib()
        reported = 0
        if report is not None:
            # The report names a school's whole file: stated purpose, no approval asked here.
            signed.export_purposes.set_threshold(10**6)
            reported = signed.importing.export_issues(
                preview, report, purpose=Purpose("学校への情報提供")).rows
        marks.append((time.perf_counter(), time.process_time()))
        # A file whose rows are all stored already has nothing to commit (the preview says so).
        inserted = signed.importing.commit(preview).inserted if preview.can_commit else 0
        marks.append((time.perf_counter(), time.process_time()))
        spill = preview.findings.spill_path
        preview.close()
        assert spill is None or not spill.exists()
    finally:
        app.close()
    out: dict[str, float] = {"inserted": inserted, "rss_before_mib": before,
                             "identical": preview.counts.get("identical", 0),
                             "findings": len(preview.findings), "reported": reported,
                             "spilled": float(spill is not None),
                             "preview_peak_mib": previewed,
                             "peak_rss_mib": _peak_mib()}
    for i, step in enumerate(("read", "prepare", "report", "commit")):
        out[f"{step}_wall"] = marks[i + 1][0] - marks[i][0]
        out[f"{step}_cpu"] = marks[i + 1][1] - marks[i][1]
    out["total_wall"] = marks[-1][0] - marks[0][0]
    out["total_cpu"] = marks[-1][1] - marks[0][1]
    return out


if __name__ == "__main__":
    options = sys.argv[4:]
    if "--read-again" in options:
        chunks.HOLD_BYTES = 0
    if "--held" in options:
        findings_held.HELD_FINDINGS = int(options[options.index("--held") + 1])
    to = Path(options[options.index("--report") + 1]) if "--report" in options else None
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], to)))

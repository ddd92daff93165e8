"""Benchmark: render the GST tax invoice PDF in-process (not part of pytest).

Renders a 1-line and a 30-line invoice RUNS times each, every run a different invoice number
(so nothing the renderer might keep between documents can serve a repeat), after a warm-up
that loads the font and the templates. Prints p50 and p95 of wall-clock and CPU time against
the targets (p50 <= 25 ms for one line, <= 60 ms for 30 lines) and the load average, since on
a shared machine the wall clock also counts other processes. Exits 1 if a target is missed.

    .venv/bin/python bench/pdf_render.py [--runs 200]
"""

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from khata.document import TaxInvoice, render_pdf
from tests.document.examples import invoice, item_line, many_lines

TARGETS_MS = {1: 25.0, 30: 60.0}


def one_line() -> TaxInvoice:
    return invoice((item_line("Cotton shirting fabric, 58 inch", "5208", 250, 32_000, intra=True),))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def measure(doc: TaxInvoice, runs: int) -> tuple[list[float], list[float]]:
    for warm_up in range(5):
        render_pdf(replace(doc, invoice_number=f"WARM/{warm_up}"))
    wall: list[float] = []
    cpu: list[float] = []
    for run in range(runs):
        numbered = replace(doc, invoice_number=f"KT/2025-26/{run:05d}")
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        render_pdf(numbered)
        cpu.append((time.process_time() - cpu_start) * 1000)
        wall.append((time.perf_counter() - wall_start) * 1000)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, {runs} runs each")
    missed = False
    for lines, doc in ((1, one_line()), (30, many_lines(30))):
        wall, cpu = measure(doc, runs)
        wall_p50, wall_p95 = percentiles(wall)
        cpu_p50, cpu_p95 = percentiles(cpu)
        target = TARGETS_MS[lines]
        verdict = "ok" if wall_p50 <= target else "MISSED"
        missed |= wall_p50 > target
        print(
            f"{lines:>2} line(s): wall p50 {wall_p50:5.1f} ms p95 {wall_p95:5.1f} ms | "
            f"cpu p50 {cpu_p50:5.1f} ms p95 {cpu_p95:5.1f} ms | target p50 <= {target:.0f} ms: "
            f"{verdict} | {len(render_pdf(doc))} bytes"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

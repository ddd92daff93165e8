"""Benchmark: render the GST tax invoice PDF in-process (not part of pytest).

Renders a 1-line and a 30-line invoice RUNS times each (after a warm-up that loads the font
and the templates) and prints p50 and p95 against the targets: p50 <= 25 ms for one line and
<= 60 ms for 30 lines.

    .venv/bin/python bench/pdf_render.py [--runs 200]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from khata.document import TaxInvoice, render_pdf
from tests.document.examples import invoice, item_line, many_lines

TARGETS_MS = {1: 25.0, 30: 60.0}


def one_line() -> TaxInvoice:
    return invoice((item_line("Cotton shirting fabric, 58 inch", "5208", 250, 32_000, intra=True),))


def timings_ms(doc: TaxInvoice, runs: int) -> list[float]:
    for _ in range(5):
        render_pdf(doc)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        render_pdf(doc)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    failed = False
    for lines, doc in ((1, one_line()), (30, many_lines(30))):
        samples = sorted(timings_ms(doc, runs))
        p50 = statistics.median(samples)
        p95 = samples[int(len(samples) * 0.95) - 1]
        size = len(render_pdf(doc))
        verdict = "ok" if p50 <= TARGETS_MS[lines] else "SLOW"
        failed |= verdict != "ok"
        print(
            f"{lines:>2} line(s): p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
            f"(target p50 <= {TARGETS_MS[lines]:.0f} ms: {verdict}), {size} bytes"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Process-wide counters and histograms, written out in the Prometheus text format (0.0.4).

Each process counts its own (Prometheus adds them up across processes); gauges read from the
database are global and are rendered by the caller with `gauge_lines`.
"""

import math
import threading
from collections.abc import Iterable, Sequence

LabelKey = tuple[tuple[str, str], ...]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(key: LabelKey, extra: tuple[tuple[str, str], ...] = ()) -> str:
    pairs = (*key, *extra)
    if not pairs:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in pairs) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self._values: dict[LabelKey, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0)

    def lines(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        with self._lock:
            items = sorted(self._values.items())
        out += [f"{self.name}{_labels(key)} {_number(value)}" for key, value in items]
        return out


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: Sequence[float]) -> None:
        self.name, self.help = name, help_text
        self.buckets = tuple(sorted(buckets))
        self._series: dict[LabelKey, tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            counts, total = self._series.setdefault(key, ([0] * (len(self.buckets) + 1), [0.0]))
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[index] += 1
                    break
            else:
                counts[-1] += 1
            total[0] += value

    def lines(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        with self._lock:
            series = sorted((key, (list(c), t[0])) for key, (c, t) in self._series.items())
        for key, (counts, total) in series:
            running = 0
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                running += count
                le = (("le", _number(bound)),)
                out.append(f"{self.name}_bucket{_labels(key, le)} {running}")
            out.append(f"{self.name}_sum{_labels(key)} {_number(total)}")
            out.append(f"{self.name}_count{_labels(key)} {running}")
        return out


_REGISTRY: list[Counter | Histogram] = []


def counter(name: str, help_text: str) -> Counter:
    metric = Counter(name, help_text)
    _REGISTRY.append(metric)
    return metric


def histogram(name: str, help_text: str, buckets: Sequence[float] = DEFAULT_BUCKETS) -> Histogram:
    metric = Histogram(name, help_text, buckets)
    _REGISTRY.append(metric)
    return metric


def gauge_lines(
    name: str, help_text: str, samples: Iterable[tuple[dict[str, str], float]]
) -> list[str]:
    """A gauge read at scrape time (e.g. from the database)."""
    out = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        out.append(f"{name}{_labels(tuple(sorted(labels.items())))} {_number(value)}")
    return out


def exposition(extra: Iterable[str] = ()) -> str:
    """Every registered metric of this process, then `extra` lines, as the text format."""
    lines = [line for metric in _REGISTRY for line in metric.lines()]
    return "\n".join([*lines, *extra]) + "\n"

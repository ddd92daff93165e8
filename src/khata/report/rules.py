"""Pure report rules: aging buckets and their edges, DSO intervals and figures (dates as args)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise

DEFAULT_BUCKETS = (30, 60, 90)
MAX_BUCKETS = 8
CURRENT = "current"
MAX_INTERVALS = 60


class AgingBasis(StrEnum):
    """Which date an invoice ages from."""

    DUE_DATE = "dueDate"
    INVOICE_DATE = "invoiceDate"


class Interval(StrEnum):
    """How a DSO period is cut."""

    MONTH = "month"
    QUARTER = "quarter"


def bucket_problem(buckets: Sequence[int]) -> str | None:
    """Why `buckets` (upper bounds in days) cannot be used, or None."""
    if not buckets:
        return "must name at least one bucket bound"
    if len(buckets) > MAX_BUCKETS:
        return f"must name at most {MAX_BUCKETS} bucket bounds"
    if any(bound < 1 for bound in buckets):
        return "bucket bounds must be positive whole days"
    if any(later <= earlier for earlier, later in pairwise(buckets)):
        return "bucket bounds must be strictly ascending"
    return None


def bucket_labels(buckets: Sequence[int]) -> list[str]:
    """`current`, then one label per bound (`1-30`, `31-60`, ...), then `<last>+`."""
    labels = [CURRENT]
    low = 1
    for bound in buckets:
        labels.append(f"{low}-{bound}")
        low = bound + 1
    labels.append(f"{buckets[-1]}+")
    return labels


def bucket_index(days: int, buckets: Sequence[int]) -> int:
    """The bucket of an amount `days` past its date: not yet past (days <= 0) is current (0);
    else the first bound it does not exceed; beyond the last bound the last bucket."""
    if days <= 0:
        return 0
    for index, bound in enumerate(buckets, start=1):
        if days <= bound:
            return index
    return len(buckets) + 1


def bucket_floors(as_of: date, buckets: Sequence[int]) -> list[date]:
    """The same buckets as dates for a query: an invoice whose aging date is on or after
    floors[i] (and before floors[i-1]) is in bucket i; older than the last floor, the last
    bucket. bucket_index(as_of - d) == first i with d >= floors[i], else len(floors)."""
    return [as_of, *(as_of - timedelta(days=bound) for bound in buckets)]


@dataclass(frozen=True)
class Span:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _next_start(day: date, interval: Interval) -> date:
    months = 1 if interval is Interval.MONTH else 3
    first_month = day.month if interval is Interval.MONTH else 3 * ((day.month - 1) // 3) + 1
    month_index = day.year * 12 + first_month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def intervals(start: date, end: date, interval: Interval) -> list[Span]:
    """Calendar months (or quarters) covering start..end, the first and last cut to them."""
    spans: list[Span] = []
    day = start
    while day <= end:
        following = _next_start(day, interval)
        spans.append(Span(day, min(end, following - timedelta(days=1))))
        day = following
    return spans


def interval_count(start: date, end: date, interval: Interval) -> int:
    """How many intervals start..end makes, without building them (to refuse huge periods)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months // (1 if interval is Interval.MONTH else 3) + 2


def dso(receivables: int, credit_sales: int, days: int) -> Decimal | None:
    """Days sales outstanding: receivables / credit sales x days, half-up to 2 decimals; None
    without sales (the ratio means nothing then)."""
    if credit_sales <= 0:
        return None
    ratio = Decimal(receivables) * days / Decimal(credit_sales)
    return ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def financial_year_start(day: date) -> date:
    """1 April of the Indian financial year `day` falls in (a statement's default start)."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)

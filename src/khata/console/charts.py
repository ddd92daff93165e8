"""Bar charts as inline SVG drawn on the server: no script, and the figures stay in the page
as text (a table beside the chart) for readers that do not see pictures."""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from khata.document.figures import rupees

_WIDTH, _ROW, _LABEL, _GAP = 640, 34, 90, 6


@dataclass(frozen=True)
class Bar:
    label: str
    paise: int
    late: bool = False


def bar_chart(bars: Sequence[Bar], *, title: str) -> Markup:
    """Horizontal bars scaled to the largest; each labelled with its bucket and its amount."""
    largest = max((bar.paise for bar in bars), default=0)
    room = _WIDTH - _LABEL - 150
    height = _ROW * len(bars) + _GAP
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-labelledby="chart-title"><title id="chart-title">{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        y = index * _ROW + _GAP
        length = 0 if largest <= 0 else max(0, round(room * bar.paise / largest))
        css = "bar late" if bar.late else "bar"
        parts.append(
            f'<text x="0" y="{y + 18}">{escape(bar.label)}</text>'
            f'<rect class="{css}" x="{_LABEL}" y="{y}" width="{length}" height="{_ROW - 10}"/>'
            f'<text x="{_LABEL + length + 6}" y="{y + 18}">{escape(rupees(bar.paise))}</text>'
        )
    parts.append("</svg>")
    # Built from escaped labels and our own numbers only.
    return Markup("".join(parts))

"""The monthly activity chart of the report, drawn on the server as SVG (no script, no fetch);
its months and numbers in the current language (cases/languages.py)."""

from datetime import date

from django.utils.html import escape

from cases.languages import chart_month_label, month_abbreviations, number

WIDTH, HEIGHT = 680, 190
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 14, 34
BAR_COLOUR = "#1f5fbf"
GRID_COLOUR = "#d9dee7"
TEXT_COLOUR = "#5b6475"


def months_between(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s month to `last`'s month, inclusive."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def nice_ceiling(value: int) -> int:
    """A round number at or above `value` for the top of the axis (1, 2, 5 × 10^n)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def monthly_chart_svg(counts: dict[date, int], months: list[date], *, title: str) -> str:
    """A bar chart of events per month; every label is escaped."""
    top = nice_ceiling(max(counts.values(), default=0) or 1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(months), 1)
    bar_w = min(max(slot * 0.7, 1), 40)
    label_every = max(1, round(len(months) / 12))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
        'font-family="DSAR Sans" font-size="9">',
        f"<title>{escape(title)}</title>",
    ]
    steps = next(n for n in (4, 5, 2, 1) if top % n == 0)  # round numbers on the axis
    for i in range(steps + 1):
        value = top * i // steps
        y = TOP + plot_h - plot_h * i / steps
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}" stroke-width="0.6"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" fill="{TEXT_COLOUR}">'
            f"{number(value)}</text>"
        )
    names = month_abbreviations()
    for index, month in enumerate(months):
        count = counts.get(month, 0)
        x = LEFT + index * slot + (slot - bar_w) / 2
        height = plot_h * count / top
        y = TOP + plot_h - height
        if count:
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'fill="{BAR_COLOUR}"><title>{escape(names[month.month - 1])} {month.year}: '
                f"{number(count)}</title></rect>"
            )
        if index % label_every == 0:
            label = chart_month_label(month, with_year=month.month == 1 or not index)
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 12}" '
                f'text-anchor="middle" fill="{TEXT_COLOUR}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)

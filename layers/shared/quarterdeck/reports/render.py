"""Render a report to its email: `templates/reports/<kind>.txt` and `<kind>.html`.

Autoescape is on for the HTML part (data such as a client's name stays text). The HTML uses
tables and presentational attributes only: no images, no scripts, no style attributes, so
email clients draw the bar charts and the app can preview it under its strict CSP.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from quarterdeck.mail import OutgoingEmail
from quarterdeck.reports.model import Chart, Report

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "reports"

TONES = {
    "actual": "#0b4f8a",
    "target": "#9aa9b8",
    "good": "#1b6e3a",
    "warn": "#b34700",
    "bad": "#b00020",
    "muted": "#9aa9b8",
}
TRACK = "#e6ebf0"
TEXT_BAR_WIDTH = 30


def money(value: float | None, cents: bool = False) -> str:
    if value is None:
        return "not available"
    sign = "-" if value < 0 else ""
    amount = abs(value)
    return f"{sign}${amount:,.2f}" if cents else f"{sign}${amount:,.0f}"


def percent(value: float | None, digits: int = 0) -> str:
    return "not available" if value is None else f"{100 * value:.{digits}f}%"


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "not available"
    return f"{value:,.{digits}f}"


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return f"{value:%a} {value:%b} {value.day}, {value.year}"


def text_bar(width: int) -> str:
    marks = round(width * TEXT_BAR_WIDTH / 100)
    return "#" * marks + "." * (TEXT_BAR_WIDTH - marks)


def chart_text(chart: Chart) -> str:
    """A chart in plain text: one line per bar, '#' marks against '.' for the rest."""
    width = max((len(row.label) for row in chart.rows), default=0)
    lines = [chart.title]
    for row in chart.rows:
        if len(row.bars) == 1:
            lines.append(f"  {row.label:<{width}}  {text_bar(row.bars[0].width)}  {row.note}")
            continue
        names = max((len(bar.label) for bar in row.bars), default=0)
        for n, bar in enumerate(row.bars):
            label = row.label if n == 0 else ""
            lines.append(f"  {label:<{width}}  {bar.label:<{names}} {text_bar(bar.width)}")
        lines.append(f"  {'':<{width}}  {row.note}")
    return "\n".join(lines)


def tone_color(tone: str) -> str:
    return TONES.get(tone, TONES["actual"])


def plural(count: int | float | None, singular: str, many: str | None = None) -> str:
    word = singular if count == 1 else (many or singular + "s")
    return f"{number(count) if count is not None else 'no'} {word}"


@lru_cache(maxsize=1)
def _environment() -> Any:
    from quarterdeck.mail import template_environment

    env = template_environment(TEMPLATE_DIR, keep_trailing_newline=True)
    env.filters.update(
        chart_text=chart_text,
        money=money,
        percent=percent,
        number=number,
        day=day,
        text_bar=text_bar,
        tone=tone_color,
        plural=plural,
    )
    env.globals.update(track=TRACK)
    return env


def render_parts(report: Report, app_url: str) -> tuple[str, str]:
    env = _environment()
    context = {"report": report, "d": report.data, "app_url": app_url.rstrip("/")}
    text = env.get_template(f"{report.kind}.txt").render(context)
    html = env.get_template(f"{report.kind}.html").render(context)
    return text, html


def render_report(
    report: Report,
    to: Sequence[str],
    *,
    bcc: Sequence[str] = (),
    app_url: str = "",
    reply_to: Sequence[str] = (),
) -> OutgoingEmail:
    text, html = render_parts(report, app_url)
    return OutgoingEmail(
        to=tuple(to),
        bcc=tuple(bcc),
        subject=report.subject,
        text=text,
        html=html,
        kind=f"report_{report.kind}",
        reply_to=tuple(reply_to),
    )

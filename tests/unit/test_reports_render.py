"""Acceptance 6: every report renders in both parts, and the HTML part escapes data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from quarterdeck.reports import KINDS
from quarterdeck.reports.dispatch import default_period
from quarterdeck.reports.kinds import Source, build_report
from quarterdeck.reports.portfolio import load_portfolio_file, parse_portfolio
from quarterdeck.reports.render import render_report

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "portfolio.example.toml"
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ATTACK = "<script>alert(1)</script>"


def render(kind: str, text: str | None = None):  # type: ignore[no-untyped-def]
    portfolio = parse_portfolio(text) if text is not None else load_portfolio_file(EXAMPLE)
    period = default_period(kind, TODAY)
    report = build_report(kind, Source(portfolio, NOW), period, min(TODAY, period.end))
    return report, render_report(
        report, ["owner@example.com"], bcc=["archive@example.com"], app_url="https://qd.example"
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_report_renders_both_parts(kind: str) -> None:
    report, email = render(kind)
    # Both parts carry the title, the period and the action items
    assert email.subject == f"{KINDS[kind].title} · {report.period.label}"
    assert KINDS[kind].title.upper() in email.text
    assert "ACTION ITEMS" in email.text and "Action items" in email.html
    assert "MISSING INPUTS" in email.text and "Missing inputs" in email.html
    for action in report.actions:
        assert action.title in email.text and action.owner
    assert report.actions, f"{kind} has no action items"
    # The HTML draws with tables: no images, scripts or style attributes (email clients, strict CSP)
    assert "<table" in email.html
    assert not re.search(r"<(img|script|style|link)\b", email.html, re.I)
    assert "style=" not in email.html
    # Numbers come from data: the text never shows a Python None or an unrendered placeholder
    assert "None" not in email.text.replace("None:", "").replace("None found", "").replace("None recorded", "")
    assert "{{" not in email.text and "{{" not in email.html


def test_charts_are_drawn_as_tables_in_html_and_marks_in_text() -> None:
    _, email = render("cfo")
    assert "Revenue against target by month" in email.html
    assert 'bgcolor="#0b4f8a"' in email.html  # a revenue bar
    assert re.search(r"2026-08\s+revenue #+\.+", email.text)


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("client_portfolio", 'name = "Harbor Coffee Roasters"', f'name = "Harbor {ATTACK}"'),
        ("rental", 'tenant = "J. Park"       # example\nstart', f'tenant = "J. {ATTACK}"\nstart'),
        ("ceo", 'name = "QuickDumpNow"', f'name = "Quick{ATTACK}"'),
        ("cto", 'title = "No WAF on CloudFront"', f'title = "No WAF {ATTACK}"'),
    ],
)
def test_html_escapes_data(kind: str, old: str, new: str) -> None:
    # Given a name in the data that holds a script tag
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    _, email = render(kind, text.replace(old, new, 1))
    # Then the HTML part shows it as text, and the text part keeps it as typed
    assert ATTACK not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert ATTACK in email.text

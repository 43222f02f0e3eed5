"""Operations figures from the sails table for the report's period (issue 22, item 2): sails
run, guests carried, waivers signed (before departure), crew slots filled on time; the CEO
report shows them for its own week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from local.stack import LocalStack
from quarterdeck import keys
from quarterdeck.clock import iso
from quarterdeck.reports.kinds import Source, build_report
from quarterdeck.reports.periods import week_of
from quarterdeck.reports.portfolio import load_portfolio_file
from quarterdeck.reports.render import render_parts
from quarterdeck.reports.wiring import TableLiveFigures
from quarterdeck.repositories.sails import DynamoSailRepository
from quarterdeck.sails import create_sail
from quarterdeck.store import Store
from tests.unit.test_report_cards import EXAMPLE

DAY = date(2037, 2, 10)  # a Tuesday of a week no other test sails in


def sail_on(store: Store, day: date) -> dict[str, object]:
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    return create_sail(
        DynamoSailRepository(store), "admin@example.com", date=day.isoformat(), title="Ops", clock=lambda: at
    )


def test_the_weeks_operations_come_from_the_sails_table(stack: LocalStack) -> None:
    store = Store()
    # Given two sails in the week (three slots each): one with a crew slot filled in time, one
    # filled after it left,
    # and guests: a party of 3 signed before departure, a party of 2 signed after, one unsigned
    first, second = sail_on(store, DAY), sail_on(store, DAY + timedelta(days=2))
    departure = datetime.fromisoformat(str(first["departure"]))
    later = datetime.fromisoformat(str(second["departure"]))
    store.update(
        *keys.role(str(first["id"]), "crew-1"),
        "SET #s = :c, claimed_at = :at",
        names={"#s": "state"},
        values={":c": "claimed", ":at": iso(departure - timedelta(days=1))},
    )
    store.update(
        *keys.role(str(second["id"]), "crew-1"),
        "SET #s = :c, claimed_at = :at",
        names={"#s": "state"},
        values={":c": "claimed", ":at": iso(later + timedelta(hours=1))},
    )
    for sail, guest, size, signed in (
        (first, "g1", 3, departure - timedelta(hours=2)),
        (first, "g2", 2, departure + timedelta(hours=1)),
        (second, "g3", 1, None),
    ):
        pk, sk = keys.guest(str(sail["id"]), guest)
        store.put(
            {
                "pk": pk,
                "sk": sk,
                "type": "guest",
                "id": guest,
                "party_size": size,
                **({"signed_at": iso(signed)} if signed else {}),
            }
        )
    # And a third sail in the week cancelled
    third = sail_on(store, DAY + timedelta(days=1))
    store.update(*keys.sail(str(third["id"])), "SET #s = :x", names={"#s": "status"}, values={":x": "cancelled"})
    # When the week's operations are read after both sails left
    now = later + timedelta(days=1)
    ops = TableLiveFigures(store).operations(now, week_of(DAY))
    # Then they count what happened that week
    assert (ops.sails_run, ops.sails_cancelled) == (2, 1)
    assert (ops.guests_carried, ops.guests_due, ops.waivers_signed, ops.waivers_on_time) == (6, 3, 2, 1)
    assert (ops.roles_total, ops.roles_on_time) == (6, 1)  # three slots a sail
    # And the CEO report of that week says so
    source = Source(load_portfolio_file(EXAMPLE), now, live_reader=TableLiveFigures(store))
    report = build_report("ceo", source, week_of(DAY), DAY + timedelta(days=5))
    text, html = render_parts(report, "https://app.example")
    assert "Guests carried: 6" in text and "Crew slots filled on time: 1 of 6 (" in text, text
    assert "Waivers signed: 2 of 3 guests (1 before departure)" in text
    assert "Guests carried" in html

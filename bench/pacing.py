"""5. Email pacing: the eight reports dispatched at a given MaxSendRate, and their rendering.

moto's SES is made to answer GetSendQuota with the rate under test; the dispatch reads it
as in AWS (quarterdeck.reports: `run_reports` with its own paced sender). Each dispatch
runs as of its own future date, so each is the first send of all eight for its period,
and starts without cached AWS clients, as a scheduled (cold) ReportFunction does. The
achieved rate is taken from when moto received each message: (messages - 1) / (last -
first). Bars: achieved ÷ allowed within 0.9-1.0 at the SES sandbox rate (1/s), and never
more than the allowed number in any one-second window; and what the owner waits for, from
the schedule firing (clients cold) to the last report sent, within 1.2x of the pacing limit
((messages - 1) / rate) at 1/s. It replaces ReportFunction's cold-start bar: a report's
first event builds and sends a whole report, so its cold start measured the work, not the
wait. (In process: the modules are already imported; section 1 gives the function's import.)
At the production starting rate (14/s) both are reported only: there the dispatch is bound
by building each report between sends, not by the pacer.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import Section, info, judged, ratio
from bench.context import set_send_rate

SANDBOX_RATE = 1.0
PRODUCTION_RATE = 14.0
MESSAGES = 8
_DISPATCHES = [0]


def _arrivals(message_ids: list[str]) -> list[float]:
    from local import outbox

    stamps = getattr(outbox, "_sent_at", {})
    return sorted(stamps[m] for m in message_ids if m in stamps)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """Most messages that arrived within any `window` seconds (SES counts arrivals per second)."""
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _portfolio(ctx: Any) -> str | None:
    path = ctx.root / "data" / "portfolio.example.toml"
    return str(path) if path.exists() else None


def dispatch_reports(ctx: Any, rate: float) -> tuple[list[str], str]:
    """Send the eight reports at `rate`; returns (message ids, how).

    The cached AWS clients are dropped first: a scheduled ReportFunction run is a cold
    container whose first send also creates the SES client."""
    from quarterdeck.clients import reset_clients

    set_send_rate(rate)
    reset_clients()
    try:
        from quarterdeck.reports.dispatch import run_reports
    except ImportError:
        return _eight_plain_sends(), "eight paced sends through SesMailSender (quarterdeck.reports is missing)"
    _DISPATCHES[0] += 1
    as_of = datetime(2030 + _DISPATCHES[0], 3, 11, 15, 0, tzinfo=UTC)  # a Monday morning in San Diego
    from quarterdeck.reports.dispatch import Collaborators

    summary = run_reports(None, portfolio_path=_portfolio(ctx), using=Collaborators(clock=lambda: as_of))
    sent = [o.message_id for o in summary.outcomes if o.status == "sent" and o.message_id]
    if len(sent) != MESSAGES:
        problems = "; ".join(f"{o.kind}: {o.status} {o.reason}" for o in summary.outcomes if o.status != "sent")
        raise RuntimeError(f"the dispatch sent {len(sent)} of {MESSAGES} reports: {problems}")
    return [str(m) for m in sent], f"quarterdeck.reports.dispatch.run_reports (all eight, as of {as_of:%Y-%m-%d})"


def _eight_plain_sends() -> list[str]:
    from quarterdeck.config import get_settings
    from quarterdeck.mail import OutgoingEmail, default_mail_sender

    settings = get_settings()
    sender = default_mail_sender()
    body = "Report line with figures 12,345.67 and a short comment.\n" * 200
    ids = []
    for n in range(MESSAGES):
        email = OutgoingEmail(
            to=(settings.owner_email,),
            bcc=(settings.archive_email,),
            subject=f"Bench report {n + 1}",
            text=body,
            html=f"<pre>{body}</pre>",
            kind="report",
        )
        ids.append(sender.send(email))
    return ids


def render_all(ctx: Any) -> tuple[float | None, dict[str, float], str]:
    try:
        from quarterdeck.reports.dispatch import run_reports
    except ImportError:
        return None, {}, "quarterdeck.reports is missing"
    run_reports(None, dry_run=True, portfolio_path=_portfolio(ctx))  # warm: templates, strategies
    started = time.perf_counter()
    summary = run_reports(None, dry_run=True, portfolio_path=_portfolio(ctx))
    elapsed = time.perf_counter() - started
    failed = [f"{o.kind}: {o.reason}" for o in summary.outcomes if o.status != "rendered"]
    if failed:
        return None, {}, "; ".join(failed)
    return elapsed, {o.kind: round(o.seconds, 4) for o in summary.outcomes}, ""


def run(ctx: Any) -> Section:
    section = Section("5. Email pacing (eight reports at MaxSendRate) and rendering")
    try:
        for rate, judged_rate in ((SANDBOX_RATE, True), (PRODUCTION_RATE, False)):
            fired = time.time()  # the schedule fires: clients are cold (dispatch_reports drops them)
            ids, how = dispatch_reports(ctx, rate)
            times = _arrivals(ids)
            if len(times) < 2:
                raise RuntimeError("moto recorded no arrival times for the messages sent")
            achieved = (len(times) - 1) / (times[-1] - times[0])
            value = achieved / rate
            peak = max_in_window(times)
            limit = (len(times) - 1) / rate  # the pacer alone: the first send at once, then one per 1/rate
            to_last = times[-1] - fired
            section.data[f"rate_{rate:g}"] = {
                "fired_to_last_sent_s": to_last,
                "pacing_limit_s": limit,
                "fired_to_last_sent_ratio": to_last / limit,
                "allowed_per_s": rate,
                "achieved_per_s": achieved,
                "ratio": value,
                "max_in_any_second": peak,
                "span_s": times[-1] - times[0],
                "gaps_s": [round(b - a, 4) for a, b in itertools.pairwise(times)],
                "how": how,
            }
            text = f"{ratio(value)} ({achieved:.2f}/s of {rate:g}/s, {len(times)} messages)"
            if judged_rate:
                section.add(judged(f"achieved ÷ allowed at {rate:g}/s", value, text, "0.9-1.0", 0.9 <= value <= 1.0))
            else:
                why = "bound by building each report between sends"
                section.add(info(f"achieved ÷ allowed at {rate:g}/s", text, why))
            run_text = f"{to_last:.2f} s, pacing limit {limit:.2f} s ({ratio(to_last / limit)})"
            run_label = f"schedule fired → last of {len(times)} reports sent, at {rate:g}/s"
            if judged_rate:
                section.add(judged(run_label, to_last / limit, run_text, "≤ 1.2x", to_last / limit <= 1.2))
            else:
                section.add(info(run_label, run_text, "bound by building each report, not by the pacer"))
            section.add(
                judged(
                    f"most messages in any 1 s at {rate:g}/s (the 1.0 bound, per second)",
                    peak,
                    str(peak),
                    f"≤ {max(1, int(rate))}",
                    peak <= max(1, int(rate)),
                )
            )
            section.notes.append(f"{rate:g}/s: {how}")
    finally:
        set_send_rate(10_000)
    elapsed, per_kind, why = render_all(ctx)
    section.data["render_all_eight_s"] = elapsed
    section.data["render_per_kind_s"] = per_kind
    if elapsed is None:
        section.add(info("render all eight reports", "missing", why))
    else:
        slowest = max(per_kind, key=lambda k: per_kind[k])
        section.add(
            info(
                "render all eight reports (warm, dry run)",
                f"{elapsed:.2f} s",
                f"slowest {slowest} {per_kind[slowest]:.2f} s",
                elapsed,
            )
        )
    return section

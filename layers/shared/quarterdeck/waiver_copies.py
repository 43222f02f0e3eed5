"""Owed waiver copies: the hourly nudge run finishes the signed copies not yet known delivered.

Signing emails the guest's signed copy and then stores it in the data bucket. The signature
(WAIVER# item) is written with a GSI1 key (`WAIVER_COPIES#owed` / `<signed_at>#<sail>#<guest>`,
see `keys.owed_waiver_copy`) that lists its copy as owed until a write records it delivered or
this run finds it in the bucket, so a copy whose request died half-way is never lost; a failed
step records what is owed on the same item. That sparse index lists the copies signed since
the last run and the owed ones, oldest first, so this run reads them with ONE Query (no Scan,
no extra item) and finishes each through `guests.complete_waiver_copies`: the bucket says what
is done (a copy found delivered is only unlisted), the copy lease says whether someone is
delivering it now, and nothing is mailed twice.

Quiet hours do not apply (the guest is waiting for their copy). One copy's failure is reported
in the run's summary and the run goes on; the copy stays listed for the next run. The heavy
parts (the guests module, jinja2, the S3 client) load only when something is listed, so an
hour with no new signature costs one Query more and no import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quarterdeck import keys
from quarterdeck.clock import Clock
from quarterdeck.config import Settings
from quarterdeck.errors import QuarterdeckError
from quarterdeck.mail import MailSender
from quarterdeck.observability import logger
from quarterdeck.store import Item, Store

if TYPE_CHECKING:
    from quarterdeck.documents import DocumentStore
    from quarterdeck.nudge_summary import NudgeSummary

WAIVER_COPY = "waiver_copy"
# At most this many owed copies per run (oldest first); the rest wait an hour. Each costs a few
# calls and one email: a backlog after an SES outage drains without nearing the 300 s timeout.
COPIES_PER_RUN = 100


def owed_copies(store: Store, *, limit: int = COPIES_PER_RUN) -> list[Item]:
    """The signatures whose copy is owed, oldest first: one Query of the sparse GSI1 partition."""
    return store.query(keys.OWED_WAIVER_COPIES, index="gsi1", limit=limit)


def finish_owed_copies(
    store: Store,
    mailer: MailSender,
    summary: NudgeSummary,
    *,
    settings: Settings,
    clock: Clock,
    documents: DocumentStore | None = None,
) -> None:
    """Deliver every owed copy, each outcome in `summary`: `sent[waiver_copy]` (delivered now),
    `skipped[waiver_copy:found_delivered]` (its signing request, or a retry, delivered it: now
    unlisted), `skipped[waiver_copy:in_flight]` (another request holds its lease), or a line in
    `failed` (still owed: the next run tries again)."""
    try:
        owed = owed_copies(store)
    except QuarterdeckError as error:
        summary.failed.append(f"{WAIVER_COPY}s: {error.message}")
        logger.exception("owed waiver copies could not be listed")
        return
    if not owed:
        return
    from quarterdeck.guests import complete_waiver_copies  # deferred: jinja2 and S3 only when owed

    if documents is None:
        from quarterdeck.documents import default_document_store

        documents = default_document_store()
    for item in owed:
        sail_id, guest_id = str(item.get("sail_id")), str(item.get("guest_id"))
        what = f"{WAIVER_COPY} {sail_id} {guest_id}"
        try:
            answer = complete_waiver_copies(store, mailer, documents, sail_id, guest_id, settings=settings, clock=clock)
        except QuarterdeckError as error:
            summary.failed.append(f"{what}: {error.message}")
            logger.exception("owed waiver copy failed", extra={"sail_id": sail_id, "guest_id": guest_id})
            continue
        state = (answer or {}).get("copy")
        if state == "delivered":
            summary.sent[WAIVER_COPY] += 1
        elif state in ("found_delivered", "in_flight"):
            summary.skipped[f"{WAIVER_COPY}:{state}"] += 1
        else:
            stored, emailed = (answer or {}).get("copy_stored"), (answer or {}).get("copy_emailed")
            summary.failed.append(f"{what}: still owed ({state or 'unsigned'}; stored {stored}, emailed {emailed})")

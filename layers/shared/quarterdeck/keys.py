"""Where each item lives in the one table (see docs/data-model.md). Keys are built here only."""

from __future__ import annotations

Key = tuple[str, str]


def sail(sail_id: str) -> Key:
    return f"SAIL#{sail_id}", "META"


def sail_partition(sail_id: str) -> str:
    return f"SAIL#{sail_id}"


def role(sail_id: str, slot: str) -> Key:
    return f"SAIL#{sail_id}", f"ROLE#{slot}"


def role_holder(sail_id: str, email: str) -> Key:
    """Marker that `email` holds a slot on this sail (one slot per person per sail)."""
    return f"SAIL#{sail_id}", f"HOLDER#{email.lower()}"


def guest(sail_id: str, guest_id: str) -> Key:
    return f"SAIL#{sail_id}", f"GUEST#{guest_id}"


def waiver(sail_id: str, guest_id: str) -> Key:
    return f"SAIL#{sail_id}", f"WAIVER#{guest_id}"


OWED_WAIVER_COPIES = "WAIVER_COPIES#owed"


def owed_waiver_copy(signed_at_iso: str, sail_id: str, guest_id: str) -> Key:
    """GSI1 key a WAIVER# item carries only while its signed copy is owed (a failed email or
    put): a sparse index, so the nudge run finds every owed copy, oldest first, in one Query."""
    return OWED_WAIVER_COPIES, f"{signed_at_iso}#{sail_id}#{guest_id}"


def checklist_item(sail_id: str, checklist: str, n: int) -> Key:
    return f"SAIL#{sail_id}", f"CHECK#{checklist}#{n:02d}"


HISTORY_PREFIX = "~HIST#"
LEGACY_HISTORY_PREFIX = "HIST#"  # entries written before 2026-11-23, still read as history


def history_entry(sail_id: str, at_iso: str, entry_id: str) -> Key:
    """`~` sorts after every other sort key of the partition, so a sail's history is its tail
    and a Query that stops at `sail_shared_end()` never reads it."""
    return f"SAIL#{sail_id}", f"{HISTORY_PREFIX}{at_iso}#{entry_id}"


def history_order(sk: str) -> str:
    """`<iso>#<id>` of an entry's sort key, old prefix or new: the order entries happened in."""
    return sk.partition(LEGACY_HISTORY_PREFIX)[2]


def sail_shared_end() -> str:
    """Exclusive sort-key bound of what everyone on a sail may be shown (META, roles, holders,
    guests, checklists): the waiver signatures (WAIVER#) and the history (~HIST#) sort from
    here on, so the pages and runs that need neither read a partition's head only."""
    return "WAIVER#"


SAILS_BY_DATE = "SAILS#ALL"


def sails_by_date() -> str:
    """GSI1 partition of every sail, sorted by `<departure iso>#<id>` (~30 sails a month:
    years of sails stay far below a partition's limits, and any date range is one Query)."""
    return SAILS_BY_DATE


def legacy_sails_month(yyyy_mm: str) -> str:
    """GSI1 partition of a month's sails before 2026-11-23 (read only by local/reindex_sails.py)."""
    return f"SAILS#{yyyy_mm}"


def sail_index_sk(departure_iso: str, sail_id: str) -> str:
    return f"{departure_iso}#{sail_id}"


def sail_dates(first_iso: str, last_iso: str) -> tuple[str, str]:
    """GSI1 sort-key bounds of the sails whose local date is in [first, last] (ISO dates or
    `yyyy-mm` months): the sort key starts with the departure's local ISO date."""
    return first_iso, f"{last_iso}~"


def holder_tag(email: str, slot: str) -> str:
    """One entry of a sail META's `holders` string set: who holds which slot (read by the
    calendar feed from GSI1, so a person's sails need no read per sail)."""
    return f"{email.lower()} {slot}"


def holder_of_tag(tag: str) -> tuple[str, str]:
    """(email, slot) of a `holder_tag`."""
    email, _, slot = tag.rpartition(" ")
    return email, slot


def task(task_id: str) -> Key:
    return f"TASK#{task_id}", "META"


def tasks_with_status(status: str) -> str:
    """GSI1 partition of a board column: the open columns (pending, in review) share
    `TASKS#open`, completed work has `TASKS#completed`, archived cards `TASKS#archived`; the
    sort key starts with the status."""
    if status in ("completed", "archived"):  # archived cards: off the board, never read with it
        return f"TASKS#{status}"
    return "TASKS#open"


def tasks_column_prefix(status: str) -> str:
    """GSI1 sort-key prefix of one column's tasks within its partition."""
    return f"{status}#"


def legacy_tasks_with_status(status: str) -> str:
    """The GSI1 partition a column had before the open columns shared one (for re-keying)."""
    return f"TASKS#{status}"


def nudge_sent(sail_id: str, kind: str, recipient: str, window: str) -> Key:
    return f"NUDGE#{sail_id}", f"{kind}#{recipient.lower()}#{window}"


def report_run(kind: str, period: str, recipient: str) -> Key:
    """One delivery of a report: its kind, its period and the address it goes To."""
    return f"REPORT#{kind}", f"RUN#{period}#{recipient.strip().lower()}"


def report_latest(kind: str) -> Key:
    """The summary of a kind's last deliveries (the reports page reads all kinds in one Query)."""
    return "REPORTS", f"LATEST#{kind}"


def report_latest_all() -> Key:
    """The reports page's partition and the sort-key prefix of every kind's summary."""
    return "REPORTS", "LATEST#"


def report_actions(kind: str) -> Key:
    """The action cards a kind's latest run found (to tell a condition that returned)."""
    return f"REPORT#{kind}", "ACTIONS"


PORTFOLIO = "PORTFOLIO"  # the portfolio's partition: its current version, each version, each document


def portfolio_current() -> Key:
    return PORTFOLIO, "CURRENT"


def portfolio_version(version: int) -> Key:
    """A version's record (who, when, what changed); sorted by number."""
    return PORTFOLIO, f"VERSION#{version:08d}"


def portfolio_versions() -> Key:
    """The partition and sort-key prefix of every version's record (not the documents)."""
    return PORTFOLIO, "VERSION#"


def portfolio_document(version: int) -> Key:
    return PORTFOLIO, f"DOC#{version:08d}"


def report_runs(kind: str, period: str = "") -> Key:
    """A kind's partition and the sort-key prefix of one period's deliveries (or of all)."""
    return f"REPORT#{kind}", (f"RUN#{period}#" if period else "RUN#")


def person(email: str) -> Key:
    return f"PERSON#{email.lower()}", "META"


PEOPLE = "PEOPLE#ALL"


def people_index(email: str) -> Key:
    """GSI1 key of a person record: one partition of everyone, by address (a club's roster is
    a few hundred records at most), so the People page is one Query."""
    return PEOPLE, email.lower()


def suppression_index(email: str) -> Key:
    """GSI1 key of a suppression (`suppression`): in the people's partition, next to the
    person's record, so the People page reads who is on the roster and whose mail bounces in
    one Query (the roster tells the two apart by their `type`). Suppressions written before
    2026-12-04 join it through `python -m local.index_people`."""
    return PEOPLE, f"{email.strip().lower()}#suppressed"


def magic_code(code_hash: str) -> Key:
    """A magic-link code, stored under its SHA-256 (never the code itself)."""
    return f"CODE#{code_hash}", "META"


def code_pointer(link: str) -> Key:
    """The `CODEREF#` item naming the one live code of a link (an invite, a waiver link)."""
    return f"CODEREF#{link}", "META"


def rate_counter(counter: str, window: str) -> Key:
    """One window of a sign-in counter (`login#<email>` per hour, `magic#<source>` per window)."""
    return f"RATE#{counter}", window


# --- the owner's data (issue 22): the report archive and the mail delivery log ---------------
REPORT_ARCHIVE_INDEX = "ARCHIVES"


def archived_report(archive_id: str) -> Key:
    """One sent report as it was sent (subject, recipients, text and HTML bodies, MessageIds):
    read whole only when someone opens it."""
    return f"ARCHIVE#{archive_id}", "META"


def archive_index_entry(period_start: str, kind: str, archive_id: str) -> Key:
    """The archive's listing: one small entry per sent report (no bodies) in one partition,
    sorted by the period's first day, so a date range of every kind is one Query (eight kinds
    a week are a few hundred entries a year)."""
    return REPORT_ARCHIVE_INDEX, f"{period_start}#{kind}#{archive_id}"


def archive_index_range(first_iso: str, last_iso: str) -> tuple[str, str]:
    """Sort-key bounds of the entries whose period starts in [first, last] (ISO dates)."""
    return first_iso, f"{last_iso}~"


def mail_events(message_id: str) -> str:
    """The partition of one SES message's delivery events (one item per recipient and event type)."""
    return f"MAIL#{message_id}"


def mail_event(message_id: str, recipient: str, event_type: str) -> Key:
    """One SES event of one message for one recipient (`delivery`, `bounce`, `complaint`):
    SES and EventBridge may deliver an event twice, and the second write changes nothing."""
    return mail_events(message_id), f"EVENT#{recipient.strip().lower()}#{event_type}"


SUPPRESSIONS = "SUPPRESSIONS"


def suppression(email: str) -> Key:
    """An address no mail goes to (a hard bounce or a complaint), with the reason; all of them
    share one partition, so the list is one Query and a send checks its recipients in one
    BatchGetItem."""
    return SUPPRESSIONS, email.strip().lower()


WAIVER_TEXTS = "WAIVERTEXT"


def waiver_text(version: str | None = None) -> Key:
    """A waiver text published from the app (`V#<version>`), or the pointer to the current one
    (`CURRENT`, which holds a copy of its text so the waiver page reads one item)."""
    return WAIVER_TEXTS, f"V#{version}" if version else "CURRENT"

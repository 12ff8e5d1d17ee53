"""Machine-readable exports: a person's own data as JSON, a workspace's shared entries as CSV.

Pure functions: rows in, text out. Keys, column names and values (category, visibility and
safeguard keys) are stable identifiers, not translated words, so that other programs can read them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime

from storage.models import Delivery, Entry, Person
from storage.types import Workspace

PERSONAL_DATA_FORMAT = "failure-resume/personal-data"
PERSONAL_DATA_VERSION = 1
CSV_COLUMNS = (
    "date",
    "category",
    "visibility",
    "author",
    "what_happened",
    "lesson",
    "safeguards",
    "action_items",
    "nice_jobs",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_MARKS = ("=", "+", "-", "@", "\t", "\r")


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _entry_record(entry: Entry, nice_jobs: int) -> dict:
    return {
        "id": entry.id,
        "happened_on": entry.happened_on.isoformat(),
        "day_known": entry.day_known is not False,
        "category": entry.category,
        "section": entry.section,
        "what_happened": entry.what_happened,
        "lesson": entry.lesson,
        "safeguards": list(entry.safeguards),
        "action_items": [
            {"text": item.text, "done": item.done_at is not None, "done_at": _moment(item.done_at)}
            for item in entry.action_items
        ],
        "visibility": entry.visibility,
        "anonymous": entry.visibility == "anonymous",
        "shared_at": _moment(entry.shared_at),
        "in_a_team_digest": entry.digest_id is not None,
        "source_link": entry.source_link,
        "nice_jobs": nice_jobs,
        "created_at": _moment(entry.created_at),
        "updated_at": _moment(entry.updated_at),
    }


def personal_data_json(
    ws: Workspace,
    user_id: str,
    *,
    entries: Iterable[Entry],
    nice_jobs: dict[int, int],
    nice_jobs_given: int,
    person: Person | None,
    deliveries: Iterable[Delivery],
    exported_at: datetime,
) -> str:
    """Everything kept about one person in one workspace, oldest entry first. Their words are
    written as they are (UTF-8, no escapes), so Korean, emoji and `<!channel>` come back unchanged."""
    ordered = sorted(entries, key=lambda e: (e.happened_on, e.id))
    document = {
        "format": PERSONAL_DATA_FORMAT,
        "format_version": PERSONAL_DATA_VERSION,
        "exported_at": exported_at.isoformat(),
        "workspace": {"enterprise_id": ws.enterprise_id, "team_id": ws.team_id},
        "user_id": user_id,
        "entries": [_entry_record(entry, nice_jobs.get(entry.id, 0)) for entry in ordered],
        "nice_jobs_given": nice_jobs_given,
        "prompt_settings": None
        if person is None
        else {
            "prompts_stopped": person.prompts_stopped,
            "snoozed_until": _moment(person.snoozed_until),
            "language": person.language,
            "slack_locale": person.slack_locale,
            "updated_at": _moment(person.updated_at),
        },
        "deliveries": [
            {
                "kind": delivery.kind,
                "period": delivery.period,
                "claimed_at": _moment(delivery.claimed_at),
                "sent_at": _moment(delivery.sent_at),
            }
            for delivery in deliveries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_MARKS) else text


def shared_entries_csv(entries: Iterable[Entry], nice_jobs: dict[int, int]) -> str:
    """Shared entries for admins: named ones in the order given, then the anonymous ones with no
    author, only their month (an exact date can name the person on call) and in an order of their
    own. Starts with a byte order mark, so that spreadsheets read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    named = [entry for entry in entries if entry.visibility == "named"]  # never a private one, whatever was passed
    anonymous = sorted(
        (entry for entry in entries if entry.visibility == "anonymous"),
        key=lambda e: (e.happened_on.strftime("%Y-%m"), e.category, e.what_happened),
    )
    for entry in named + anonymous:
        row = (
            entry.happened_on.isoformat() if entry.visibility == "named" else entry.happened_on.strftime("%Y-%m"),
            entry.category,
            entry.visibility,
            entry.user_id if entry.visibility == "named" else "",
            entry.what_happened,
            entry.lesson,
            " ".join(entry.safeguards),
            "\n".join(f"[{'x' if item.done_at else ' '}] {item.text}" for item in entry.action_items),
            nice_jobs.get(entry.id, 0),
        )
        writer.writerow([csv_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()

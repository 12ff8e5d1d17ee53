"""Markdown imports as units of work: the text kept until its owner says yes to the preview, then its
entries saved once, private, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from bot.domain.markdown_import import YEAR_MIN, ImportPlan
from bot.domain.markdown_reading import parse_resume
from bot.text import clean_text
from storage.db import SessionFactory
from storage.repository import action_items as action_item_store
from storage.repository import deliveries as delivery_store
from storage.repository import entries as entry_store
from storage.repository import imports as import_store
from storage.types import EntryFields, Workspace


@dataclass(frozen=True)
class Prepared:
    import_id: int
    plan: ImportPlan
    year: int | None = None  # picked in the preview for the entries the file gives no year


@dataclass(frozen=True)
class Imported:
    imported: int
    already: int  # entries the resume held before (same words, same year): not added twice


def prepare_import(sf: SessionFactory, ws: Workspace, user_id: str, text: str, today: date, now: datetime) -> Prepared:
    """Parsed first (ImportRefused for a file that is no resume), then kept for the person's yes.
    Cleaned as typed text is (controls out), so that every database takes what is saved from it."""
    text = clean_text(text)
    plan = parse_resume(text, today)
    with sf.begin() as session:
        return Prepared(import_store.add_pending_import(session, ws, user_id, text, now).id, plan)


def pick_import_year(sf: SessionFactory, ws: Workspace, user_id: str, import_id: int, year: int, today: date) -> bool:
    """The year picked in the preview for the entries the file gives none, kept on the import until
    its Import; False for a year no entry may have, or an import done, cancelled or not theirs."""
    if not YEAR_MIN <= year <= today.year:
        return False
    with sf.begin() as session:
        return import_store.set_pending_import_year(session, ws, user_id, import_id, year)


def pending_preview(sf: SessionFactory, ws: Workspace, user_id: str, import_id: int, today: date) -> Prepared | None:
    """The preview of the person's import still awaiting their yes, read again (with the year they
    picked); None once it was imported or cancelled, or is not theirs."""
    with sf() as session:
        pending = import_store.get_pending_import(session, ws, user_id, import_id)
        if pending is None or pending.status != "pending":
            return None
        text, year = pending.text, pending.year
    return Prepared(import_id, parse_resume(text, today), year)


def confirm_import(
    sf: SessionFactory, ws: Workspace, user_id: str, import_id: int, today: date, now: datetime
) -> Imported | None:
    """Save the import's entries; None when it was done or cancelled already (a double click), is
    not this person's, or still waits for the year of the entries the file gives none (its Import is
    offered once they have one). Claiming the import and saving its entries commit together."""
    with sf.begin() as session:
        pending = import_store.get_pending_import(session, ws, user_id, import_id)
        if pending is None or pending.status != "pending":
            return None
        plan, year = parse_resume(pending.text, today), pending.year
        if plan.undated() and year is None:
            return None
        if import_store.claim_pending_import(session, ws, user_id, import_id, "imported") is None:
            return None
        held = entry_store.entry_words_by_year(session, ws, user_id)
        imported = already = 0
        for found in plan.entries:
            happened_on = found.happened_on or date(year, 1, 1)
            if (found.what_happened, happened_on.year) in held:
                already += 1
                continue
            fields = EntryFields(
                what_happened=found.what_happened,
                lesson=found.lesson,
                category=found.category,
                happened_on=happened_on,
                safeguards=found.safeguards,
                action_items=tuple(item.text for item in found.action_items),
                visibility="private",
                source_link=found.source_link,
            )
            entry = entry_store.add_entry(session, ws, user_id, fields, now)
            entry.day_known, entry.section = found.day_known, found.section
            # A resume keeps no date for a done item: the day of its entry is the nearest we know.
            done_on = datetime.combine(happened_on, time(), UTC)
            for item, was in zip(entry.action_items, found.action_items, strict=True):
                if was.done:
                    action_item_store.set_action_item_status(item, "done", done_on)
                    item.helped_asked_at = now  # an old item's "Did it help?" is not asked a month later

            imported += 1
        return Imported(imported, already)


def cancel_import(sf: SessionFactory, ws: Workspace, user_id: str, import_id: int) -> bool:
    with sf.begin() as session:
        return import_store.claim_pending_import(session, ws, user_id, import_id, "cancelled") is not None


DM_HINT_KIND = "dm_hint"


def hint_due(sf: SessionFactory, ws: Workspace, user_id: str, now: datetime) -> bool:
    """Whether a message typed in the app's DM gets the hint of what the DM is for: once a day at
    most (the delivery ledger), so that a chatty person is not answered every time."""
    with sf.begin() as session:
        return delivery_store.claim_delivery(session, ws, user_id, DM_HINT_KIND, now.date().isoformat(), now)

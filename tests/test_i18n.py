"""The message catalogue: English source strings, other languages as .po files, dates through Babel."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from string import Formatter

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.blocks.action_items import build_action_items_modal
from bot.blocks.common import MODAL_TEXT_MAX, shorten
from bot.blocks.data_rights import build_delete_all_data_modal
from bot.blocks.entry_dialogs import build_delete_modal, build_visibility_modal
from bot.blocks.entry_modal import ModalContext, build_record_modal
from bot.blocks.imports import build_import_modal, build_preview_modal
from bot.blocks.messages import build_loading_modal, build_notice_modal
from bot.blocks.settings_modal import build_settings_modal
from bot.blocks.trackers import build_tracker_modal
from bot.domain.entries import ACKNOWLEDGEMENTS
from bot.domain.markdown_import import ImportedEntry, ImportPlan
from bot.i18n import ENGLISH, LOCALE_DIR, Translator
from bot.slack.ids import View
from storage.models import ActionItem, Entry, WorkspaceSettings

REPO = Path(__file__).resolve().parents[1]


def msgids(pot: str) -> set[str]:
    """Every message of a catalogue, a long one wrapped over several lines included."""
    from io import BytesIO

    from babel.messages.pofile import read_po

    return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(BytesIO(pot.encode())) if m.id}


def test_catalogue_template_is_up_to_date(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "t",
            "-k",
            "plural:1,2",
            "-k",
            "N_",
            "--no-location",
            "--omit-header",
            "--sort-output",
            "-o",
            str(fresh),
            "bot",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    committed = (REPO / "bot" / "locale" / "messages.pot").read_text()
    assert msgids(fresh.read_text()) == msgids(committed), "run the pybabel extract command in README.md"
    assert ACKNOWLEDGEMENTS[0] in msgids(committed)


def test_a_translation_file_changes_the_words_without_code(tmp_path):
    po = tmp_path / "ko" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        f'msgid "{ACKNOWLEDGEMENTS[0]}"\nmsgstr "잘했어요! 기록해 두면 같은 실수를 두 번 하지 않아요."\n\n'
        'msgid "{n} entry"\nmsgid_plural "{n} entries"\nmsgstr[0] "항목 {n}개"\n',
        encoding="utf-8",
    )
    korean = Translator("ko-KR", directory=tmp_path)
    assert korean(ACKNOWLEDGEMENTS[0]).startswith("잘했어요")
    assert korean.plural("{n} entry", "{n} entries", 3) == "항목 3개"
    assert korean.date(date(2024, 3, 1), format="long") == "2024년 3월 1일"
    assert korean("Not translated yet") == "Not translated yet"


def test_english_plurals_and_dates():
    assert ENGLISH.plural("{n} entry", "{n} entries", 1) == "1 entry"
    assert ENGLISH.plural("{n} entry", "{n} entries", 2) == "2 entries"
    assert ENGLISH.date(date(2024, 3, 1)) == "Mar 1, 2024"
    assert Translator("xx-nonsense").date(date(2024, 3, 1)) == "Mar 1, 2024"


# ---- the Korean catalogue ---------------------------------------------------------------------

KOREAN_PO = LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.po"


def read_catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def placeholders(text: str) -> set[str]:
    """The str.format fields of a message (ValueError for braces that str.format cannot read)."""
    return {field for _literal, field, _spec, _conversion in Formatter().parse(text) if field is not None}


def test_every_message_has_a_korean_translation_with_the_same_placeholders():
    template = read_catalogue(LOCALE_DIR / "messages.pot")
    korean = read_catalogue(KOREAN_PO, "ko")
    problems = []
    for message in template:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        translated = korean.get(message.id)
        if translated is None:
            problems.append(("missing", ids[0]))
            continue
        if translated.fuzzy:
            problems.append(("fuzzy", ids[0]))
        if isinstance(message.id, tuple) != isinstance(translated.id, tuple):
            problems.append(("plural forms differ from the template", ids[0]))
            continue
        strings = translated.string if isinstance(translated.string, tuple) else (translated.string,)
        if isinstance(message.id, tuple) and len(strings) != korean.num_plurals:
            problems.append((f"{len(strings)} plural forms, Korean has {korean.num_plurals}", ids[0]))
        expected = set().union(*(placeholders(msgid) for msgid in ids))
        for string in strings:
            if not (string or "").strip():
                problems.append(("empty", ids[0]))
                continue
            try:
                found = placeholders(string)
                string.format(**{name: "x" for name in found})
            except (ValueError, KeyError, IndexError) as error:
                problems.append((f"unreadable braces ({error})", ids[0]))
                continue
            if found != expected:
                problems.append((f"placeholders {sorted(found)}, not {sorted(expected)}", ids[0]))
    assert problems == []


class Recording(Translator):
    """A translator that keeps every text it gave, untrimmed: `modal()` trims what it is given."""

    def __init__(self, locale: str) -> None:
        super().__init__(locale)
        self.said: list[str] = []

    def __call__(self, message: str, **params: object) -> str:
        text = super().__call__(message, **params)
        self.said.append(text)
        return text

    def plural(self, singular: str, plural: str, n: int, **params: object) -> str:
        text = super().plural(singular, plural, n, **params)
        self.said.append(text)
        return text


def every_modal(t: Translator) -> list[dict]:
    """Each modal builder's views, in every shape that changes its title or buttons."""
    items = [ActionItem(id=7, position=0, text="Add a kill switch", owner_id="U1", status="open")]
    entry = Entry(
        id=1,
        enterprise_id="",
        team_id="T0001",
        user_id="U1",
        what_happened="The cache fell over",
        lesson=None,
        category="engineering",
        happened_on=date(2024, 3, 1),
        safeguards=[],
        visibility="named",
        action_items=items,
    )
    settings = WorkspaceSettings(
        enterprise_id="",
        team_id="T0001",
        retro_channel=None,
        digest_cadence="monthly",
        prompt_day=0,
        default_visibility="private",
        anonymity_crowd=3,
        prompt_guests=False,
        language="en",
    )
    imported = ImportedEntry(date(2024, 3, 1), "Broke it", "Learned it", "engineering", (), (), None, 2)
    record = dict(today=date(2024, 6, 1), default_visibility="private")
    return [
        build_record_modal(t, context=ModalContext(), **record),
        build_record_modal(t, context=ModalContext(entry_id=1), **record),
        build_record_modal(t, context=ModalContext(), blame_warning=True, **record),
        build_action_items_modal(t, entry),
        build_delete_modal(t, entry),
        build_visibility_modal(t, entry),
        build_delete_all_data_modal(t),
        build_settings_modal(t, settings),
        build_tracker_modal(t, "jira"),
        build_import_modal(t),
        build_preview_modal(t, ImportPlan((imported,), ()), 1),
        build_preview_modal(t, ImportPlan((), ()), 1),
        build_notice_modal(t, "A notice"),
        build_loading_modal(t),
    ]


def test_every_korean_modal_title_and_button_fits_slacks_24_characters_untrimmed():
    korean = Recording("ko")
    views = every_modal(korean)
    assert {view["callback_id"] for view in views} == set(View), "a modal builder is missing here"
    too_long = []
    for view in views:
        for part in ("title", "submit", "close"):
            if part not in view:
                continue
            shown = view[part]["text"]
            given = [text for text in korean.said if shorten(text, MODAL_TEXT_MAX) == shown]
            assert given, (view["callback_id"], part, shown)
            too_long += [(view["callback_id"], part, text, len(text)) for text in given if len(text) > MODAL_TEXT_MAX]
            assert any("\uac00" <= char <= "\ud7a3" for char in shown), (view["callback_id"], part, shown)
    assert too_long == []

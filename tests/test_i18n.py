"""The message catalogue: English source strings, other languages as .po files, dates through Babel."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from bot.domain.entries import ACKNOWLEDGEMENTS
from bot.i18n import ENGLISH, Translator

REPO = Path(__file__).resolve().parents[1]


def msgids(pot: str) -> set[str]:
    return {line[len('msgid "') : -1] for line in pot.splitlines() if line.startswith('msgid "') and line != 'msgid ""'}


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

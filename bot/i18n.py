"""The message catalogue: every word a person reads goes through a Translator.

English is the source language (the msgids). Another language is a `bot/locale/<lang>/LC_MESSAGES/messages.po`
file, read directly with Babel, so adding one needs no build step and no code change.
"""

from __future__ import annotations

import gettext
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
# The languages a person or workspace can choose, each in its own words; a new one is a .po file
# under LOCALE_DIR and a line here (README, "Add a language").
LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


class Translator:
    def __init__(self, locale: str = "en", directory: Path = LOCALE_DIR) -> None:
        self.locale = _babel_locale(locale)
        self._catalogue = _load(str(self.locale), directory)

    def __call__(self, message: str, **params: object) -> str:
        text = self._catalogue.gettext(message)
        return text.format(**params) if params else text

    def plural(self, singular: str, plural: str, n: int, **params: object) -> str:
        return self._catalogue.ngettext(singular, plural, n).format(n=self.number(n), **params)

    def date(self, day: date, format: str = "medium") -> str:
        return format_date(day, format=format, locale=self.locale)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)


def _babel_locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@lru_cache(maxsize=16)
def _load(locale: str, directory: Path) -> gettext.NullTranslations:
    for candidate in (locale, locale.split("_")[0]):
        po_file = directory / candidate / "LC_MESSAGES" / "messages.po"
        if po_file.exists():
            with po_file.open("rb") as po:
                catalog = read_po(po, locale=candidate)
            buffer = BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()


def supported_language(tag: str | None) -> str | None:
    """The language we speak for a Slack locale ("ko-KR") or a chosen code ("ko"); None for one we don't."""
    code = (tag or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


@lru_cache(maxsize=len(LANGUAGES))
def translator(language: str | None) -> Translator:
    return Translator(supported_language(language) or DEFAULT_LANGUAGE)


ENGLISH = translator("en")

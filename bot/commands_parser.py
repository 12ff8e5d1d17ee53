"""What a person meant by the text after `/fail`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.slack_text import decode_slack_text

SUBCOMMANDS = ("resume", "export", "help", "settings", "admin-export")
_RESUME = re.compile(r"^resume(?:\s+(\d{4}))?$", re.IGNORECASE)
_ONE_WORD = re.compile(r"^[A-Za-z-]{1,15}$")


@dataclass(frozen=True)
class FailCommand:
    action: str  # "form", "record", "resume", "export", "help", "settings", "admin-export"
    text: str = ""
    year: int | None = None


def parse_fail_command(text: str) -> FailCommand:
    """`/fail` opens the form; a known word is a subcommand; a short unknown word, or a subcommand
    followed by a word or two it does not take ("export now"), gets usage; anything else is the
    text of a quick entry (so "resume of mine got rejected by twelve companies" is recorded).

    `text` is as Slack sends it, with `&`, `<` and `>` as entities."""
    text = decode_slack_text(text or "").strip()
    if not text:
        return FailCommand("form")
    resume = _RESUME.match(text)
    if resume and resume.group(1) != "0000":
        return FailCommand("resume", year=int(resume.group(1)) if resume.group(1) else None)
    if text.lower() in SUBCOMMANDS:
        return FailCommand(text.lower())
    first, *rest = text.split()
    if _ONE_WORD.match(text) or (first.lower() in SUBCOMMANDS and len(rest) <= 2):
        return FailCommand("help", text=text)
    return FailCommand("record", text=text)

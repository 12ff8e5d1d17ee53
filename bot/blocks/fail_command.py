"""What a person meant by the text after `/fail`."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.slack.text import decode_slack_text

SUBCOMMANDS = ("resume", "export", "help", "settings", "admin-export", "search", "import", "review")
_RESUME = re.compile(r"^resume(?:\s+(\d{4}))?$", re.IGNORECASE)
# `review` and one word: the year asked for, whatever it is ("review 1890", "review abc"); the answer
# says when it cannot be used, and never takes it for an entry.
_REVIEW = re.compile(r"^review(?:\s+(\S+))?$", re.IGNORECASE)
_YEAR = re.compile(r"[1-9]\d{3}")
_SEARCH = re.compile(r"^search(?:\s+(.+))?$", re.IGNORECASE | re.DOTALL)
# Longer searches are cut: they must fit a button's value to page on.
SEARCH_MAX = 500
# How alike a lone word must be to a subcommand to be taken for a typo of it ("resmue", "exprot").
TYPO_LIKENESS = 0.8
# Longer text is never a typo of a subcommand; it also keeps the Record it button's value small.
TYPO_TEXT_MAX = 100


@dataclass(frozen=True)
class FailCommand:
    # "form", "record", "typo", "resume", "export", "help", "settings", "admin-export", "search", "import", "review"
    action: str
    text: str = ""  # for "review": the year asked for when it is no year ("abc")
    year: int | None = None
    suggestion: str | None = None  # for a typo: the subcommand it is most like


def parse_fail_command(text: str) -> FailCommand:
    """`/fail` opens the form; a known word is a subcommand; a word very like a subcommand, or a
    subcommand followed by a word or two it does not take ("export now"), is taken for a typo and
    saves nothing (the answer offers to record it); anything else, one word included, is the text of
    a quick entry (so "deadline" and "resume of mine got rejected by twelve companies" are recorded).
    `search <words>` looks for entries; `review [YEAR]` sends the year in review (`review abc`: its
    answer says that is no year).

    `text` is as Slack sends it, with `&`, `<` and `>` as entities."""
    text = decode_slack_text(text or "").strip()
    if not text:
        return FailCommand("form")
    resume = _RESUME.match(text)
    if resume and resume.group(1) != "0000":
        return FailCommand("resume", year=int(resume.group(1)) if resume.group(1) else None)
    review = _REVIEW.match(text)
    if review:
        asked = review.group(1) or ""
        if _YEAR.fullmatch(asked):
            return FailCommand("review", year=int(asked))
        return FailCommand("review", text=asked[:TYPO_TEXT_MAX])
    search = _SEARCH.match(text)
    if search:  # the answer offers to record the words instead, for "search broke after the deploy"
        return FailCommand("search", text=(search.group(1) or "").strip()[:SEARCH_MAX])
    if text.lower() in SUBCOMMANDS:
        return FailCommand(text.lower())
    first, *rest = text.split()
    if len(text) > TYPO_TEXT_MAX:
        return FailCommand("record", text=text)
    if first.lower() in SUBCOMMANDS and len(rest) <= 2:
        return FailCommand("typo", text=text, suggestion=first.lower())
    if not rest:
        close = difflib.get_close_matches(first.lower(), SUBCOMMANDS, n=1, cutoff=TYPO_LIKENESS)
        if close:
            return FailCommand("typo", text=text, suggestion=close[0])
    return FailCommand("record", text=text)

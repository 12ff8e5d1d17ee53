"""Blameless wording: does an entry's text point at a person? Before it is shared, the bot
suggests saying what broke and what we can do, not who; the person may keep their own words.

Patterns, not a model: a mention, "X broke", "his/her fault", "because of <Name>", and their
Korean counterparts, where a name is marked by its title or honorific (씨, 님, 팀장, ...), since
Korean has no capitals to tell a name from a noun."""

from __future__ import annotations

import re

# Words that start a sentence with a capital but are not a person.
NOT_A_NAME = {
    "we", "i", "it", "this", "that", "the", "our", "my", "a", "an", "prod", "production", "ci", "cd", "everything",
    "nothing", "which", "what", "then", "and", "but", "so", "when", "after", "before", "deploy", "staging", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "yesterday", "there", "they",
}  # fmt: skip
BLAME_VERBS = (
    r"broke|breaks|forgot|messed up|screwed up|deleted|dropped|pushed|missed|ignored|caused|ruined|"
    r"blew up|failed to|didn't|did not|never"
)
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>|(?<![\w.])@[A-Za-z][\w.-]{1,40}")
PRONOUN_BLAME = re.compile(rf"\b(he|she|him|her|his|hers)\b[^.!?\n]{{0,30}}\b(fault|blame|{BLAME_VERBS})\b", re.I)
FAULT_OF = re.compile(r"\b(\w+)'s fault\b|\bfault of (\w+)|\bblame[sd]? (\w+)", re.I)
BECAUSE_OF = re.compile(r"\b(?:because of|thanks to|due to) ([A-Z][a-z]+)\b")
NAME_DID = re.compile(rf"\b([A-Z][a-z]+) (?:{BLAME_VERBS})\b")
SOMEONE_DID = re.compile(
    rf"\b(someone|somebody|a colleague|my (?:boss|manager|coworker|colleague))\b (?:{BLAME_VERBS})\b", re.I
)
TITLE = r"(?:씨|님|대리|과장|차장|부장|팀장|실장|선배|후배|매니저|사원|주임|책임|수석)"
KOREAN_BLAME = re.compile(rf"{TITLE}[^.!?\n]{{0,12}}?(?:때문|탓|잘못|실수|책임|망가뜨|날려|날렸|지워|지웠|삭제)")
KOREAN_PRONOUN = re.compile(r"(?:그 사람|그사람|걔|그녀|그가|그 친구|저 사람)\s*(?:이|가|의|때문|탓|잘못|실수)")


def _named(match: re.Match | None) -> bool:
    return match is not None and any(g and g.lower() not in NOT_A_NAME for g in match.groups())


def points_at_person(text: str | None) -> bool:
    if not text:
        return False
    if MENTION.search(text) or PRONOUN_BLAME.search(text) or SOMEONE_DID.search(text):
        return True
    if KOREAN_BLAME.search(text) or KOREAN_PRONOUN.search(text):
        return True
    if any(_named(m) for m in FAULT_OF.finditer(text)):
        return True
    return any(_named(m) for pattern in (BECAUSE_OF, NAME_DID) for m in pattern.finditer(text))


def entry_points_at_person(entry) -> bool:
    """An entry (or the fields of one) whose words, what happened or its lesson, point at a person."""
    return points_at_person(entry.what_happened) or points_at_person(entry.lesson)

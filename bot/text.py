"""Text as people type it, made fit to store: for what comes from Slack and from an imported file alike."""

import re

# C0 control characters and DEL, except tab and newline: invisible, and PostgreSQL refuses NUL in
# text. Lone UTF-16 surrogates (half an emoji) cannot be stored in UTF-8 at all.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """What a person typed, fit to store on every database: controls dropped (a carriage return,
    alone or before a newline, becomes a newline), a lone surrogate shown as U+FFFD. The rest is kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _LONE_SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))

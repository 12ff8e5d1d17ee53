"""Text as Slack sends it to us."""

from bot.text import clean_text


def decode_slack_text(text: str) -> str:
    """Slack sends `&`, `<` and `>` in command and message text as entities; we store what was typed."""
    return clean_text(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))

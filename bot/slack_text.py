"""Text as Slack sends it to us."""


def decode_slack_text(text: str) -> str:
    """Slack sends `&`, `<` and `>` in command and message text as entities; we store what was typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

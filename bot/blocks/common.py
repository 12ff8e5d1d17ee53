"""Small shared pieces of Block Kit: text objects, escaping and trimming to Slack's limits."""

from __future__ import annotations

SECTION_TEXT_MAX = 3000
# Slack's limit for a modal's title, submit and close button texts.
MODAL_TEXT_MAX = 24


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: `<!channel>` or `<@U123>` must never notify anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def fit_mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> str:
    """Cut already-escaped mrkdwn to `limit`, never leaving half an entity such as `&am`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def section(text: str, accessory: dict | None = None, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": mrkdwn(fit_mrkdwn(text))}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def modal(
    callback_id: str,
    title: str,
    submit: str | None,
    close: str,
    blocks: list[dict],
    private_metadata: str | None = None,
) -> dict:
    """A modal view (with no submit button when `submit` is None); its title and buttons are trimmed
    to Slack's limit, whatever a translation makes of them."""
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(shorten(title, MODAL_TEXT_MAX)),
        "close": plain(shorten(close, MODAL_TEXT_MAX)),
        "blocks": blocks,
    }
    if submit is not None:
        view["submit"] = plain(shorten(submit, MODAL_TEXT_MAX))
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    return view


def plain_section(text: str) -> dict:
    return {"type": "section", "text": plain(text)}


def header(text: str) -> dict:
    return {"type": "header", "text": plain(shorten(text, 150))}


def context(text: str) -> dict:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> dict:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> dict:
    element = {"type": "button", "text": plain(shorten(text, 75)), "action_id": action_id}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def option(text: str, value: str) -> dict:
    return {"text": plain(shorten(text, 75)), "value": value}


def echo_sections(text: str) -> list[dict]:
    """A person's own words shown back verbatim, split to fit; plain text never pings anyone."""
    size = SECTION_TEXT_MAX
    return [plain_section(text[start : start + size]) for start in range(0, len(text), size)]


def escape_within(text: str, limit: int) -> str:
    """Escaped user text cut to `limit` characters without splitting an entity like `&amp;`."""
    text = text.strip()
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    pieces, used = [], 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces).rstrip() + "…"


def input_block(
    block_id: str, label: str, element: dict, *, optional: bool | None = None, hint: str | None = None
) -> dict:
    """An input block around `element`; `optional` and `hint` are left out unless given."""
    block = {"type": "input", "block_id": block_id, "label": plain(label)}
    if hint is not None:
        block["hint"] = plain(hint)
    if optional is not None:
        block["optional"] = optional
    block["element"] = element
    return block


def option_of(options: list[dict], value: object) -> dict:
    """The option whose value is `value` (which must be one of them)."""
    return next(o for o in options if o["value"] == value)


def radio_input(block_id: str, action_id: str, label: str, options: list[dict], initial: dict) -> dict:
    element = {"type": "radio_buttons", "action_id": action_id, "options": options, "initial_option": initial}
    return input_block(block_id, label, element)


def static_select(block_id: str, action_id: str, label: str, options: list[dict], initial: dict) -> dict:
    element = {"type": "static_select", "action_id": action_id, "options": options, "initial_option": initial}
    return input_block(block_id, label, element)

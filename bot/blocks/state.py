"""Reading submitted modal state defensively: a forged or truncated payload yields None, never a crash."""

from __future__ import annotations

import re

from bot.text import clean_text

ENTRY_ID_MAX = 2**31 - 1  # the database's integer range
_DIGITS = re.compile(r"[0-9]{1,10}")


def field(values: object, block_id: str, action_id: str) -> dict:
    block = values.get(block_id) if isinstance(values, dict) else None
    element = block.get(action_id) if isinstance(block, dict) else None
    return element if isinstance(element, dict) else {}


def text_value(values: object, block_id: str, action_id: str) -> str:
    value = field(values, block_id, action_id).get("value")
    return clean_text(value).strip() if isinstance(value, str) else ""


def selected_value(values: object, block_id: str, action_id: str) -> str | None:
    selected = field(values, block_id, action_id).get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else None
    return value if isinstance(value, str) else None


def selected_values(values: object, block_id: str, action_id: str) -> list[str]:
    selected = field(values, block_id, action_id).get("selected_options")
    if not isinstance(selected, list):
        return []
    return [o["value"] for o in selected if isinstance(o, dict) and isinstance(o.get("value"), str)]


def string_value(values: object, block_id: str, action_id: str, key: str) -> str | None:
    value = field(values, block_id, action_id).get(key)
    return value if isinstance(value, str) and value else None


def entry_id_value(value: object) -> int | None:
    """An entry id from a button value or metadata; anything else (bools, Unicode digits, huge numbers) is None."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ENTRY_ID_MAX:
        return value
    return None


def pressed(body: object) -> dict:
    """The button or menu a block_actions payload reports, or {} for a malformed one."""
    actions = body.get("actions") if isinstance(body, dict) else None
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, dict) else {}


def pressed_value(body: object) -> str:
    value = pressed(body).get("value")
    return value if isinstance(value, str) else ""


def pressed_entry_id(body: object) -> int:
    """The entry a button names; 0, which matches no entry, for anything else."""
    return entry_id_value(pressed_value(body)) or 0

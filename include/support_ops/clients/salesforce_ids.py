"""Salesforce record ids in one form: the 18-character, case-insensitive-safe id.

Salesforce shows the same record as a 15-character id (case-sensitive: `001A` and `001a` are
different records) and as an 18-character id (the 15 plus a three-character suffix that
encodes which of the 15 are upper case). The API returns 18; people paste 15 into fields
such as a Zendesk organization's `salesforce_id`. Storing and comparing only the 18-character
form makes the two one record. The suffix: for each block of five characters, a 5-bit mask of
the upper-case letters, written as one character of `A..Z0..5`.
"""

from __future__ import annotations

from typing import Any

_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def suffix(id15: str) -> str:
    """The three-character case suffix of a 15-character id."""
    out = []
    for block in range(3):
        mask = 0
        for bit, char in enumerate(id15[block * 5 : block * 5 + 5]):
            if "A" <= char <= "Z":
                mask |= 1 << bit
        out.append(_SUFFIX[mask])
    return "".join(out)


def to18(value: Any) -> str | None:
    """The 18-character form of a 15- or 18-character id; None if `value` cannot be an id.

    An 18-character id is rebuilt from its suffix, so one whose case was changed on the way
    (an upper-cased spreadsheet column) still names the same record.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text.isascii() or not text.isalnum():
        return None
    if len(text) == 15:
        return text + suffix(text)
    if len(text) != 18:
        return None
    body, tail = text[:15], text[15:].upper()
    chars = list(body)
    for block, code in enumerate(tail):
        mask = _SUFFIX.find(code)
        if mask < 0:
            return None
        for bit in range(5):
            i = block * 5 + bit
            if mask & (1 << bit):
                if not chars[i].isalpha():
                    return None  # the suffix says upper case where there is no letter
                chars[i] = chars[i].upper()
            else:
                chars[i] = chars[i].lower()
    body = "".join(chars)
    return body + tail


def same_record(a: Any, b: Any) -> bool:
    """Whether two ids (15 or 18 characters) name the same record."""
    x, y = to18(a), to18(b)
    return x is not None and x == y

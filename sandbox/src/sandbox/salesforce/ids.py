"""Salesforce record ids: the one place the sandbox makes, checks and compares them.

An id is a 3-character key prefix (the object), a base-62 body, and, in the 18-character
form, a 3-character case-safe checksum; two ids name the same record when their first 15
characters are equal. Salesforce documents the checksum under "What is a Salesforce ID?"
and the 15/18-character forms in the SOAP API's ID field type.
"""

from __future__ import annotations

import re

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")

# Key prefixes of the standard objects the sandbox knows; custom objects get a0X.
STANDARD_KEY_PREFIXES = {
    "Account": "001", "Contact": "003", "User": "005", "Opportunity": "006",
    "Lead": "00Q", "Case": "500", "Organization": "00D",
}


def id_suffix(id15: str) -> str:
    """The 3-character case-safe checksum Salesforce appends to a 15-character id.

    Each 5-character chunk gives a 5-bit number (bit i set when character i is an
    upper-case letter), mapped onto A-Z0-5.
    """
    if len(id15) != 15:
        raise ValueError(f"not a 15-character id: {id15!r}")
    out = []
    for start in (0, 5, 10):
        bits = 0
        for i, ch in enumerate(id15[start : start + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(_SUFFIX_CHARS[bits])
    return "".join(out)


def to18(sfid: str) -> str:
    """The 18-character form of a 15- or 18-character id (the suffix is recomputed)."""
    if not _ID_RE.match(sfid or ""):
        raise ValueError(f"not a Salesforce id: {sfid!r}")
    return sfid[:15] + id_suffix(sfid[:15])


def is_sf_id(value: str) -> bool:
    """True for a well-formed 15-character id or an 18-character id with a valid suffix."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        return False
    return len(value) == 15 or value[15:] == id_suffix(value[:15])


def make_id(key_prefix: str, number: int) -> str:
    """An 18-character id: key prefix, 12 base-62 digits of `number`, checksum."""
    if len(key_prefix) != 3:
        raise ValueError("key prefix must have 3 characters")
    digits = ""
    n = number
    while n:
        n, r = divmod(n, 62)
        digits = BASE62[r] + digits
    body = key_prefix + digits.rjust(12, "0")
    if len(body) != 15:
        raise ValueError("record number too large")
    return body + id_suffix(body)


def same_id(a: str | None, b: str | None) -> bool:
    """Two ids name the same record when their first 15 characters are equal."""
    return a is not None and b is not None and a[:15] == b[:15]


def generated_id(prefix: str, number: int) -> str:
    """The generator's ids: key prefix, "5e000", 7 base-62 digits of `number`, checksum.

    The fixed padding keeps them apart from `make_id`'s, so records the services create
    never collide with generated ones."""
    body = ""
    for _ in range(7):
        number, digit = divmod(number, 62)
        body = BASE62[digit] + body
    id15 = prefix + "5e000" + body
    return id15 + id_suffix(id15)

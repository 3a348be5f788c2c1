"""Salesforce record ids: random 15-character ids and their 18-character case-safe form.

A Salesforce id is 15 case-sensitive characters: a 3-character key prefix naming the object
(``00D`` Organization, ``00G`` Group/queue, ``005`` User, ``04v`` CallCenter, ``0Mw`` MessagingSession,
``0JR`` PendingServiceRouting, ``0Bq`` CallCenterRoutingMap), then 12 characters. The 18-character form appends a
3-character checksum of the capitalisation of the first 15 (Salesforce's published algorithm, e.g.
help.salesforce.com "What are Salesforce IDs composed of?").
"""

from __future__ import annotations

import secrets
import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_ALPHABET = string.ascii_uppercase + "012345"


def to_18(id15: str) -> str:
    """Return the 18-character case-safe form of a Salesforce id.

    Parameters
    ----------
    id15 : str
        A 15-character id (an 18-character id is returned unchanged).

    Returns
    -------
    str
        ``id15`` followed by its 3-character checksum.

    Raises
    ------
    ValueError
        If ``id15`` is neither 15 nor 18 characters long.
    """
    if len(id15) == 18:
        return id15
    if len(id15) != 15:
        raise ValueError(f"a Salesforce id has 15 or 18 characters, got {len(id15)}")
    suffix = ""
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _CHECKSUM_ALPHABET[bits]
    return id15 + suffix


def to_15(any_id: str) -> str:
    """Return the 15-character form of a 15- or 18-character Salesforce id.

    Parameters
    ----------
    any_id : str
        A 15- or 18-character id.

    Returns
    -------
    str
        The first 15 characters.

    Raises
    ------
    ValueError
        If the length is neither 15 nor 18.
    """
    if len(any_id) not in (15, 18):
        raise ValueError(f"a Salesforce id has 15 or 18 characters, got {len(any_id)}")
    return any_id[:15]


def new_id(prefix: str) -> str:
    """Make a random 18-character Salesforce id with the given key prefix.

    Parameters
    ----------
    prefix : str
        The 3-character key prefix, e.g. ``"0Mw"``.

    Returns
    -------
    str
        An 18-character id such as ``0Mw7Q00000aBcDeFGH``.
    """
    if len(prefix) != 3:
        raise ValueError("a key prefix has 3 characters")
    body = "".join(secrets.choice(_BASE62) for _ in range(12))
    return to_18(prefix + body)


def same_id(left: str, right: str) -> bool:
    """Tell whether two ids (15 or 18 characters each) name the same record.

    Parameters
    ----------
    left, right : str
        Ids in either form.

    Returns
    -------
    bool
        True when their 15-character forms are equal (case-sensitively).
    """
    if len(left) not in (15, 18) or len(right) not in (15, 18):
        return left == right
    return left[:15] == right[:15]


def is_id(value: object, prefix: str | None = None) -> bool:
    """Tell whether ``value`` looks like a Salesforce id (optionally with a key prefix).

    Parameters
    ----------
    value : object
        Anything.
    prefix : str, optional
        Required key prefix.

    Returns
    -------
    bool
        True for a 15- or 18-character alphanumeric string (whose 18-character checksum is right).
    """
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isalnum() or not value.isascii():
        return False
    if prefix is not None and not value.startswith(prefix):
        return False
    return len(value) == 15 or to_18(value[:15]) == value

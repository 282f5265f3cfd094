"""Company names as the cross-company and same-department rules compare them.

People type their employer freely: "Fjord Software", "fjord software A/S" and
"Fjord Software, ApS" are one company. Pure string functions, no numpy, so
services may normalise names for display or search with the same rule.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Legal-form suffixes of the programmes' countries and common international ones, compared
#: after punctuation is removed (so "d.o.o." is "d o o" and "A/S" is "a s").
LEGAL_FORMS: tuple[str, ...] = (
    "a s",
    "aps",
    "i s",
    "p s",
    "k s",
    "d o o",
    "doo",
    "d d",
    "a d",
    "ad",
    "uab",
    "ab",
    "ou",
    "as",
    "sia",
    "gmbh",
    "ag",
    "kg",
    "ltd",
    "limited",
    "plc",
    "llc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "sa",
    "s a",
    "srl",
    "bv",
    "b v",
    "nv",
    "oy",
    "oyj",
    "sp z o o",
    "s r o",
)

_PUNCTUATION = re.compile(r"[^\w]+")
# Longest forms first, so "sp z o o" wins over "o o"-like shorter tails.
_SUFFIX = re.compile(r"(?:\s(?:" + "|".join(re.escape(f) for f in sorted(LEGAL_FORMS, key=len, reverse=True)) + r"))+$")


@lru_cache(maxsize=4096)
def normalise_company(name: str | None) -> str | None:
    """Case-, punctuation- and legal-form-insensitive key of a company name; None when nothing is left.

    A name that is only a legal form (say "AB") is kept as it is rather than emptied.
    """
    if name is None:
        return None
    folded = unicodedata.normalize("NFKC", name).casefold()
    words = _PUNCTUATION.sub(" ", folded).replace("_", " ").split()
    if not words:
        return None
    text = " ".join(words)
    stripped = _SUFFIX.sub("", " " + text).strip() if " " in text else text
    return stripped or text

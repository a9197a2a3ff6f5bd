"""Everyday support vocabulary of eight languages -> English, merged and folded for lookup."""

from __future__ import annotations

import importlib
import re

from gateway.agent.glossary_more import fold_key

LANGUAGES = ("de", "nl", "fr", "it", "es", "pt", "pl", "ja")
MAX_ENGLISH = 4  # English words kept for a key that two languages share
MIN_KEY = 2  # one letter is no word; one Japanese character (matched by substring) is everywhere


def _merged() -> dict[str, str]:
    """All languages' words folded; a key two languages share keeps both meanings."""
    merged: dict[str, list[str]] = {}
    for language in LANGUAGES:
        module = importlib.import_module(f"{__name__}.{language}")
        for key, english in module.WORDS.items():
            found = merged.setdefault(fold_key(key).strip(), [])
            for word in re.findall(r"[a-z0-9-]+", english.casefold()):
                if word not in found and len(found) < MAX_ENGLISH:
                    found.append(word)
    return {key: " ".join(english) for key, english in merged.items()
            if english and len(key) >= MIN_KEY}


VOCABULARY: dict[str, str] = _merged()

"""The supplementary glossary is folded, plain English and disjoint from the main one."""

from gateway.agent import glossary_more
from gateway.agent.lexicons import GLOSSARY, fold


def test_glossary_more_is_well_formed() -> None:
    more = glossary_more.MORE
    assert len(more) == len(glossary_more.RAW) > 1000
    for key, value in more.items():
        assert fold(key) == key, key
        assert value.strip() and value.isascii() and value == value.lower(), (key, value)
        assert key not in GLOSSARY, key

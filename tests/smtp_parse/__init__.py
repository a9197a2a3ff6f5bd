"""Tests for the pure inbound-mail functions (parse, classify, identify, quotes, tokens)."""

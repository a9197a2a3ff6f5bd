"""Tests for reply rendering, signatures and MIME building."""

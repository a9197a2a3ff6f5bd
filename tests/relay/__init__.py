"""Tests for the outbound relay (aiosmtplib, Maildir) against an in-process sink."""

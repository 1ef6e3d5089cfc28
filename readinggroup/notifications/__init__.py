"""Reminders and digests: who gets which message when, sent exactly once."""

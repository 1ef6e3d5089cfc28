"""Discussions: Markdown notes and replies on sessions and papers, and their search."""

"""A Markdown document's outline: its title (the first `#` heading) and its topics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from papers.parsing.titles import collapse_spaces, unescape_markdown

HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*\s*")


def heading_text(text: str) -> str:
    """`**Serving Systems**` -> `Serving Systems`: a heading without emphasis markers."""
    text = unescape_markdown(text.strip())
    for marker in ("**", "__", "*", "_"):
        if len(text) > 2 * len(marker) and text.startswith(marker) and text.endswith(marker):
            text = text[len(marker) : -len(marker)]
    return collapse_spaces(text)


@dataclass
class Outline:
    title: str = ""
    topic: str = ""  # the section being read
    topics: list[str] = field(default_factory=list)  # in document order, no duplicates

    def read_heading(self, line: str, *, list_topic: bool = True) -> bool:
        """Record ``line`` if it is a heading; True when it was one.

        ``list_topic=False`` lists a section only once ``enter`` is called for its first
        entry, so a heading with nothing under it does not become an empty topic.
        """
        heading = HEADING.fullmatch(line)
        if not heading:
            return False
        name = heading_text(heading.group(2))
        if len(heading.group(1)) == 1:
            self.title = self.title or name
        elif name:
            self.topic = name
            if list_topic:
                self.enter(name)
        return True

    def enter(self, topic: str) -> None:
        self.topic = topic
        if topic not in self.topics:
            self.topics.append(topic)

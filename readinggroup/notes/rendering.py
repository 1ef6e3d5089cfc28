"""Markdown notes to safe HTML: Markdown first, then an allowlist sanitiser.

Whatever a member types (raw HTML included) ends up as a small set of tags
and attributes. Nothing a browser or htmx would act on survives: no script,
no event handlers, no ``javascript:``/``data:`` URLs, no ``hx-*``/``data-*``.
"""

from __future__ import annotations

import re

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# Dropped with their content, not just their tags: their text is code or noise.
DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "noscript", "template", "textarea",
    "title", "xmp", "noembed", "noframes", "svg", "math", "select",
}  # fmt: skip
ALIGNMENTS = {"left", "center", "right"}
LINK_REL = "nofollow noopener noreferrer"

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes={"a": {"href", "title"}},
    tag_attribute_values={"th": {"align": ALIGNMENTS}, "td": {"align": ALIGNMENTS}},
    url_schemes={"http", "https", "mailto"},
    link_rel=LINK_REL,
    strip_comments=True,
)

# $…$ and $$…$$ are kept verbatim so that `$a*b*c$` is not turned into emphasis.
# An inline span must not start or end with a space, nor touch a digit or word
# after its closing dollar, so "it costs $5 and $6" stays prose.
_MATH_RE = r"(?<![\\$])(\$\$(?!\$).+?(?<!\\)\$\$|\$(?![\s$]).+?(?<![\s\\$])\$(?![\w$]))"


class _MathAsText(InlineProcessor):
    def handleMatch(  # Python-Markdown's API
        self, m: re.Match[str], data: str
    ) -> tuple[str, int, int]:
        return AtomicString(m.group(1)), m.start(0), m.end(0)


class _MathExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # Python-Markdown's API
        # After code spans (190), before backslash escapes and emphasis.
        md.inlinePatterns.register(_MathAsText(_MATH_RE, md), "math_as_text", 185)


def _markdown() -> markdown.Markdown:
    # A fresh converter per call: Markdown instances keep state and are not thread-safe.
    return markdown.Markdown(
        extensions=["fenced_code", "tables", "sane_lists", _MathExtension()],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to show as is, whatever ``text`` contains."""
    return _cleaner.clean(_markdown().convert(text))

"""Markdown notes to safe HTML: Markdown first, then an allowlist sanitiser.

Whatever a member types (raw HTML included) ends up as a small set of tags
and attributes. Nothing a browser or htmx would act on survives: no script,
no event handlers, no ``javascript:``/``data:`` URLs, no ``hx-*``/``data-*``.

The parser is markdown-it-py (CommonMark, plus tables), whose time grows linearly
with its input: one note of 20,000 characters cannot tie up a worker, whatever it
holds (Python-Markdown, used before, took seconds on a run of ``[``).
"""

from __future__ import annotations

from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

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


def _math_as_text(self: object, tokens: Sequence[Token], idx: int, *args: object) -> str:
    """``$a*b*c$`` and ``$$…$$`` stay verbatim: no emphasis inside, and the page shows
    what was typed (no math typesetting)."""
    token = tokens[idx]
    return escapeHtml(f"{token.markup}{token.content}{token.markup}")


def _table_align_and_mail_links(state: StateCore) -> None:
    """Table cells say ``align="right"`` (what the sanitiser keeps) instead of a style,
    and ``<mailto:a@b.org>`` shows the address without its scheme."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrSet("align", style.removeprefix("text-align:"))
        for before, child in zip(token.children or [], (token.children or [])[1:], strict=False):
            if before.type == "link_open" and before.markup == "autolink" and child.type == "text":
                child.content = child.content.removeprefix("mailto:")


def _parser() -> MarkdownIt:
    # CommonMark with raw HTML on (the sanitiser decides what stays), tables, and
    # $…$ kept as text. Without "linkify", typographer or strikethrough, as before.
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    # Every link is kept for the sanitiser to judge (it drops javascript: and data:
    # hrefs but keeps the link text), rather than shown as unparsed Markdown.
    md.validateLink = lambda url: True
    # A currency amount is prose: "$5 and $6" has a space before its closing dollar.
    dollarmath_plugin(md, allow_labels=False, allow_space=False, allow_digits=False,
                      double_inline=True)  # fmt: skip
    md.block.ruler.disable("math_block")  # $$ on its own lines is a paragraph, as before
    for kind in ("math_inline", "math_inline_double"):
        md.add_render_rule(kind, _math_as_text)
    md.core.ruler.push("table_align_and_mail_links", _table_align_and_mail_links)
    return md


# Parsing keeps its state in per-call objects, so one parser serves every thread (its
# rule chains are compiled by this first render, before any thread shares it).
_md = _parser()
_md.render("")


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to show as is, whatever ``text`` contains."""
    return _cleaner.clean(_md.render(text)).rstrip("\n")

"""Markdown rendering of notes, and that nothing typed can run in a reader's browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from readinggroup.notes.actions import post_note
from readinggroup.notes.rendering import ALLOWED_TAGS, render_markdown
from tests.factories import PaperFactory

REL = 'rel="nofollow noopener noreferrer"'


def test_render_markdown_paragraphs_emphasis_and_headings() -> None:
    assert render_markdown("## Idea\n\nIt **works**, *mostly*.") == (
        "<h2>Idea</h2>\n<p>It <strong>works</strong>, <em>mostly</em>.</p>"
    )


def test_render_markdown_fenced_code_is_escaped_and_unlinked() -> None:
    text = "```python\nif a < b and c > d:\n    print('<b>x</b>')\n```"
    assert render_markdown(text) == (
        "<pre><code>if a &lt; b and c &gt; d:\n    print('&lt;b&gt;x&lt;/b&gt;')\n</code></pre>"
    )


def test_render_markdown_inline_code_keeps_markdown_characters() -> None:
    assert render_markdown("Use `a*b*c` here") == "<p>Use <code>a*b*c</code> here</p>"


def test_render_markdown_lists_bulleted_and_numbered() -> None:
    assert render_markdown("- one\n- two\n\n1. first\n2. second") == (
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>"
    )


def test_render_markdown_sane_lists_do_not_mix_kinds() -> None:
    assert render_markdown("1. first\n\n* bullet") == (
        "<ol>\n<li>first</li>\n</ol>\n<ul>\n<li>bullet</li>\n</ul>"
    )


def test_render_markdown_table_keeps_alignment() -> None:
    assert render_markdown("| System | Speed-up |\n|:--|--:|\n| vLLM | 2.2x |") == (
        '<table>\n<thead>\n<tr>\n<th align="left">System</th>\n'
        '<th align="right">Speed-up</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
        '<td align="left">vLLM</td>\n<td align="right">2.2x</td>\n</tr>\n</tbody>\n</table>'
    )


def test_render_markdown_links_get_rel_nofollow() -> None:
    assert render_markdown('[paper](https://arxiv.org/abs/2309.06180 "vLLM") <mailto:a@b.org>') == (
        f'<p><a href="https://arxiv.org/abs/2309.06180" title="vLLM" {REL}>paper</a> '
        f'<a href="mailto:a@b.org" {REL}>a@b.org</a></p>'
    )


def test_render_markdown_relative_link_is_kept() -> None:
    assert render_markdown("[see](/papers/3/)") == f'<p><a href="/papers/3/" {REL}>see</a></p>'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("$a*b*c$", "<p>$a*b*c$</p>"),
        (r"$\alpha_1 * \beta_2$", r"<p>$\alpha_1 * \beta_2$</p>"),
        ("$$\\sum_{i=1}^n x_i * y_i$$", "<p>$$\\sum_{i=1}^n x_i * y_i$$</p>"),
        ("$$\na*b\n$$", "<p>$$\na*b\n$$</p>"),
        ("if $x < y$ then", "<p>if $x &lt; y$ then</p>"),
    ],
)
def test_render_markdown_math_stays_plain_text(text: str, html: str) -> None:
    assert render_markdown(text) == html


def test_render_markdown_dollar_amounts_are_prose() -> None:
    assert render_markdown("It costs $5 and *really* $6") == (
        "<p>It costs $5 and <em>really</em> $6</p>"
    )


# --- XSS ----------------------------------------------------------------------------

# A line that starts with a tag is an HTML block in CommonMark: what the sanitiser
# leaves of it is not wrapped in a paragraph (Python-Markdown gave "<p>Hi</p>").
XSS_PAYLOADS = [
    ("<script>alert(1)</script>Hi", "Hi"),
    ("Hi <script>alert(1)</script>", "<p>Hi </p>"),
    ("Look <img src=x onerror=alert(1)> here", "<p>Look  here</p>"),
    ('<a href="javascript:alert(1)">x</a>', f"<p><a {REL}>x</a></p>"),
    ("[x](javascript:alert(1))", f"<p><a {REL}>x</a></p>"),
    ('<div hx-get="/admin/">d</div>', "d"),
    ('<span data-hx-post="/notes/1/delete/">s</span>', "<p>s</p>"),
    ("<svg onload=alert(1)>", ""),
    ('<iframe src="https://evil.example/"></iframe>', ""),
    ("<style>body{display:none}</style>", ""),
    ('<a href="jav&#x61;script:alert(1)">e</a>', f"<p><a {REL}>e</a></p>"),
    ('<a href="&#106;avascript:alert(1)">n</a>', f"<p><a {REL}>n</a></p>"),
    ("[m](JaVaScRiPt:alert(1))", f"<p><a {REL}>m</a></p>"),
    ('<a href="JaVaScRiPt:alert(1)">m</a>', f"<p><a {REL}>m</a></p>"),
    ("[d](data:text/html;base64,PHNjcmlwdD4=)", f"<p><a {REL}>d</a></p>"),
    (
        '<a href="/x" onclick="alert(1)" hx-post="/y" data-x="1" hx-on:click="z">ok</a>',
        f'<p><a href="/x" {REL}>ok</a></p>',
    ),
    ('text <b onmouseover="alert(1)">b</b>', "<p>text b</p>"),
    ('<form action="/notes/1/delete/" method="post"><button>go</button></form>', "go"),
    ("<input autofocus onfocus=alert(1)>", ""),
    ("<!-- <script>alert(1)</script> -->", ""),
]


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser (or htmx) would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _assert_inert(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    allowed_attributes = {"a": {"href", "title", "rel"}, "th": {"align"}, "td": {"align"}}
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= allowed_attributes.get(tag, set()), (tag, attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href or re.match(r"(https?:|mailto:|/|#)", href), href


@pytest.mark.parametrize(("payload", "html"), XSS_PAYLOADS)
def test_render_markdown_xss_payload_is_neutralised(payload: str, html: str) -> None:
    assert render_markdown(payload) == html
    _assert_inert(html)


@pytest.mark.django_db
@pytest.mark.parametrize(("payload", "html"), XSS_PAYLOADS)
def test_note_page_xss_payload_is_neutralised(
    payload: str, html: str, member, other_member
) -> None:
    paper = PaperFactory()
    note = post_note(author=member, body=f"Before. {payload}", paper=paper)
    assert "Before." in note.body_html
    client = Client()
    client.force_login(other_member)
    page = client.get(paper.get_absolute_url()).content.decode()
    body = re.search(
        rf'<article class="note" id="note-{note.pk}">.*?<div class="note-body">(.*?)</div>',
        page,
        re.S,
    ).group(1)
    assert body == note.body_html
    _assert_inert(body)
    assert "alert(1)" not in page and "PHNjcmlwdD4" not in page


@pytest.mark.django_db
def test_note_page_author_edit_form_shows_markdown_escaped(member_client: Client, member) -> None:
    paper = PaperFactory()
    post_note(author=member, body="<script>alert(1)</script> & more", paper=paper)
    page = member_client.get(paper.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</textarea>" in page
    assert "<script>alert" not in page

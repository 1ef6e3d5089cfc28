"""Rendering a note takes time linear in its length, whatever it holds.

Python-Markdown was quadratic on runs of ``[`` (10,000 of them took 10 s, so one
member could stall a worker with one note). Hypothesis builds adversarial notes
from the pieces parsers trip on (brackets, emphasis, tags, backticks, deep lists,
long tables) in any mix, and each is rendered at three sizes: each doubling of the
size may take on average at most 2.5 times as long (linear is 2x, quadratic 4x).
"""

from __future__ import annotations

import itertools
import time
import timeit
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readinggroup.notes.actions import MAX_BODY_CHARS, edit_note, post_note
from readinggroup.notes.rendering import render_markdown

# What parsers backtrack on: link and image openers, emphasis runs, tags and comments,
# code spans, entities, escapes, math, list and quote markers, table pipes.
PIECES = [
    "[", "![", "]", "](", "[a]", "[a]:", "*", "**", "_", "__", "<", "<a ", "</", "<!--",
    "<![CDATA[", "<?", "`", "``", "&#", "&", "\\", "$", "$$", "- ", "  - ", "1. ", "> ",
    "|", "~", "\n", " ", "a", "(", ")", '"',
]  # fmt: skip
SIZES = (2_000, 4_000, 8_000)  # characters; notes hold at most MAX_BODY_CHARS
MAX_RATIO = 2.5
REPEATS = 3

Note = Callable[[int], str]  # a note of about the given length


def _repeated(unit: str) -> Note:
    return lambda size: (unit * (size // len(unit) + 1))[:size]


def _nested_lists(depth: int) -> Note:
    block = "".join("  " * level + "- item\n" for level in range(depth))
    return _repeated(block)


def _long_table(row: str) -> Note:
    head = "| a | b | c |\n|:--|:-:|--:|\n"
    return lambda size: head + _repeated(row)(size - len(head))


units = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)
notes = st.one_of(
    units.map(_repeated),
    st.integers(min_value=1, max_value=40).map(_nested_lists),
    units.map(lambda cell: f"| {cell} | [x | *y |\n").map(_long_table),
)


def _cpu_seconds(text: str) -> float:
    """CPU time of this process for one rendering: what other processes on the machine
    do counts for little (timeit turns the GC off meanwhile)."""
    return timeit.timeit(lambda: render_markdown(text), number=1, timer=time.process_time)


def _doublings(note: Note, repeats: int) -> list[float]:
    """How much longer each doubling of the size takes: best of ``repeats`` runs, the
    sizes taken in turn so that a busy spell slows them all alike."""
    texts = [note(size) for size in SIZES]
    rounds = [[_cpu_seconds(text) for text in texts] for _ in range(repeats)]
    best = [min(runs) for runs in zip(*rounds, strict=True)]
    return [later / earlier for earlier, later in itertools.pairwise(best)]


def _linear(doublings: list[float]) -> bool:
    # On average each doubling at most MAX_RATIO (linear is 2, quadratic 4), and none
    # near quadratic: a noisy middle size cannot fail alone.
    mean = (doublings[0] * doublings[1]) ** 0.5
    return mean <= MAX_RATIO and max(doublings) < 3.2


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(note=notes)
def test_render_markdown_time_grows_linearly_for_adversarial_notes(note: Note) -> None:
    assert SIZES[-1] <= MAX_BODY_CHARS
    doublings = _doublings(note, REPEATS)
    for repeats in (3 * REPEATS, 5 * REPEATS):  # a busy machine: measure longer first
        if _linear(doublings):
            break
        doublings = _doublings(note, repeats)
    assert _linear(doublings), (doublings, note(60))


def test_posting_and_editing_a_note_render_the_same_way(db, member) -> None:
    # Editing goes through the same renderer as posting: neither can stall a worker.
    from tests.factories import PaperFactory

    body = "[" * 5_000 + " *a* `b` <i>c</i>"
    note = post_note(author=member, body="first", paper=PaperFactory())
    assert note.body_html == render_markdown("first")
    edit_note(note=note, body=body)
    note.refresh_from_db()
    assert note.body_html == render_markdown(body)
    assert note.body_html.endswith(" <em>a</em> <code>b</code> c</p>")

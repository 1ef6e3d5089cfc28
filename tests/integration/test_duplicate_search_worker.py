"""A big import's duplicate search, run by a real worker process on the embedded broker."""

from __future__ import annotations

from papers import duplicates
from papers.importing import apply_import
from papers.models import DuplicateCandidate, Paper
from papers.parsing.base import ParsedDocument, ParsedEntry, SourceFormat
from tests.factories import PaperFactory

from .harness import wait_until


def test_worker_searches_a_big_imports_papers_for_duplicates(
    transactional_db, embedded_broker, start_worker, monkeypatch
):
    monkeypatch.setattr(duplicates, "INLINE_SEARCH_LIMIT", 1)  # in this process only
    existing = PaperFactory(title="SLoRA: Scalable Serving of Thousands of LoRA Adapters")
    titles = ["S-LORA: SERVING THOUSANDS OF CONCURRENT LORA ADAPTERS", "Tiresias: GPU Clusters"]
    entries = [ParsedEntry(title=t, topic="More", line=i + 1, raw=t) for i, t in enumerate(titles)]
    document = ParsedDocument("more.md", SourceFormat.MARKDOWN_LIST, "More", ["More"], entries)
    start_worker("search1")

    report = apply_import(document, content_sha256="x")  # commits, then enqueues

    assert report.duplicate_search_pending
    wait_until(
        lambda: not Paper.objects.duplicate_search_pending().exists(),
        timeout=30,
        what="the worker to search the imported papers",
    )
    candidate = DuplicateCandidate.objects.get()
    assert {candidate.paper_a, candidate.paper_b} == {
        existing,
        Paper.objects.get(title=titles[0]),
    }

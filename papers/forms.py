from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet

from readinggroup.searchfields import IdField, SearchField, problems

from .models import Paper

SORTS = {
    "title": ("Title", ["title_key"]),
    "-year": ("Newest first", ["-year", "title_key"]),
    "year": ("Oldest first", ["year", "title_key"]),
    "venue": ("Venue", ["venue", "-year", "title_key"]),
    "recent": ("Recently added", ["-created_at", "-pk"]),
    "wanted": ("Most wanted", ["-want_count", "title_key"]),
}


class CatalogueFilterForm(forms.Form):
    """The catalogue's search and filters. Bad values are ignored, never an error page;
    ``problems`` says which were ignored and why."""

    q = SearchField(max_length=200, label="Search")
    topic = IdField()
    list = IdField(label="Reading list")
    venue = SearchField(max_length=100)
    year = forms.IntegerField(required=False, min_value=1900, max_value=2100)
    paper = IdField(widget=forms.HiddenInput)
    sort = forms.ChoiceField(
        required=False, choices=[(k, label) for k, (label, _) in SORTS.items()]
    )

    def __init__(self, data: object = None, **kwargs: object) -> None:
        super().__init__(data, **kwargs)
        # Drop what does not validate so a mangled link still shows a catalogue.
        self.full_clean()
        self.problems = problems(self)
        for name in list(self.errors):
            self.cleaned_data.pop(name, None)

    def query(self) -> str:
        """The filters that validated, as a query string in field order: what links keep,
        and the cache key (stray or mangled parameters make no entry of their own)."""
        return urlencode({k: v for k, v in self.cleaned_data.items() if v not in (None, "")})

    def filter(self, papers: QuerySet[Paper]) -> QuerySet[Paper]:
        data = self.cleaned_data
        if data.get("q"):
            papers = papers.search(data["q"])
        if data.get("topic"):
            papers = papers.in_topic(data["topic"])
        if data.get("list"):
            papers = papers.in_list(data["list"])
        if data.get("paper"):
            papers = papers.filter(pk=data["paper"])
        if data.get("venue"):
            papers = papers.filter(venue=data["venue"])
        if data.get("year"):
            papers = papers.filter(year=data["year"])
        return papers.order_by(*SORTS[data.get("sort") or "title"][1])

    @property
    def is_filtered(self) -> bool:
        return any(
            self.cleaned_data.get(k) for k in ("q", "topic", "list", "venue", "year", "paper")
        )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Reading list file",
        allow_empty_file=True,  # the parser explains an empty file, naming it
        help_text="BibTeX (.bib), Markdown with BibTeX blocks, a Markdown list or a GitBook page.",
    )

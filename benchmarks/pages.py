"""The pages and htmx fragments the benchmark drives, chosen so both sizes compare.

Each page is picked the same way at every size: the paper and the session have
about the same number of notes whatever the size of the group, the catalogue
filter is the biggest topic (a full first page), the searches use the same words.
A path that does not resolve yet is a page reported "missing", never a crash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import Resolver404, resolve
from django.utils import timezone

from papers.models import Paper, Topic
from readinggroup.models import Session, User

FLOOR = "floor"
CATALOGUE_QUERY = "scheduling"
NOTES_QUERY = "speculative decoding"
TYPICAL_THREAD = 6  # notes on the benchmarked paper and session, at every size


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # with its query string
    htmx: bool = False  # sent with HX-Request: the fragment, not the whole page
    missing: str = ""  # why it cannot be measured, when it cannot

    @property
    def kind(self) -> str:
        return "floor" if self.name == FLOOR else ("fragment" if self.htmx else "page")

    def as_dict(self) -> dict:
        return {**asdict(self), "kind": self.kind}


def _with_query(path: str, **params: object) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _typical(queryset, count_field: str):
    """The row whose note count is nearest TYPICAL_THREAD (lowest pk on ties), or None."""
    rows = list(
        queryset.annotate(n=Count(count_field, filter=Q(**{f"{count_field}__hidden": False})))
        .filter(n__gt=0)
        .values_list("pk", "n")
    )
    if not rows:
        return None
    return min(rows, key=lambda row: (abs(row[1] - TYPICAL_THREAD), row[0]))[0]


def bench_member() -> User:
    """The member the benchmark logs in as: the first active member who is no organizer."""
    return (
        User.objects.filter(is_active=True, role="member", is_superuser=False)
        .order_by("pk")
        .first()
    )


def bench_pages(user: User, calendar_token: str) -> list[Page]:
    topic = Topic.objects.with_paper_counts().order_by("-paper_count", "pk").first()
    paper_id = _typical(Paper.objects.all(), "notes")
    session_id = _typical(
        Session.objects.filter(starts_at__lt=timezone.now(), status="scheduled"), "notes"
    )
    pages = [
        Page(FLOOR, "/healthz"),
        Page("dashboard", "/"),
        Page(
            "catalogue filtered",
            _with_query("/papers/", topic=topic.pk, sort="-year") if topic else "/papers/",
        ),
        Page("catalogue search", _with_query("/papers/", q=CATALOGUE_QUERY), htmx=True),
        Page("paper page", f"/papers/{paper_id}/" if paper_id else "", missing=""),
        Page("session page", f"/sessions/{session_id}/" if session_id else ""),
        Page("sessions list", "/sessions/"),
        Page("notes page", "/notes/"),
        Page("notes search", _with_query("/notes/", q=NOTES_QUERY), htmx=True),
        Page("members page", "/members/"),
        Page("calendar feed", f"/calendar/{calendar_token}.ics"),
    ]
    return [_checked(page) for page in pages]


def _checked(page: Page) -> Page:
    if not page.path:
        return Page(page.name, page.path, page.htmx, "no data to show on it")
    try:
        resolve(page.path.split("?")[0])
    except Resolver404:
        return Page(page.name, page.path, page.htmx, "its URL does not resolve yet")
    return page

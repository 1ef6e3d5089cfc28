"""The notes page, and posting, editing, deleting, hiding and pinning notes.

Every action answers an htmx request with the thread fragment
(``readinggroup/notes/thread.html#thread``) and a plain request with a redirect to the
paper or session page and a message, so everything works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from papers import access as paper_access
from papers.models import Listing, Paper, Topic
from readinggroup.models import Note, Session, User
from readinggroup.schedule import access as session_access
from readinggroup.searchfields import IdField, SearchField
from readinggroup.web import (
    filters_in_use,
    fragment_or_redirect,
    push_results_url,
    wants_fragment,
)

from . import access, actions
from .search import search_page

PAGE_SIZE = 25
THREAD = "readinggroup/notes/thread.html#thread"


# --- The thread on a paper or session page ------------------------------------------


def _thread_response(
    request: HttpRequest,
    target: Paper | Session,
    *,
    anchor: str = "thread",
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    def thread() -> HttpResponse:
        context = {
            "thread_notes": Note.objects.thread(request.user, target),
            "thread_target": target,
            "thread_error": error,
            "thread_notice": notice,
        }
        return render(request, THREAD, context)

    url = f"{target.get_absolute_url()}#{anchor}"
    return fragment_or_redirect(request, thread, url, error=error, notice=notice)


def _target(note: Note) -> Paper | Session:
    return note.paper if note.paper_id else note.session


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


# --- Actions -------------------------------------------------------------------------


@require_POST
@login_required
def note_post(request: HttpRequest) -> HttpResponse:
    """A note on a paper or session (field ``paper`` or ``session``), or a reply (``parent``)."""
    parent = paper = session = None
    if parent_id := _int(request.POST.get("parent")):
        parent = access.note_for_viewing(request, parent_id)
        target = _target(parent)
    elif paper_id := _int(request.POST.get("paper")):
        paper = target = paper_access.paper_for_viewing(request, paper_id)
    elif session_id := _int(request.POST.get("session")):
        session = target = session_access.session_for_viewing(request, session_id)
    else:
        return HttpResponseBadRequest("Say which paper, session or note this note is about.")
    try:
        note = actions.post_note(
            author=request.user,
            body=request.POST.get("body", ""),
            paper=paper,
            session=session,
            parent=parent,
        )
    except actions.NoteError as exc:
        return _thread_response(request, target, error=str(exc))
    notice = "Reply posted." if parent else "Note posted."
    return _thread_response(request, target, anchor=f"note-{note.pk}", notice=notice)


@require_POST
@login_required
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = access.note_for_editing(request, pk)
    try:
        actions.edit_note(note=note, body=request.POST.get("body", ""))
    except actions.NoteError as exc:
        return _thread_response(request, _target(note), anchor=f"note-{pk}", error=str(exc))
    return _thread_response(request, _target(note), anchor=f"note-{pk}", notice="Note saved.")


@require_POST
@login_required
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    note = access.note_for_editing(request, pk)
    target = _target(note)
    actions.delete_note(note=note)
    return _thread_response(request, target, notice="Note deleted.")


@require_POST
@login_required
def note_hide(request: HttpRequest, pk: int) -> HttpResponse:
    """Field ``hidden``: "1" hides the note (and its replies), "0" shows it again."""
    note = access.note_for_moderating(request, pk)
    hidden = request.POST.get("hidden", "1") != "0"
    actions.set_hidden(note=note, hidden=hidden)
    notice = (
        "Note hidden: only organizers and its author see it." if hidden else "Note shown again."
    )
    return _thread_response(request, _target(note), anchor=f"note-{pk}", notice=notice)


@require_POST
@login_required
def note_pin(request: HttpRequest, pk: int) -> HttpResponse:
    """Field ``pinned``: "1" pins the note at the top of its session's thread, "0" unpins it."""
    note = access.note_for_moderating(request, pk)
    try:
        if request.POST.get("pinned", "1") != "0":
            actions.pin_note(note=note)
            notice = "Note pinned."
        else:
            actions.unpin_note(note=note)
            notice = "Note unpinned."
    except actions.NoteError as exc:
        return _thread_response(request, _target(note), anchor=f"note-{pk}", error=str(exc))
    return _thread_response(request, _target(note), anchor=f"note-{pk}", notice=notice)


@require_GET
@login_required
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A note's permanent link: the note in its thread."""
    note = access.note_for_viewing(request, pk)
    return redirect(f"{_target(note).get_absolute_url()}#note-{note.pk}")


# --- The notes page ------------------------------------------------------------------


class NoteFilterForm(forms.Form):
    """Search and filters of the notes page.

    Topic is a select (a few hundred topics); paper, session and author come from
    links (a note's "on …"/"by …", a thread's "All notes") and show as removable
    chips, since listing every paper, session or member would make the page huge.
    A bad value is dropped with a message (``problems``), never an error page.
    """

    q = SearchField(max_length=200, label="Search")
    topic = IdField()
    session = IdField()
    paper = IdField()
    author = IdField()

    LABELS = {"q": "search", "topic": "topic", "session": "session", "paper": "paper"}

    def __init__(self, data: object = None, **kwargs: object) -> None:
        super().__init__(data, **kwargs)
        self.full_clean()
        self.problems: list[str] = []
        for name in list(self.errors):
            self.cleaned_data.pop(name, None)
            if name == "q":  # free text: say why, without echoing it
                self.problems.append(f"Search ignored: {' '.join(self.errors[name])}")
                continue
            self.problems.append(
                f"“{self.data.get(name, '')[:40]}” is not a valid "
                f"{self.LABELS.get(name, name)}: showing notes without that filter."
            )
        self.chips: list[tuple[str, str, int, str]] = []  # label, name, value, URL without it

    def resolve(self, path: str, filters: dict[str, str]) -> None:
        """Look up the chosen paper, session and author (one query each, only if chosen);
        each chip's ✕ links to ``path`` with the other ``filters`` (no cursor)."""
        lookups = {
            "paper": (Paper.objects.all(), "Paper"),
            "session": (Session.objects.all(), "Session"),
            "author": (User.objects.filter(is_active=True), "Author"),
        }
        for name, (objects, label) in lookups.items():
            pk = self.cleaned_data.get(name)
            if not pk:
                continue
            obj = objects.filter(pk=pk).first()
            if obj is None:
                self.cleaned_data.pop(name)
                self.problems.append(
                    f"There is no {name} #{pk}: showing notes without that filter."
                )
                continue
            text = obj.name if isinstance(obj, User) else str(obj)
            rest = {k: v for k, v in filters.items() if k != name}
            url = path + (f"?{urlencode(rest)}" if rest else "")
            self.chips.append((f"{label}: {text}", name, pk, url))

    def filter(self, notes: QuerySet[Note]) -> QuerySet[Note]:
        """The chosen notes; searching is done by the view (see search.search_page)."""
        data = self.cleaned_data
        if data.get("topic"):
            listed = Listing.objects.filter(topic_id=data["topic"]).values("paper_id")
            notes = notes.filter(paper_id__in=listed)
        for name in ("session", "paper", "author"):
            if data.get(name):
                notes = notes.filter(**{f"{name}_id": data[name]})
        return notes

    @property
    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(k) for k in ("q", "topic", "session", "paper", "author"))


NOTES = "readinggroup/notes/notes.html"


@require_GET
@login_required
@vary_on_headers("HX-Request")
def note_list(request: HttpRequest) -> HttpResponse:
    """Newest notes first, a page at a time ("Older notes" follows a cursor, never
    an OFFSET or a COUNT over every note); or the best matches of a search.
    htmx asks for the results alone."""
    filters = {k: v for k, v in filters_in_use(request).items() if k not in ("before", "after")}
    form = NoteFilterForm(request.GET)
    form.resolve(request.path, filters)
    notes = form.filter(Note.objects.visible_to(request.user)).select_related(
        "author", "paper", "session"
    )
    context = {"form": form, "query": urlencode(filters), "searching": False, "more": False}
    page = None
    if query := form.cleaned_data.get("q"):
        page, more = search_page(
            query, notes=notes, page_number=request.GET.get("page"), per_page=PAGE_SIZE
        )
        context.update(searching=True, page=page, more=more, notes=page.object_list)
    else:
        context.update(newest_first(notes, request, form.problems))
    if wants_fragment(request):
        response = render(request, f"{NOTES}#results", context)
        return push_results_url(request, response, page.number if page is not None else None)
    context["topic_options"] = topic_options(form.cleaned_data.get("topic"))
    return render(request, NOTES, context)


def topic_options(selected: int | None) -> SafeString:
    """The topic <optgroup>s and <option>s, one per reading list.

    Built from tuples, not models and a template loop: with a few hundred topics
    that loop was half the page's time.
    """
    rows = Topic.objects.order_by("reading_list__name", "position").values_list(
        "reading_list__name", "pk", "name"
    )
    groups: dict[str, list[tuple[int, str]]] = {}
    for group, pk, name in rows:
        groups.setdefault(group, []).append((pk, name))
    selected_mark = mark_safe(" selected")

    def options(topics: list[tuple[int, str]]) -> SafeString:
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((pk, selected_mark if pk == selected else "", name) for pk, name in topics),
        )

    return format_html_join(
        "\n",
        '<optgroup label="{}">{}</optgroup>',
        ((group, options(topics)) for group, topics in groups.items()),
    )


def newest_first(notes: QuerySet[Note], request: HttpRequest, problems: list[str]) -> dict:
    """A page of ``notes``, newest first, before or after a cursor; one query.

    The cursor is "<created_at in µs since the epoch>.<id>" of the last (or first)
    note shown: (created_at, id) orders notes totally, so no note is skipped or
    shown twice even when many share a time, and the (created_at, id) index serves it.
    """
    before = _cursor(request.GET.get("before"), problems)
    after = None if before else _cursor(request.GET.get("after"), problems)
    if before:
        at, pk = before
        notes = notes.filter(created_at__lte=at).filter(Q(created_at__lt=at) | Q(pk__lt=pk))
    elif after:
        at, pk = after
        notes = notes.filter(created_at__gte=at).filter(Q(created_at__gt=at) | Q(pk__gt=pk))
    order = ("created_at", "pk") if after else ("-created_at", "-pk")
    rows = list(notes.order_by(*order)[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if after:
        rows.reverse()
    return {
        "notes": rows,
        "older": _cursor_of(rows[-1]) if rows and (more or after) else "",
        "newer": _cursor_of(rows[0]) if rows and (before or (after and more)) else "",
    }


def _cursor(value: str | None, problems: list[str]) -> tuple[dt.datetime, int] | None:
    if not value:
        return None
    micros, _, pk = value.partition(".")
    try:
        at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(micros))
        return at, int(pk)
    except (ValueError, OverflowError):
        problems.append("That page link is broken: showing the newest notes.")
        return None


def _cursor_of(note: Note) -> str:
    delta = note.created_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return f"{delta // dt.timedelta(microseconds=1)}.{note.pk}"

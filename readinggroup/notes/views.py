"""The notes page, and posting, editing, deleting, hiding and pinning notes.

Every action answers an htmx request with the thread fragment
(``readinggroup/thread.html#thread``) and a plain request with a redirect to the
paper or session page and a message, so everything works without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from papers import access as paper_access
from papers.models import Listing, Paper, Topic
from readinggroup import access as session_access
from readinggroup.htmx import filters_in_use, render_results
from readinggroup.models import Note, Session, User

from . import access, actions
from .search import search_notes

PAGE_SIZE = 25
THREAD = "readinggroup/thread.html#thread"


# --- The thread on a paper or session page ------------------------------------------


def thread_notes(user: User, *, paper: Paper | None = None, session: Session | None = None):
    """Top-level notes the user may see, pinned first, each with its visible replies.

    Two queries whatever the number of notes and replies.
    """
    replies = access.visible_notes(user).select_related("author").order_by("created_at", "pk")
    notes = access.visible_notes(user).filter(parent__isnull=True)
    notes = notes.filter(paper=paper) if paper is not None else notes.filter(session=session)
    return list(
        notes.select_related("author")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("-pinned", "created_at", "pk")
    )


def thread_context(
    request: HttpRequest, *, paper: Paper | None = None, session: Session | None = None
) -> dict:
    """What ``readinggroup/thread.html`` needs, for a paper page or a session page."""
    if (paper is None) == (session is None):
        raise TypeError("thread_context() needs exactly one of paper or session.")
    return {
        "thread_notes": thread_notes(request.user, paper=paper, session=session),
        "thread_target": paper or session,
    }


def _thread_response(
    request: HttpRequest,
    target: Paper | Session,
    *,
    anchor: str = "thread",
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    if request.htmx:
        kind = "session" if isinstance(target, Session) else "paper"
        context = thread_context(request, **{kind: target})
        context.update(thread_error=error, thread_notice=notice)
        return render(request, THREAD, context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(f"{target.get_absolute_url()}#{anchor}")


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
    """Search and filters of the notes page. Bad values are ignored, never an error page."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    topic = forms.IntegerField(required=False, min_value=1)
    session = forms.IntegerField(required=False, min_value=1)
    paper = forms.IntegerField(required=False, min_value=1)
    author = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data: object = None, **kwargs: object) -> None:
        super().__init__(data, **kwargs)
        self.full_clean()
        for name in list(self.errors):
            self.cleaned_data.pop(name, None)

    def filter(self, notes: QuerySet[Note]) -> QuerySet[Note]:
        data = self.cleaned_data
        if data.get("topic"):
            listed = Listing.objects.filter(topic_id=data["topic"]).values("paper_id")
            notes = notes.filter(paper_id__in=listed)
        for name in ("session", "paper", "author"):
            if data.get(name):
                notes = notes.filter(**{f"{name}_id": data[name]})
        if data.get("q"):
            return search_notes(data["q"], notes=notes)
        return notes.order_by("-created_at", "-pk")

    @property
    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(k) for k in ("q", "topic", "session", "paper", "author"))


@require_GET
@login_required
@vary_on_headers("HX-Request")
def note_list(request: HttpRequest) -> HttpResponse:
    form = NoteFilterForm(request.GET)
    visible = access.visible_notes(request.user)
    notes = form.filter(visible.select_related("author", "paper", "session"))
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": urlencode(filters_in_use(request)),
        "searching": bool(form.cleaned_data.get("q")),
    }
    if request.htmx and not request.htmx.boosted:
        return render_results(request, "readinggroup/notes.html#results", context, page)
    # The choices offered are those that lead to notes this member can see.
    context.update(
        topics=Topic.objects.select_related("reading_list").order_by(
            "reading_list__name", "position"
        ),
        sessions=Session.objects.filter(pk__in=visible.values("session_id")).order_by("-starts_at"),
        papers=Paper.objects.filter(pk__in=visible.values("paper_id")).order_by("title_key"),
        authors=User.objects.filter(pk__in=visible.values("author_id")).order_by("username"),
    )
    return render(request, "readinggroup/notes.html", context)

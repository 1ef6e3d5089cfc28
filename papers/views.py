from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Min, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from readinggroup.models import Note, Slot
from readinggroup.web import client_redirect_or_redirect, push_results_url, wants_fragment

from . import access
from .exporting import export_bibtex
from .forms import SORTS, CatalogueFilterForm, ImportForm
from .importing import confirm_import, plan_import
from .merging import MergeConflict, dismiss_candidate, merge_candidate
from .models import (
    DuplicateCandidate,
    ImportStatus,
    Listing,
    Paper,
    PendingImport,
    ReadingList,
    Topic,
)
from .parsing.base import UnreadableFile
from .parsing.detect import check_size, parse_document
from .wants import set_want

PAGE_SIZE = 25


def _listings_prefetch() -> Prefetch:
    return Prefetch("listings", queryset=Listing.objects.select_related("topic__reading_list"))


CATALOGUE = "papers/paper_list.html"


@require_GET
@login_required
@vary_on_headers("HX-Request")
def paper_list(request: HttpRequest) -> HttpResponse:
    """The catalogue: the filters and a page of results; htmx asks for the results alone."""
    form = CatalogueFilterForm(request.GET)
    query = form.query()
    papers = form.filter(Paper.objects.prefetch_related(_listings_prefetch()))
    page = Paginator(papers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "export_url": reverse("papers:export") + (f"?{query}" if query else ""),
    }
    if wants_fragment(request):
        return push_results_url(
            request, render(request, f"{CATALOGUE}#results", context), page.number
        )
    context.update(
        topics=Topic.objects.select_related("reading_list").order_by(
            "reading_list__name", "position"
        ),
        reading_lists=ReadingList.objects.all(),
        venues=Paper.objects.venues(),
        years=Paper.objects.years(),
        sorts=[(key, label) for key, (label, _) in SORTS.items()],
    )
    return render(request, CATALOGUE, context)


@require_GET
@login_required
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = access.paper_for_viewing(request, pk)
    candidates = []
    if request.user.is_organizer:
        candidates = (
            DuplicateCandidate.objects.open()
            .filter(Q(paper_a=paper) | Q(paper_b=paper))
            .select_related("paper_a", "paper_b")
        )
    listings = paper.listings.select_related("topic__reading_list").order_by(
        "topic__reading_list__name", "topic__position"
    )
    return render(
        request,
        "papers/paper_detail.html",
        {
            "paper": paper,
            "listings": listings,
            "bibtex": export_bibtex([paper]),
            "candidates": candidates,
            **_wants(paper, request.user),
            **_presenting_context(paper),
            "thread_notes": Note.objects.thread(request.user, paper),
            "thread_target": paper,
        },
    )


OPEN_SLOTS_SHOWN = 30


def _wants(paper: Paper, user: object) -> dict:
    """How many members want the paper (kept on it), and whether this one does: one query."""
    return {"want_count": paper.want_count, "wanted": paper.wants.filter(user_id=user.pk).exists()}


def _presenting_context(paper: Paper) -> dict:
    """Where the paper is scheduled, or the open slots a member could present it in."""
    scheduled = (
        Slot.objects.filter(paper=paper, upcoming=True).select_related("session", "presenter")
    ).first()
    if scheduled is not None:
        return {"scheduled_slot": scheduled}
    slots = list(Slot.objects.open_upcoming()[:OPEN_SLOTS_SHOWN])
    return {"scheduled_slot": None, "open_slots": slots}


@require_POST
@login_required
def want_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    paper = access.paper_for_viewing(request, pk)
    wanted = request.POST.get("wanted") == "1"
    set_want(user=request.user, paper=paper, wanted=wanted)
    if request.htmx:
        paper.refresh_from_db(fields=["want_count"])  # the count the mark just moved
        context = {"paper": paper, "wanted": wanted, "want_count": paper.want_count}
        return render(request, "papers/paper_detail.html#want", context)
    return redirect(paper)


@require_GET
@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    topics = (
        Topic.objects.with_paper_counts()
        .select_related("reading_list")
        .order_by("reading_list__name", "position")
    )
    return render(
        request,
        "papers/topic_list.html",
        {"topics": topics, "paper_count": Paper.objects.count()},
    )


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET)
    papers = form.filter(Paper.objects.all())
    response = HttpResponse(
        export_bibtex(papers), content_type="application/x-bibtex; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="readinggroup.bib"'
    return response


# --- Importing through the web ------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    access.require_organizer(request)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.READINGGROUP_MAX_IMPORT_BYTES
        try:
            check_size(upload.name, upload.size, limit)
            data = upload.read()
            parse_document(upload.name, data, max_bytes=limit)
        except UnreadableFile as exc:
            form.add_error("file", str(exc))
        else:
            pending = PendingImport.objects.create(
                uploaded_by=request.user, filename=upload.name, content=data
            )
            return client_redirect_or_redirect(
                request, reverse("papers:import_preview", args=[pending.pk])
            )
    return render(request, "papers/import.html", {"form": form})


@require_GET
@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    pending = access.pending_import_for(request, pk)
    if pending.status == ImportStatus.APPLIED:
        return render(request, "papers/import_preview.html", {"pending": pending})
    document = parse_document(pending.filename, bytes(pending.content))
    plan = plan_import(document)
    return render(request, "papers/import_preview.html", {"pending": pending, "plan": plan})


@require_POST
@login_required
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    pending, imported = confirm_import(pending=access.pending_import_for(request, pk))
    if imported:
        messages.success(request, f"Imported {pending.summary['text']}.")
    else:
        messages.info(request, f"{pending.filename} was already imported.")
    list_id = pending.summary.get("reading_list")
    url = reverse("papers:paper_list") + (f"?list={list_id}" if list_id else "")
    return client_redirect_or_redirect(request, url)


# --- Duplicate candidates ------------------------------------------------------


# While a background duplicate search runs, the Duplicates page asks every few seconds
# whether it is done; after this long it says the search looks stuck.
SEARCH_STUCK_AFTER = dt.timedelta(minutes=15)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def duplicate_list(request: HttpRequest) -> HttpResponse:
    access.require_organizer(request)
    search = _duplicate_search()
    fragment = wants_fragment(request)
    if fragment and "status" in request.GET:
        # The poll: the status alone; once the search is done, the results reload once.
        response = render(request, "papers/duplicate_list.html#search-status", search)
        if not search["searching"]:
            response["HX-Trigger"] = "duplicates-found"
        return response
    candidates = DuplicateCandidate.objects.open().select_related("paper_a", "paper_b")
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "papers/duplicate_list.html" + ("#results" if fragment else "")
    return render(request, template, {"page": page, **search})


def _duplicate_search() -> dict[str, object]:
    """How many papers still wait for the background duplicate search, and since when."""
    pending = Paper.objects.duplicate_search_pending().aggregate(
        count=Count("pk"), since=Min("created_at")
    )
    since = pending["since"]
    return {
        "searching": pending["count"],
        "searching_since": since,
        "search_stuck": since is not None and timezone.now() - since > SEARCH_STUCK_AFTER,
    }


def _candidate_done(request: HttpRequest, candidate_id: int, message: str) -> HttpResponse:
    if request.htmx:
        return render(
            request,
            "papers/duplicate_list.html#candidate-resolved",
            {"candidate_id": candidate_id, "message": message},
        )
    messages.info(request, message)
    return redirect("papers:duplicate_list")


@require_POST
@login_required
def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_organizer(request)
    try:
        keep_id = int(request.POST.get("keep", ""))
    except ValueError:
        return _candidate_done(request, pk, "Choose which of the two papers to keep.")
    try:
        kept = merge_candidate(candidate_id=pk, keep_id=keep_id)
    except MergeConflict as exc:
        return _candidate_done(request, pk, str(exc))
    if kept is None:
        return _candidate_done(request, pk, "Someone already resolved this pair.")
    return _candidate_done(request, pk, f"Merged into “{kept}”.")


@require_POST
@login_required
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_organizer(request)
    if dismiss_candidate(candidate_id=pk, by=request.user):
        return _candidate_done(request, pk, "Marked as different papers.")
    return _candidate_done(request, pk, "Someone already resolved this pair.")

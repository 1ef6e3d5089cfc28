"""Notes: the domain functions, who may do what, the thread and the notes page."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.models import Note, Session
from readinggroup.notes import actions
from readinggroup.notes.actions import NoteError, post_note
from tests.factories import ListingFactory, OrganizerFactory, PaperFactory, UserFactory
from tests.html import shown_notes

pytestmark = pytest.mark.django_db

NOTES = reverse("notes:note_list")
POST = reverse("notes:note_post")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def note(member, paper) -> Note:
    return post_note(author=member, body="First thoughts on **paging**.", paper=paper)


@pytest.fixture
def session_note(member, session) -> Note:
    return post_note(author=member, body="Agenda for the session", session=session)


@pytest.fixture
def other_client(other_member) -> Client:
    client = Client()
    client.force_login(other_member)
    return client


def _client_for(who: str, request) -> Client:
    """anonymous, author (the `member` fixture), other (a member) or organizer."""
    if who == "anonymous":
        return Client()
    return request.getfixturevalue(
        {"author": "member_client", "other": "other_client", "organizer": "organizer_client"}[who]
    )


# --- Domain functions ----------------------------------------------------------------


def test_post_note_on_paper_stores_rendered_html(member, paper) -> None:
    note = post_note(author=member, body="  Paging **works**.\r\n\r\n- a\r\n- b  ", paper=paper)
    note.refresh_from_db()
    assert note.body == "Paging **works**.\n\n- a\n- b"
    assert (
        note.body_html
        == "<p>Paging <strong>works</strong>.</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    )
    assert (note.paper, note.session, note.parent, note.edited_at) == (paper, None, None, None)


def test_post_note_on_session_belongs_to_session(member, session) -> None:
    note = post_note(author=member, body="Agenda", session=session)
    assert (note.session, note.paper) == (session, None)


def test_post_note_reply_inherits_parent_thread(other_member, note, paper) -> None:
    reply = post_note(author=other_member, body="Agreed", parent=note)
    assert (reply.parent, reply.paper, reply.session) == (note, paper, None)


def test_post_note_reply_to_reply_attaches_to_top_level_note(other_member, member, note) -> None:
    reply = post_note(author=other_member, body="Agreed", parent=note)
    answer = post_note(author=member, body="Thanks", parent=reply)
    assert answer.parent == note
    assert list(note.replies.order_by("pk")) == [reply, answer]


def test_post_note_reply_naming_another_thread_is_refused(member, note, session) -> None:
    with pytest.raises(NoteError, match="belongs to the thread of the note it answers"):
        post_note(author=member, body="x", parent=note, session=session)


@pytest.mark.parametrize("where", ["neither", "both"])
def test_post_note_without_exactly_one_target_is_refused(member, paper, session, where) -> None:
    targets = {} if where == "neither" else {"paper": paper, "session": session}
    with pytest.raises(NoteError, match="exactly one session or one paper"):
        post_note(author=member, body="x", **targets)
    assert Note.objects.count() == 0


@pytest.mark.parametrize("body", ["", "   ", "\n\t \r\n", "\x00\x02"])
def test_post_note_empty_body_is_refused(member, paper, body: str) -> None:
    with pytest.raises(NoteError, match=r"A note cannot be empty\."):
        post_note(author=member, body=body, paper=paper)
    assert Note.objects.count() == 0


def test_post_note_body_of_20000_characters_is_accepted(member, paper) -> None:
    note = post_note(author=member, body="x" * 20_000, paper=paper)
    assert len(note.body) == 20_000


def test_post_note_body_over_20000_characters_is_refused(member, paper) -> None:
    with pytest.raises(ValueError, match=r"at most 20,000 characters long; this one has 20,001\."):
        post_note(author=member, body="x" * 20_001, paper=paper)


def test_post_note_drops_control_characters(member, paper) -> None:
    note = post_note(author=member, body="a\x02b\x03c\x1bd\te", paper=paper)
    assert note.body == "abcd\te"


def test_edit_note_rerenders_and_sets_edited_at(note) -> None:
    before = timezone.now()
    actions.edit_note(note=note, body="Now *about* swapping")
    note.refresh_from_db()
    assert note.body == "Now *about* swapping"
    assert note.body_html == "<p>Now <em>about</em> swapping</p>"
    assert note.edited_at >= before


def test_edit_note_empty_body_changes_nothing(note) -> None:
    with pytest.raises(NoteError):
        actions.edit_note(note=note, body=" ")
    note.refresh_from_db()
    assert (note.body, note.edited_at) == ("First thoughts on **paging**.", None)


def test_delete_note_removes_its_replies(other_member, note) -> None:
    post_note(author=other_member, body="Agreed", parent=note)
    actions.delete_note(note=note)
    assert Note.objects.count() == 0


def test_set_hidden_hides_and_shows(note) -> None:
    actions.set_hidden(note=note, hidden=True)
    assert Note.objects.get(pk=note.pk).hidden is True
    actions.set_hidden(note=note, hidden=False)
    assert Note.objects.get(pk=note.pk).hidden is False


def test_pin_note_unpins_the_previously_pinned_note(member, session) -> None:
    first = post_note(author=member, body="one", session=session)
    second = post_note(author=member, body="two", session=session)
    elsewhere = post_note(
        author=member, body="three", session=Session.objects.create(starts_at=timezone.now())
    )
    actions.pin_note(note=first)
    actions.pin_note(note=elsewhere)
    actions.pin_note(note=second)
    assert set(Note.objects.filter(pinned=True)) == {second, elsewhere}
    actions.unpin_note(note=second)
    assert set(Note.objects.filter(pinned=True)) == {elsewhere}


def test_pin_note_on_paper_is_refused(note) -> None:
    with pytest.raises(NoteError, match=r"Only notes on a session can be pinned\."):
        actions.pin_note(note=note)


def test_pin_note_reply_is_refused(other_member, session_note) -> None:
    reply = post_note(author=other_member, body="r", parent=session_note)
    with pytest.raises(NoteError, match="Replies cannot be pinned"):
        actions.pin_note(note=reply)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_pin_note_race_two_organizers_leave_one_pinned(member) -> None:
    session = Session.objects.create(starts_at=timezone.now())
    notes = [post_note(author=member, body=f"n{i}", session=session) for i in range(2)]
    organizers = [OrganizerFactory(username=f"pinner{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    statuses: dict[int, int] = {}

    def pin(i: int) -> None:
        client = Client()
        client.force_login(organizers[i])
        barrier.wait()
        url = reverse("notes:note_pin", args=[notes[i].pk])
        statuses[i] = client.post(url, {"pinned": "1"}, headers=HTMX).status_code
        connection.close()

    threads = [threading.Thread(target=pin, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == {0: 200, 1: 200}
    assert Note.objects.filter(session=session, pinned=True).count() == 1


# --- Posting through the web ---------------------------------------------------------


def test_note_post_plain_request_redirects_to_the_note(member_client: Client, paper) -> None:
    response = member_client.post(POST, {"paper": paper.pk, "body": "Hello"})
    note = Note.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{paper.get_absolute_url()}#note-{note.pk}"
    page = member_client.get(response["Location"]).content.decode()
    assert "Note posted." in page and "<p>Hello</p>" in page


def test_note_post_htmx_request_gets_thread_fragment(member_client: Client, paper) -> None:
    response = member_client.post(POST, {"paper": paper.pk, "body": "Hello"}, headers=HTMX)
    html = response.content.decode().strip()
    assert response.status_code == 200
    assert html.startswith('<section id="thread" class="card thread"')
    assert "<html" not in html
    assert "Note posted." in html and "<p>Hello</p>" in html


def test_note_post_on_session_redirects_to_session_page(member_client: Client, session) -> None:
    response = member_client.post(POST, {"session": session.pk, "body": "Agenda"})
    note = Note.objects.get()
    assert note.session == session
    assert response["Location"] == f"{session.get_absolute_url()}#note-{note.pk}"


def test_note_post_reply_htmx_shows_reply_in_thread(other_client: Client, note) -> None:
    response = other_client.post(POST, {"parent": note.pk, "body": "Me too"}, headers=HTMX)
    html = response.content.decode()
    reply = Note.objects.get(parent=note)
    assert reply.author.username == "otto"
    assert "Reply posted." in html
    assert html.index(f'id="note-{note.pk}"') < html.index(f'id="note-{reply.pk}"')


def test_note_post_empty_body_htmx_shows_error(member_client: Client, paper) -> None:
    response = member_client.post(POST, {"paper": paper.pk, "body": "  "}, headers=HTMX)
    assert '<p class="error" role="alert">A note cannot be empty.</p>' in response.content.decode()
    assert Note.objects.count() == 0


def test_note_post_empty_body_plain_request_redirects_with_error(
    member_client: Client, paper
) -> None:
    response = member_client.post(POST, {"paper": paper.pk, "body": ""}, follow=True)
    assert response.redirect_chain == [(f"{paper.get_absolute_url()}#thread", 302)]
    assert "A note cannot be empty." in response.content.decode()


@pytest.mark.parametrize("data", [{}, {"paper": "x"}, {"paper": "-3"}, {"session": ""}])
def test_note_post_without_target_is_bad_request(member_client: Client, data) -> None:
    response = member_client.post(POST, {**data, "body": "Hello"})
    assert response.status_code == 400


def test_note_post_missing_paper_is_404(member_client: Client) -> None:
    assert member_client.post(POST, {"paper": 999999, "body": "x"}).status_code == 404


def test_note_post_anonymous_is_sent_to_login(client: Client, paper) -> None:
    response = client.post(POST, {"paper": paper.pk, "body": "x"})
    assert response["Location"] == f"{reverse('login')}?next={POST}"
    assert Note.objects.count() == 0


def test_note_post_without_csrf_token_is_refused(member, paper) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(POST, {"paper": paper.pk, "body": "x"})
    assert response.status_code == 403
    assert Note.objects.count() == 0


def test_note_post_with_page_csrf_token_is_accepted(member, paper) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.get(paper.get_absolute_url())
    token = client.cookies["csrftoken"].value
    response = client.post(POST, {"paper": paper.pk, "body": "x"}, headers={"X-CSRFToken": token})
    assert response.status_code == 302
    assert Note.objects.count() == 1


@pytest.mark.parametrize("name", ["note_edit", "note_delete", "note_hide", "note_pin"])
def test_note_actions_without_csrf_token_are_refused(organizer, name: str) -> None:
    note = post_note(
        author=organizer, body="Mine", session=Session.objects.create(starts_at=timezone.now())
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(organizer)
    response = client.post(reverse(f"notes:{name}", args=[note.pk]), {"body": "changed"})
    assert response.status_code == 403
    note.refresh_from_db()
    assert (note.body, note.hidden, note.pinned) == ("Mine", False, False)


@pytest.mark.parametrize("name", ["note_post", "note_edit", "note_delete", "note_hide", "note_pin"])
def test_note_actions_refuse_get(organizer_client: Client, note, name: str) -> None:
    args = [] if name == "note_post" else [note.pk]
    assert organizer_client.get(reverse(f"notes:{name}", args=args)).status_code == 405


# --- Who may do what -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("author", 302), ("organizer", 403), ("other", 403), ("anonymous", 302)]
)
def test_note_edit_only_by_author(request, note, who: str, status: int) -> None:
    url = reverse("notes:note_edit", args=[note.pk])
    response = _client_for(who, request).post(url, {"body": "Edited"})
    assert response.status_code == status
    note.refresh_from_db()
    if who == "author":
        assert response["Location"] == f"{note.paper.get_absolute_url()}#note-{note.pk}"
        assert (note.body, note.body_html) == ("Edited", "<p>Edited</p>")
    else:
        assert note.body == "First thoughts on **paging**."
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_note_edit_htmx_gets_thread_with_edited_mark(member_client: Client, note) -> None:
    url = reverse("notes:note_edit", args=[note.pk])
    html = member_client.post(url, {"body": "Edited"}, headers=HTMX).content.decode()
    assert html.lstrip().startswith('<section id="thread"') and "<html" not in html
    assert "Note saved." in html and "<p>Edited</p>" in html and ">edited</span>" in html


def test_note_edit_empty_body_keeps_note(member_client: Client, note) -> None:
    url = reverse("notes:note_edit", args=[note.pk])
    html = member_client.post(url, {"body": ""}, headers=HTMX).content.decode()
    assert "A note cannot be empty." in html
    note.refresh_from_db()
    assert note.body == "First thoughts on **paging**."


@pytest.mark.parametrize(
    ("who", "status"), [("author", 302), ("organizer", 403), ("other", 403), ("anonymous", 302)]
)
def test_note_delete_only_by_author(request, note, who: str, status: int) -> None:
    response = _client_for(who, request).post(reverse("notes:note_delete", args=[note.pk]))
    assert response.status_code == status
    assert Note.objects.filter(pk=note.pk).exists() is (who != "author")


def test_note_delete_htmx_gets_thread_without_note(member_client: Client, note) -> None:
    response = member_client.post(reverse("notes:note_delete", args=[note.pk]), headers=HTMX)
    html = response.content.decode()
    assert "<html" not in html and "Note deleted." in html
    assert f'id="note-{note.pk}"' not in html and "No notes yet." in html


@pytest.mark.parametrize(
    ("who", "status"), [("author", 403), ("organizer", 302), ("other", 403), ("anonymous", 302)]
)
def test_note_hide_only_by_organizer(request, note, who: str, status: int) -> None:
    url = reverse("notes:note_hide", args=[note.pk])
    response = _client_for(who, request).post(url, {"hidden": "1"})
    assert response.status_code == status
    assert Note.objects.get(pk=note.pk).hidden is (who == "organizer")


def test_note_hide_htmx_then_unhide(organizer_client: Client, note) -> None:
    url = reverse("notes:note_hide", args=[note.pk])
    html = organizer_client.post(url, {"hidden": "1"}, headers=HTMX).content.decode()
    assert "<html" not in html and "Note hidden: only organizers and its author see it." in html
    assert f'class="note note-hidden" id="note-{note.pk}"' in html
    organizer_client.post(url, {"hidden": "0"}, headers=HTMX)
    assert Note.objects.get(pk=note.pk).hidden is False


@pytest.mark.parametrize(
    ("who", "status"), [("author", 403), ("organizer", 302), ("other", 403), ("anonymous", 302)]
)
def test_note_pin_only_by_organizer(request, session_note, who: str, status: int) -> None:
    url = reverse("notes:note_pin", args=[session_note.pk])
    response = _client_for(who, request).post(url, {"pinned": "1"})
    assert response.status_code == status
    assert Note.objects.get(pk=session_note.pk).pinned is (who == "organizer")


def test_note_pin_htmx_puts_note_first(organizer_client: Client, member, session) -> None:
    older = post_note(author=member, body="older", session=session)
    newer = post_note(author=member, body="newer", session=session)
    url = reverse("notes:note_pin", args=[newer.pk])
    html = organizer_client.post(url, {"pinned": "1"}, headers=HTMX).content.decode()
    assert "<html" not in html and "Note pinned." in html
    assert html.index(f'id="note-{newer.pk}"') < html.index(f'id="note-{older.pk}"')


def test_note_pin_paper_note_shows_error(organizer_client: Client, note) -> None:
    response = organizer_client.post(reverse("notes:note_pin", args=[note.pk]), follow=True)
    assert "Only notes on a session can be pinned." in response.content.decode()
    assert Note.objects.get(pk=note.pk).pinned is False


@pytest.mark.parametrize(
    ("who", "status"), [("author", 302), ("organizer", 302), ("other", 302), ("anonymous", 302)]
)
def test_note_detail_redirects_into_thread(request, note, who: str, status: int) -> None:
    response = _client_for(who, request).get(reverse("notes:note_detail", args=[note.pk]))
    assert response.status_code == status
    if who != "anonymous":
        assert response["Location"] == f"{note.paper.get_absolute_url()}#note-{note.pk}"


# --- Hidden notes never leak ---------------------------------------------------------


@pytest.fixture
def hidden(note) -> Note:
    return actions.set_hidden(note=note, hidden=True)


@pytest.mark.parametrize(
    ("who", "status"), [("author", 302), ("organizer", 302), ("other", 404), ("anonymous", 302)]
)
def test_hidden_note_detail_only_for_author_and_organizers(
    request, hidden, who: str, status: int
) -> None:
    response = _client_for(who, request).get(reverse("notes:note_detail", args=[hidden.pk]))
    assert response.status_code == status
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["note_edit", "note_delete"])
def test_hidden_note_edit_or_delete_by_other_is_404(other_client: Client, hidden, name) -> None:
    response = other_client.post(reverse(f"notes:{name}", args=[hidden.pk]), {"body": "x"})
    assert response.status_code == 404
    assert Note.objects.get(pk=hidden.pk).body == "First thoughts on **paging**."


def test_hidden_note_reply_by_other_is_404(other_client: Client, hidden) -> None:
    response = other_client.post(POST, {"parent": hidden.pk, "body": "x"})
    assert response.status_code == 404
    assert Note.objects.count() == 1


def test_hidden_note_moderation_by_member_is_403_whether_or_not_it_exists(
    other_client: Client, hidden
) -> None:
    for pk in (hidden.pk, 999999):
        assert other_client.post(reverse("notes:note_hide", args=[pk])).status_code == 403


def test_hidden_note_author_can_still_edit(member_client: Client, hidden) -> None:
    response = member_client.post(reverse("notes:note_edit", args=[hidden.pk]), {"body": "Fixed"})
    assert response.status_code == 302
    assert Note.objects.get(pk=hidden.pk).body == "Fixed"


@pytest.mark.parametrize(
    ("who", "shown"), [("author", True), ("organizer", True), ("other", False)]
)
def test_hidden_note_and_replies_in_thread_only_for_author_and_organizers(
    request, hidden, organizer, paper, who: str, shown: bool
) -> None:
    reply = post_note(author=organizer, body="A reply under a hidden note", parent=hidden)
    html = _client_for(who, request).get(paper.get_absolute_url()).content.decode()
    assert ("First thoughts on <strong>paging</strong>." in html) is shown
    assert ("A reply under a hidden note" in html) is shown
    assert (f'id="note-{reply.pk}"' in html) is shown
    assert ('<span class="badge warn"' in html) is shown


@pytest.mark.parametrize(
    ("who", "shown"), [("author", True), ("organizer", True), ("other", False)]
)
def test_hidden_note_on_notes_page_only_for_author_and_organizers(
    request, hidden, who: str, shown: bool
) -> None:
    response = _client_for(who, request).get(NOTES)
    assert (shown_notes(response.content.decode()) == [hidden.body]) is shown
    assert ("paging" in response.content.decode()) is shown


# --- The thread ----------------------------------------------------------------------


def test_thread_shows_buttons_by_role(request, note, session_note) -> None:
    author = _client_for("author", request).get(note.paper.get_absolute_url()).content.decode()
    assert f'action="/notes/{note.pk}/edit/"' in author
    assert f'action="/notes/{note.pk}/delete/"' in author
    assert f'action="/notes/{note.pk}/hide/"' not in author
    organizer = _client_for("organizer", request).get(note.paper.get_absolute_url())
    html = organizer.content.decode()
    assert f'action="/notes/{note.pk}/hide/"' in html
    assert f'action="/notes/{note.pk}/edit/"' not in html
    assert f'action="/notes/{note.pk}/pin/"' not in html  # paper notes are not pinned
    other = _client_for("other", request).get(note.paper.get_absolute_url()).content.decode()
    assert "/edit/" not in other and "/hide/" not in other
    assert f'<input type="hidden" name="parent" value="{note.pk}">' in other
    assert f'<input type="hidden" name="paper" value="{note.paper_id}">' in other


def test_thread_template_on_session_posts_to_session(rf, member, session_note, session) -> None:
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = member
    context = {"thread_notes": Note.objects.thread(member, session), "thread_target": session}
    html = render_to_string("readinggroup/notes/thread.html", context, request=request)
    assert f'<input type="hidden" name="session" value="{session.pk}">' in html
    assert f'id="note-{session_note.pk}"' in html


@pytest.mark.parametrize("size", [1, 15])
def test_thread_query_count_is_fixed(
    member, other_member, paper, django_assert_num_queries, size: int
) -> None:
    for i in range(size):
        parent = post_note(author=member, body=f"note {i}", paper=paper)
        post_note(author=other_member, body="reply", parent=parent)
        post_note(author=member, body="reply", parent=parent)
    with django_assert_num_queries(2):  # top-level notes with authors, replies with authors
        notes = list(Note.objects.thread(other_member, paper))
        authors = {r.author.name for n in notes for r in n.replies.all()}
    assert len(notes) == size and authors == {"Mira Member", "Otto Other"}


def test_thread_of_a_session_leaves_out_the_papers_notes(member, paper, session) -> None:
    on_session = post_note(author=member, body="About the session", session=session)
    post_note(author=member, body="About the paper", paper=paper)
    assert list(Note.objects.thread(member, session)) == [on_session]


# --- The notes page ------------------------------------------------------------------


def _notes(response) -> list[str]:
    return shown_notes(response.content.decode())


def test_notes_page_lists_newest_first_with_links(member_client: Client, member, paper, session):
    post_note(author=member, body="on the paper", paper=paper)
    post_note(author=member, body="on the session", session=session)
    response = member_client.get(NOTES)
    html = response.content.decode()
    assert html.startswith("<!doctype html>") and 'id="results"' in html
    assert _notes(response) == ["on the session", "on the paper"]
    assert f'href="{reverse("notes:note_detail", args=[Note.objects.first().pk])}"' in html


def test_notes_page_filters_by_topic_session_paper_and_author(
    member_client: Client, member, other_member, paper, session
) -> None:
    listed = ListingFactory(paper=paper)
    other_paper = PaperFactory()
    post_note(author=member, body="a", paper=paper)
    post_note(author=other_member, body="b", paper=other_paper)
    post_note(author=other_member, body="c", session=session)
    assert _notes(member_client.get(NOTES, {"topic": listed.topic_id})) == ["a"]
    assert _notes(member_client.get(NOTES, {"paper": other_paper.pk})) == ["b"]
    assert _notes(member_client.get(NOTES, {"session": session.pk})) == ["c"]
    assert _notes(member_client.get(NOTES, {"author": other_member.pk})) == ["c", "b"]
    assert _notes(member_client.get(NOTES, {"author": other_member.pk, "session": session.pk})) == [
        "c"
    ]


def test_notes_page_mangled_parameters_show_every_note(member_client: Client, note) -> None:
    response = member_client.get(NOTES, {"topic": "x", "paper": "-1", "page": "zz", "q": ""})
    assert response.status_code == 200 and _notes(response) == [note.body]


def test_notes_page_htmx_request_gets_results_fragment(member_client: Client, note) -> None:
    response = member_client.get(NOTES, {"q": "paging", "topic": ""}, headers=HTMX)
    html = response.content.decode().strip()
    assert html.startswith('<section id="results"') and "<html" not in html
    assert 'name="topic"' not in html
    assert "<mark>paging</mark>" in html
    assert response["HX-Push-Url"] == f"{NOTES}?q=paging"
    assert "HX-Request" in response["Vary"]


def test_notes_page_search_works_without_javascript(member_client: Client, note) -> None:
    html = member_client.get(NOTES, {"q": "paging"}).content.decode()
    assert html.startswith("<!doctype html>")
    assert 'value="paging"' in html and "<mark>paging</mark>" in html


def _many_notes(size: int, paper, session) -> None:
    authors = [UserFactory(username=f"writer{i}") for i in range(3)]
    for i in range(size):
        target = {"paper": paper} if i % 2 else {"session": session}
        parent = post_note(author=authors[i % 3], body=f"Cluster scheduling note {i}", **target)
        post_note(author=authors[(i + 1) % 3], body="A reply about scheduling", parent=parent)


@pytest.mark.parametrize("size", [2, 30])
def test_notes_page_query_count_is_fixed(
    member_client: Client, paper, session, django_assert_num_queries, size: int
) -> None:
    _many_notes(size, paper, session)
    # session, user, a page of notes
    # (+1: is there more), topics
    with django_assert_num_queries(4):
        response = member_client.get(NOTES)
    assert len(shown_notes(response.content.decode())) == min(2 * size, 25)


@pytest.mark.parametrize("size", [2, 30])
def test_notes_page_search_fragment_query_count_is_fixed(
    member_client: Client, paper, session, django_assert_num_queries, size: int
) -> None:
    _many_notes(size, paper, session)
    # session, user, ranked window of matches, page
    with django_assert_num_queries(4):
        response = member_client.get(NOTES, {"q": "scheduling"}, headers=HTMX)
    assert f"<strong>{2 * size}</strong> notes match" in response.content.decode()

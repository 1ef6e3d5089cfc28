from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse

from papers.models import Topic
from readinggroup.models import Session, Slot, Unavailability, User, WantToRead
from readinggroup.schedule import scheduling
from readinggroup.schedule.suggestions import fair_candidates, suggest_presenters
from tests.factories import ListingFactory, PaperFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
SESSION_AT = dt.datetime(2026, 6, 25, 16, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


def _session(by: User, *, slots: int = 2, topic: Topic | None = None, at=SESSION_AT) -> Session:
    return scheduling.create_session(
        by=by, starts_at=at, slot_count=slots, title="Systems", theme_topic=topic
    )


def _presented(by: User, who: User, day: dt.date, *, cancelled: bool = False) -> None:
    """``who`` presented in a past session on ``day`` (or it was cancelled)."""
    session = _session(by, slots=1, at=dt.datetime.combine(day, dt.time(16), tzinfo=LONDON))
    Slot.objects.filter(session=session).update(presenter=who, paper=PaperFactory())
    if cancelled:
        scheduling.cancel_session(session=session)


def _want(paper, *users: User) -> None:
    for user in users:
        WantToRead.objects.create(user=user, paper=paper)


@pytest.fixture
def people(organizer: User) -> dict[str, User]:
    """Olga organizes and never presented; the others have various histories."""
    people = {
        name: UserFactory(username=name, display_name=name.title())
        for name in ("ada", "bob", "cy", "dee", "eve")
    }
    UserFactory(username="zed", is_active=False)  # a former member: never suggested
    _presented(organizer, people["ada"], dt.date(2026, 1, 8))
    _presented(organizer, people["ada"], dt.date(2026, 3, 19))
    _presented(organizer, people["bob"], dt.date(2026, 3, 12))
    _presented(organizer, people["cy"], dt.date(2025, 2, 5))
    _presented(organizer, people["eve"], dt.date(2026, 4, 2), cancelled=True)
    return {**people, "olga": organizer}


def _table(suggestions) -> list[tuple[int, str, str, str]]:
    return [
        (
            s.slot.position,
            s.presenter.username,
            str(s.paper) if s.paper else "",
            "; ".join(s.reasons),
        )
        for s in suggestions
    ]


def test_fair_candidates_least_presented_then_longest_ago(people) -> None:
    session = _session(people["olga"])
    order = [u.username for u in fair_candidates(session, busy=set(), now=NOW)]
    # Never presented (a cancelled session does not count), by name; then once,
    # longest ago first; then twice.
    assert order == ["dee", "eve", "olga", "cy", "bob", "ada"]


def test_suggestions_one_per_open_slot_with_reasons_in_words(people) -> None:
    session = _session(people["olga"], slots=6)
    alpha = PaperFactory(title="Alpha")
    PaperFactory(title="Beta")
    _want(alpha, people["ada"], people["bob"])  # ada and bob want alpha
    rows = _table(suggest_presenters(session))
    assert rows == [
        (1, "dee", "Alpha", "presented 0 times; most wanted unscheduled paper"),
        (2, "eve", "Beta", "presented 0 times; unscheduled paper (nobody has marked one yet)"),
        (3, "olga", rows[2][2], "presented 0 times; unscheduled paper (nobody has marked one yet)"),
        (
            4,
            "cy",
            rows[3][2],
            "presented once; last presented 5 Feb 2025; "
            "unscheduled paper (nobody has marked one yet)",
        ),
        (
            5,
            "bob",
            rows[4][2],
            "presented once; last presented 12 Mar; unscheduled paper (nobody has marked one yet)",
        ),
        (
            6,
            "ada",
            rows[5][2],
            "presented 2 times; last presented 19 Mar; "
            "unscheduled paper (nobody has marked one yet)",
        ),
    ]
    assert len({row[2] for row in rows}) == 6  # six different papers


def test_suggestions_skip_unavailable_presenting_and_scribe(people) -> None:
    session = _session(people["olga"], slots=3)
    Unavailability.objects.create(user=people["dee"], date=dt.date(2026, 6, 25))
    scheduling.claim_slot(
        slot=session.slots.get(position=2), user=people["eve"], paper=PaperFactory()
    )
    scheduling.volunteer_scribe(session=session, user=people["olga"])
    session.refresh_from_db()
    rows = _table(suggest_presenters(session))
    # Slot 2 is taken; dee is away, eve presents, olga scribes: cy and bob are next.
    assert [(pos, who) for pos, who, *_ in rows] == [(1, "cy"), (3, "bob")]


def test_suggestion_prefers_a_paper_the_member_wants(people) -> None:
    session = _session(people["olga"], slots=2)
    popular = PaperFactory(title="Popular")
    _want(popular, people["ada"], people["bob"], people["cy"])
    own = PaperFactory(title="Dee's pick")
    _want(own, people["dee"])
    rows = _table(suggest_presenters(session))
    assert rows == [
        (1, "dee", "Dee's pick", "presented 0 times; wants to read this paper"),
        (2, "eve", "Popular", "presented 0 times; most wanted unscheduled paper"),
    ]


def test_suggestion_ignores_a_wanted_paper_already_scheduled(people) -> None:
    other = _session(people["olga"], slots=1, at=SESSION_AT + dt.timedelta(days=7))
    taken = PaperFactory(title="Taken")
    _want(taken, people["dee"], people["ada"])
    scheduling.claim_slot(slot=other.slots.get(), user=people["ada"], paper=taken)
    fallback = PaperFactory(title="Free")
    _want(fallback, people["bob"])
    session = _session(people["olga"], slots=1)
    assert _table(suggest_presenters(session)) == [
        (1, "dee", "Free", "presented 0 times; most wanted unscheduled paper"),
    ]


def test_suggestion_respects_the_theme_topic(people) -> None:
    topic = TopicFactory(name="Schedulers")
    in_topic = ListingFactory(topic=topic, paper=PaperFactory(title="Pollux")).paper
    ListingFactory(topic=topic, paper=PaperFactory(title="Gandiva"))
    _want(in_topic, people["ada"])
    off_topic = PaperFactory(title="Off topic")
    _want(off_topic, people["dee"], people["ada"], people["bob"])  # the most wanted overall
    session = _session(people["olga"], slots=1, topic=topic)
    assert _table(suggest_presenters(session)) == [
        (1, "dee", "Pollux", "presented 0 times; most wanted unscheduled paper in Schedulers"),
    ]
    _want(PaperFactory(title="Gandiva 2"), people["dee"])  # not in the topic either
    gandiva = topic.listings.get(paper__title="Gandiva").paper
    _want(gandiva, people["dee"])
    assert _table(suggest_presenters(session)) == [
        (1, "dee", "Gandiva", "presented 0 times; wants to read this paper"),
    ]


def test_no_suggestions_for_past_cancelled_or_full_sessions(people) -> None:
    session = _session(people["olga"], slots=1)
    scheduling.claim_slot(slot=session.slots.get(), user=people["ada"], paper=PaperFactory())
    assert suggest_presenters(session) == []
    cancelled = _session(people["olga"], slots=1)
    scheduling.cancel_session(session=cancelled)
    cancelled.refresh_from_db()
    assert suggest_presenters(cancelled) == []


@pytest.mark.parametrize("size", [3, 30])
def test_suggestions_query_count_is_fixed(people, django_assert_num_queries, size: int) -> None:
    session = _session(people["olga"], slots=4)
    for i in range(size):
        user = UserFactory(username=f"extra{i}")
        paper = PaperFactory()
        _want(paper, user, people["ada"])
        Unavailability.objects.create(user=user, date=dt.date(2026, 7, 1 + i % 20))
    # slots, fair candidates, their unscheduled wishes, the most wanted papers
    with django_assert_num_queries(4):
        suggestions = suggest_presenters(session)
    assert len(suggestions) == 4


# --- The pages --------------------------------------------------------------------------


@pytest.fixture
def session(people) -> Session:
    return _session(people["olga"], slots=2)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_suggestions_organizer_only(session, people, client) -> None:
    url = reverse("schedule:session_suggestions", args=[session.pk])
    assert _client(people["dee"]).get(url).status_code == 403
    assert client.get(url)["Location"] == f"{reverse('login')}?next={url}"
    accept = reverse("schedule:suggestions_accept", args=[session.pk])
    slot = session.slots.get(position=1)
    pick = f"{slot.pk}:{people['dee'].pk}:"
    assert _client(people["dee"]).post(accept, {"pick": pick}).status_code == 403
    assert client.post(accept, {"pick": pick})["Location"] == f"{reverse('login')}?next={accept}"
    assert Slot.objects.filter(session=session).exclude(presenter=None).count() == 0
    page = _client(people["dee"]).get(session.get_absolute_url()).content.decode()
    assert "Suggest presenters" not in page


def test_suggestions_htmx_fragment_and_plain_page(session, people) -> None:
    organizer = _client(people["olga"])
    url = reverse("schedule:session_suggestions", args=[session.pk])
    response = organizer.get(url, headers={"HX-Request": "true"})
    html = response.content.decode().strip()
    assert html.startswith('<section class="card suggestions" id="suggestions">')
    assert "<html" not in html
    assert "<strong>Dee</strong>" in html and "<strong>Eve</strong>" in html
    assert "Why: presented 0 times" in html
    assert 'aria-label="Accept Dee for slot 1"' in html
    page = organizer.get(url).content.decode()
    assert page.startswith("<!doctype html>")
    assert "<strong>Dee</strong>" in page and "Accept all" in page
    assert "Claim this slot" in page  # the whole session page, with the suggestions in it


@pytest.mark.parametrize("members", [2, 20])
def test_suggestions_page_query_count_is_fixed(
    session, people, django_assert_num_queries, members: int
) -> None:
    for i in range(members):
        _want(PaperFactory(), UserFactory(username=f"m{i}"))
    organizer = _client(people["olga"])
    url = reverse("schedule:session_suggestions", args=[session.pk])
    # session, user, the session, 4 for the suggestions
    with django_assert_num_queries(7):
        organizer.get(url, headers={"HX-Request": "true"})
    # Without JavaScript, the whole session page around them: session, user, the
    # session, 4 for the suggestions, slots, picker, members, thread notes
    with django_assert_num_queries(11):
        response = organizer.get(url)
    assert response.content.decode().count('class="suggestion"') == 2


def test_accept_one_assigns_waiting_for_confirmation(session, people) -> None:
    organizer = _client(people["olga"])
    paper = PaperFactory(title="Pollux")
    slot = session.slots.get(position=1)
    response = organizer.post(
        reverse("schedule:suggestions_accept", args=[session.pk]),
        {"pick": f"{slot.pk}:{people['dee'].pk}:{paper.pk}"},
        follow=True,
    )
    assert response.redirect_chain == [(session.get_absolute_url(), 302)]
    html = response.content.decode()
    assert "Slot 1: Dee asked to present with “Pollux”." in html
    slot.refresh_from_db()
    assert (slot.presenter, slot.paper, slot.assigned_by) == (people["dee"], paper, people["olga"])
    assert not slot.is_confirmed
    assert "waiting for confirmation" in html
    assert session.slots.get(position=2).presenter is None


def test_accept_all_with_htmx_assigns_every_slot(session, people) -> None:
    organizer = _client(people["olga"])
    picks = [
        f"{s.slot.pk}:{s.presenter.pk}:{s.paper.pk if s.paper else ''}"
        for s in suggest_presenters(session)
    ]
    response = organizer.post(
        reverse("schedule:suggestions_accept", args=[session.pk]),
        {"pick": picks},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Redirect"] == session.get_absolute_url()
    presenters = list(
        session.slots.order_by("position").values_list("presenter__username", flat=True)
    )
    assert presenters == ["dee", "eve"]


def test_accept_skips_slot_or_paper_taken_meanwhile(session, people) -> None:
    organizer = _client(people["olga"])
    slot1, slot2 = session.slots.order_by("position")
    wanted = PaperFactory(title="Wanted")
    picks = [f"{slot1.pk}:{people['dee'].pk}:", f"{slot2.pk}:{people['eve'].pk}:{wanted.pk}"]
    # Meanwhile: Bob claims slot 1, and Ada schedules "Wanted" in another session.
    scheduling.claim_slot(slot=slot1, user=people["bob"], paper=PaperFactory())
    other = _session(people["olga"], slots=1, at=SESSION_AT + dt.timedelta(days=7))
    scheduling.claim_slot(slot=other.slots.get(), user=people["ada"], paper=wanted)
    response = organizer.post(
        reverse("schedule:suggestions_accept", args=[session.pk]), {"pick": picks}, follow=True
    )
    html = response.content.decode()
    assert "Slot 1 skipped: Bob took slot 1 meanwhile." in html
    assert "Slot 2 skipped: “Wanted” is already scheduled in an upcoming session." in html
    slot1.refresh_from_db()
    slot2.refresh_from_db()
    assert slot1.presenter == people["bob"]
    assert (slot2.presenter, slot2.paper) == (None, None)


def test_accept_forged_or_empty_picks_change_nothing(session, people) -> None:
    organizer = _client(people["olga"])
    url = reverse("schedule:suggestions_accept", args=[session.pk])
    other = _session(people["olga"], slots=1, at=SESSION_AT + dt.timedelta(days=7))
    response = organizer.post(url, {"pick": "x:y:z"}, follow=True)
    assert "Nothing to accept: ask for suggestions again." in response.content.decode()
    # A slot of another session cannot be filled through this one.
    response = organizer.post(
        url, {"pick": f"{other.slots.get().pk}:{people['dee'].pk}:"}, follow=True
    )
    assert "A suggestion no longer matches this session; skipped." in response.content.decode()
    assert not Slot.objects.exclude(presenter=None).filter(session__in=[session, other]).exists()


def test_suggestions_vary_on_htmx_so_caches_keep_fragment_and_page_apart(session, people) -> None:
    organizer = _client(people["olga"])
    url = reverse("schedule:session_suggestions", args=[session.pk])
    for headers in ({"HX-Request": "true"}, {}):
        response = organizer.get(url, headers=headers)
        assert "HX-Request" in [v.strip() for v in response["Vary"].split(",")]


@pytest.mark.parametrize(
    "pick",
    [
        "²:1:1",  # a digit to str.isdigit(), not to int()
        "1:²:",
        "٣:1:",  # Arabic-Indic three: int() would read it, we do not
        "9" * 30 + ":1:",  # would overflow the database's integers
        "1:1:" + "9" * 19,
        "1:1",
        "1:1:1:1",
        " 1:1:1",
    ],
)
def test_accept_malformed_picks_say_so_and_change_nothing(session, people, pick: str) -> None:
    organizer = _client(people["olga"])
    response = organizer.post(
        reverse("schedule:suggestions_accept", args=[session.pk]), {"pick": pick}, follow=True
    )
    assert response.redirect_chain == [(session.get_absolute_url(), 302)]
    assert "Nothing to accept: ask for suggestions again." in response.content.decode()
    assert not session.slots.exclude(presenter=None).exists()


def test_accept_keeps_the_good_picks_beside_a_malformed_one(session, people) -> None:
    organizer = _client(people["olga"])
    slot = session.slots.get(position=1)
    picks = ["²:1:1", f"{slot.pk}:{people['dee'].pk}:"]
    response = organizer.post(
        reverse("schedule:suggestions_accept", args=[session.pk]), {"pick": picks}, follow=True
    )
    assert "Slot 1: Dee asked to present." in response.content.decode()
    slot.refresh_from_db()
    assert slot.presenter == people["dee"]


def test_accept_one_person_twice_in_a_session_is_skipped_with_why(session, people) -> None:
    organizer = _client(people["olga"])
    slot1, slot2 = session.slots.order_by("position")
    dee = people["dee"].pk
    response = organizer.post(
        reverse("schedule:suggestions_accept", args=[session.pk]),
        {"pick": [f"{slot1.pk}:{dee}:", f"{slot2.pk}:{dee}:"]},
        follow=True,
    )
    html = response.content.decode()
    assert "Slot 1: Dee asked to present." in html
    assert "Slot 2 skipped: Dee already presents in this session." in html
    assert list(session.slots.order_by("position").values_list("presenter", flat=True)) == [
        dee,
        None,
    ]

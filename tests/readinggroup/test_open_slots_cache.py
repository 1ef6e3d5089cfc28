"""Every paper's page offers the same open slots: rendered once, cached until the
schedule changes or the next session starts.

Committed for real (``transaction=True``): the cache follows commits.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from readinggroup import scheduling
from tests.factories import PaperFactory
from tests.html import without_csrf

pytestmark = pytest.mark.django_db(transaction=True)


def offered(client, paper) -> list[str]:
    """The claim URLs the paper's page offers, in order."""
    html = client.get(paper.get_absolute_url()).content.decode()
    return [part.split('"', 1)[0] for part in html.split('formaction="')[1:]]


def claim_url(slot) -> str:
    return reverse("slot_claim", args=[slot.pk])


def test_open_slots_again_come_from_the_cache(member_client, organizer, django_assert_num_queries):
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=3), slot_count=2
    )
    first, second = PaperFactory(), PaperFactory()
    page = without_csrf(member_client.get(first.get_absolute_url()).content.decode())
    # session, user, paper, my mark, the data generations, where it is scheduled, notes:
    # its details and the open slots are the cache's
    with django_assert_num_queries(7):
        again = without_csrf(member_client.get(first.get_absolute_url()).content.decode())
    assert again == page
    urls = [claim_url(s) for s in session.slots.all()]
    with django_assert_num_queries(8):  # another paper's details, the same open slots
        assert offered(member_client, second) == urls
    assert (
        f'<input type="hidden" name="paper" value="{second.pk}">'
        in member_client.get(second.get_absolute_url()).content.decode()
    )


def test_a_claim_closes_the_slot_on_every_cached_page(member_client, organizer, other_member):
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=3), slot_count=2
    )
    paper, other = PaperFactory(), PaperFactory()
    one, two = session.slots.order_by("position")
    assert offered(member_client, paper) == [claim_url(one), claim_url(two)]
    scheduling.claim_slot(slot=one, user=other_member, paper=other)
    assert offered(member_client, paper) == [claim_url(two)]
    html = member_client.get(other.get_absolute_url()).content.decode()
    assert "<h2>Scheduled</h2>" in html and "<strong>Otto Other</strong> presents it" in html


def test_slots_close_when_their_session_starts(member_client, organizer):
    now = timezone.now()
    scheduling.create_session(  # starts in two minutes
        by=organizer, starts_at=now + dt.timedelta(minutes=2), slot_count=2
    )
    later = scheduling.create_session(
        by=organizer, starts_at=now + dt.timedelta(days=2), slot_count=2
    )
    paper = PaperFactory()
    with time_machine.travel(now, tick=False):
        assert len(offered(member_client, paper)) == 4
    with time_machine.travel(now + dt.timedelta(minutes=3), tick=False):
        assert offered(member_client, paper) == [claim_url(s) for s in later.slots.all()]

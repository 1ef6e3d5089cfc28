"""Deterministic synthetic reading groups, from a lab to a department.

``generate_group(shape, seed=…)`` fills an empty database (or one holding just the
seeded catalogue) with members, sessions and their slots, want-to-read marks and
note threads whose shapes look like a real group's: popular papers get more marks
and notes, active members write more, replies follow the note they answer, past
sessions have presenters and papers, upcoming ones have some open slots and never
schedule a paper twice. The same seed, shape and day give the same rows.

Rows are written with bulk_create in one transaction. Note bodies come from a
dozen Markdown templates rendered once each by the real renderer with plain
placeholder words, then filled in, which gives exactly what rendering each note
would (see ``NoteBodies``; the tests check it) at a fraction of the cost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import math
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from papers.management.commands.seed import SEED_FILES
from papers.models import Listing, Paper, ReadingList, Topic
from papers.parsing.titles import title_key
from readinggroup.models import (
    DigestFrequency,
    Note,
    Role,
    Session,
    SessionStatus,
    Slot,
    Unavailability,
    User,
    WantToRead,
)
from readinggroup.notes.rendering import render_markdown

from . import vocabulary as words
from .shapes import Shape

GENERATED_LIST_PREFIX = "generated-"
MEMBER_EMAIL_DOMAIN = "members.example.org"
BATCH = 2000
NOTE_CHUNK = 10_000  # notes held in memory at once


class GenerationRefused(Exception):
    """The database holds data this command must not mix with or overwrite."""


@dataclass
class GenerationReport:
    shape: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def as_dict(self) -> dict:
        return {
            "shape": self.shape,
            "seed": self.seed,
            "counts": self.counts,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "total_seconds": round(self.total_seconds, 3),
        }

    def summary(self) -> str:
        counts = ", ".join(f"{v:,} {k}" for k, v in self.counts.items())
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        return f"{self.shape} (seed {self.seed}): {counts} in {self.total_seconds:.1f} s ({phases})"


def blocking_data() -> list[str]:
    """What in the database stops a generation: a group's own data, or an earlier one.

    Users alone (a demo organizer) and the seeded catalogue do not block.
    """
    found = []
    for model, label in (
        (Session, "sessions"),
        (Note, "notes"),
        (WantToRead, "want-to-read marks"),
    ):
        if count := model.objects.count():
            found.append(f"{count:,} {label}")
    other_lists = ReadingList.objects.exclude(source_name__in=SEED_FILES).count()
    if other_lists:
        found.append(f"{other_lists:,} reading lists besides the three seeded ones")
    generated = User.objects.filter(email__endswith="@" + MEMBER_EMAIL_DOMAIN).count()
    if generated:
        found.append(f"{generated:,} generated members")
    if not settings.DEBUG and User.objects.exists():
        found.append(f"{User.objects.count():,} users (and DEBUG is off: a real site?)")
    return found


def replace_everything() -> None:
    """Delete every row of every table (the explicit --replace of generate_group)."""
    call_command("flush", interactive=False, verbosity=0)


class NoteBodies:
    """Markdown bodies and their HTML, each template rendered once.

    Each template is rendered with one placeholder word per slot; the slot values
    are plain text that Markdown and HTML escaping leave unchanged, so replacing
    the placeholders in the HTML gives what rendering the filled-in body gives.
    """

    SLOTS = ("a", "b", "m", "d", "n", "x")

    def __init__(self) -> None:
        marks = {slot: f"ZZSLOT{slot}ZZ" for slot in self.SLOTS}
        self.templates = [
            (template, render_markdown(template.format(**marks)), marks)
            for template in words.NOTE_TEMPLATES
        ]

    def make(self, index: int, values: dict[str, str]) -> tuple[str, str]:
        template, html, marks = self.templates[index]
        for slot, mark in marks.items():
            html = html.replace(mark, values[slot])
        return template.format(**values), html

    def random_values(self, rng: random.Random) -> dict[str, str]:
        a, b = rng.sample(words.TERMS, 2)
        return {
            "a": a,
            "b": b,
            "m": method_name(rng),
            "d": rng.choice(words.DATASETS),
            "n": f"{rng.uniform(1.1, 9.9):.1f}",
            "x": f"{rng.randint(18, 25)}{rng.randint(1, 12):02d}.{rng.randint(1, 29999):05d}",
        }


def method_name(rng: random.Random) -> str:
    middle = rng.choice(words.METHOD_MIDDLES)
    return rng.choice(words.METHOD_PREFIXES) + middle + rng.choice(words.METHOD_SUFFIXES)


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)


def author_list(rng: random.Random) -> str:
    count = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 8])
    return " and ".join(" ".join(person(rng)) for _ in range(count))


def paper_title(rng: random.Random) -> tuple[str, str]:
    """A title and, when it starts with one, its short name ("PagedKV: …")."""
    method = method_name(rng)
    term, term2 = rng.sample(words.TERMS, 2)
    title = rng.choice(words.TITLE_PATTERNS).format(
        m=method,
        adj=rng.choice(words.TITLE_ADJECTIVES),
        noun=rng.choice(words.TITLE_NOUNS),
        task=rng.choice(words.TITLE_TASKS),
        term=term.title(),
        term2=term2.title(),
        scale=rng.choice(words.SCALES),
    )
    return title, (method if title.startswith(method + ":") else "")


def paper_year(rng: random.Random) -> int:
    return min(2025, 2012 + int(rng.triangular(0, 14, 13)))


@contextlib.contextmanager
def explicit_timestamps() -> Iterator[None]:
    """Let bulk_create keep the created_at/updated_at values we give (history, not now).

    auto_now/auto_now_add would overwrite them; they are switched off on these
    fields for the duration of the generation only.
    """
    fields = [
        f
        for model in (Note, WantToRead, Session, Paper, ReadingList)
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class _Weighted:
    """rng.choices over a fixed population with precomputed cumulative weights."""

    def __init__(self, population: list, weights: list[float]) -> None:
        self.population = population
        self.cum = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random):
        return rng.choices(self.population, cum_weights=self.cum)[0]


def _skewed(population: list, exponent: float = 0.9) -> _Weighted:
    """Earlier items weigh more: a few very active members, a few very popular papers."""
    return _Weighted(population, [1 / (i + 1) ** exponent for i in range(len(population))])


def generate_group(
    shape: Shape,
    *,
    seed: int = 1,
    today: dt.date | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> GenerationReport:
    """Generate ``shape``'s group into the current database (see blocking_data first)."""
    today = today or timezone.localdate()
    report = GenerationReport(shape=shape.name, seed=seed)
    builder = _Builder(shape, random.Random(seed), today, report, log)
    if shape.seed_catalogue:
        with builder.phase("seed"):  # the real import, timed on its own
            call_command("seed", stdout=io.StringIO())
    with explicit_timestamps(), transaction.atomic():
        builder.build()
    if connection.vendor == "postgresql":
        # What autovacuum would soon do: without statistics the planner takes these
        # tables for empty ones and picks nested loops that take seconds.
        with builder.phase("analyze"), connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return report


class _Builder:
    def __init__(
        self,
        shape: Shape,
        rng: random.Random,
        today: dt.date,
        report: GenerationReport,
        log: Callable[[str], None],
    ) -> None:
        self.shape = shape
        self.rng = rng
        self.today = today
        self.zone = ZoneInfo(settings.TIME_ZONE)
        # History ends at the start of ``today`` (so the same day gives the same rows);
        # whether a session is still ahead is decided by the real clock.
        self.now = dt.datetime.combine(today, dt.time(0), tzinfo=self.zone).astimezone(dt.UTC)
        self.clock = timezone.now()
        self.report = report
        self.log = log

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.report.seconds[name] = time.perf_counter() - started
        self.log(f"  {name}: {self.report.seconds[name]:.1f} s")

    def build(self) -> None:
        with self.phase("papers"):
            self.papers()
        with self.phase("members"):
            self.members()
        with self.phase("sessions"):
            self.sessions()
        with self.phase("marks"):
            self.marks()
        with self.phase("notes"):
            self.notes()
        counts = self.report.counts
        counts.update(
            papers=Paper.objects.count(),
            topics=Topic.objects.count(),
            members=User.objects.count(),
            sessions=Session.objects.count(),
            slots=Slot.objects.count(),
            marks=WantToRead.objects.count(),
            notes=Note.objects.count(),
        )

    # --- catalogue ------------------------------------------------------------------

    def papers(self) -> None:
        rng = self.rng
        missing = self.shape.papers - Paper.objects.count()
        if missing > 0:
            taken_titles = set(Paper.objects.values_list("title_key", flat=True))
            taken_keys = set(Paper.objects.values_list("citation_key", flat=True))
            lists = max(1, math.ceil(missing / 2000))
            topics = self._topics(lists)
            new: list[Paper] = []
            while len(new) < missing:
                title, short = paper_title(rng)
                key = title_key(title)
                if key in taken_titles:
                    continue
                taken_titles.add(key)
                authors = author_list(rng)
                year = paper_year(rng)
                lead = authors.split(" and ")[0].split()[-1].lower()
                word = re.sub(r"[^a-z0-9]", "", title.split()[0].lower()) or "paper"
                citation = f"{lead}{year}{word}"
                suffix = 1
                while citation in taken_keys:
                    suffix += 1
                    citation = f"{lead}{year}{word}{suffix}"
                taken_keys.add(citation)
                venue = rng.choice(words.VENUES)
                paper = Paper(
                    title=title,
                    title_key=key,
                    short_name=short,
                    authors=authors,
                    venue=venue,
                    year=year,
                    pages=f"{rng.randint(1, 900)}--{rng.randint(901, 1200)}",
                    url=f"https://arxiv.org/abs/{year % 100:02d}{rng.randint(1, 12):02d}."
                    f"{rng.randint(1, 29999):05d}",
                    citation_key=citation,
                    entry_type="inproceedings" if venue != "arXiv" else "misc",
                    created_at=self.now - dt.timedelta(days=rng.uniform(0, 900)),
                    updated_at=self.now,
                )
                paper.refresh_search_text()
                new.append(paper)
            Paper.objects.bulk_create(new, batch_size=BATCH)
            self._listings(new, topics)
        self.all_papers = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
        shuffled = self.all_papers[:]
        self.rng.shuffle(shuffled)
        self.popular_papers = _skewed(shuffled, 0.8)

    def _topics(self, lists: int) -> list[Topic]:
        names = [f"{noun} for {task}" for task in words.TITLE_TASKS for noun in words.TITLE_NOUNS]
        reading_lists = ReadingList.objects.bulk_create(
            ReadingList(
                name=f"Department reading list {i}",
                source_name=f"{GENERATED_LIST_PREFIX}{i}.md",
                format="markdown-list",
                content_sha256="0" * 64,
                imported_at=self.now,
                updated_at=self.now,
            )
            for i in range(1, lists + 1)
        )
        topics = []
        for reading_list in reading_lists:
            chosen = self.rng.sample(names, 15)
            topics += [
                Topic(reading_list=reading_list, name=name, position=position)
                for position, name in enumerate(chosen, start=1)
            ]
        return Topic.objects.bulk_create(topics)

    def _listings(self, papers: list[Paper], topics: list[Topic]) -> None:
        rng = self.rng
        positions: dict[int, int] = {}
        listings = []
        for paper in papers:
            chosen = {rng.randrange(len(topics))}
            if rng.random() < 0.3:
                chosen.add(rng.randrange(len(topics)))
            for index in chosen:
                topic = topics[index]
                positions[topic.pk] = positions.get(topic.pk, 0) + 1
                listings.append(
                    Listing(
                        paper=paper,
                        topic=topic,
                        position=positions[topic.pk],
                        line=positions[topic.pk] + 2,
                        raw_text=f"- *{paper.title}* ({paper.venue}{paper.year % 100:02d})",
                    )
                )
        Listing.objects.bulk_create(listings, batch_size=BATCH)

    # --- people ---------------------------------------------------------------------

    def members(self) -> None:
        rng = self.rng
        password = make_password(None)  # unusable: nobody logs in as a generated member
        users = []
        organizers = max(1, self.shape.members // 25)
        for i in range(1, self.shape.members + 1):
            first, last = person(rng)
            username = f"{first}.{last}.{i:04d}".lower()
            users.append(
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    display_name=f"{first} {last}" if rng.random() < 0.7 else "",
                    email=f"{username}@{MEMBER_EMAIL_DOMAIN}",
                    password=password,
                    role=Role.ORGANIZER if i <= organizers else Role.MEMBER,
                    is_active=rng.random() > 0.05 or i <= organizers,
                    digest=DigestFrequency.WEEKLY if rng.random() < 0.8 else DigestFrequency.NONE,
                    notify_sessions=rng.random() < 0.7,
                    date_joined=self.now - dt.timedelta(days=rng.uniform(0, 365 * 4)),
                )
            )
        created = User.objects.bulk_create(users, batch_size=BATCH)
        active = [u.pk for u in created if u.is_active]
        rng.shuffle(active)
        self.member_ids = [u.pk for u in created]
        self.organizer_ids = [u.pk for u in created if u.role == Role.ORGANIZER]
        self.active_members = _skewed(active, 0.7)
        unavailable = set()
        for user_id in rng.sample(active, max(1, len(active) // 10)):
            for _ in range(2):
                unavailable.add((user_id, self.today + dt.timedelta(days=rng.randint(1, 60))))
        Unavailability.objects.bulk_create(
            (Unavailability(user_id=u, date=d, note="Away") for u, d in sorted(unavailable)),
            batch_size=BATCH,
        )

    # --- sessions and slots ---------------------------------------------------------

    def _session_days(self) -> list[dt.datetime]:
        """Upcoming weeks first, then back in time, several sessions a week if needed."""
        shape = self.shape
        weeks = shape.past_years * 52 + shape.upcoming_weeks
        per_week = math.ceil(shape.sessions / weeks)
        times: list[dt.datetime] = []
        week_starts = [
            self.today + dt.timedelta(days=1 + 7 * w) for w in range(shape.upcoming_weeks)
        ] + [self.today - dt.timedelta(days=7 * (w + 1)) for w in range(weeks)]
        for start in week_starts:
            for i in range(per_week):
                day = start + dt.timedelta(days=i % 5)
                local = dt.datetime.combine(day, dt.time(16 if i % 2 == 0 else 11, 0))
                times.append(local.replace(tzinfo=self.zone).astimezone(dt.UTC))
                if len(times) == shape.sessions:
                    return sorted(times)
        return sorted(times)

    def sessions(self) -> None:
        rng = self.rng
        topics = list(Topic.objects.order_by("pk").values_list("pk", flat=True))
        sessions = []
        for starts_at in self._session_days():
            past = starts_at < self.clock
            task = rng.choice(words.TITLE_TASKS)
            sessions.append(
                Session(
                    title=f"{task}" if rng.random() < 0.6 else "",
                    starts_at=starts_at,
                    duration_minutes=rng.choice([60, 60, 90]),
                    place=rng.choice(words.ROOMS),
                    video_url="https://meet.example.org/reading-group"
                    if rng.random() < 0.5
                    else "",
                    theme_topic_id=rng.choice(topics) if topics and rng.random() < 0.2 else None,
                    slot_count=rng.choice([1, 2, 2, 2, 3]),
                    status=SessionStatus.CANCELLED if rng.random() < 0.03 else "scheduled",
                    scribe_id=self.active_members.pick(rng)
                    if past and rng.random() < 0.3
                    else None,
                    created_by_id=rng.choice(self.organizer_ids),
                    created_at=starts_at - dt.timedelta(days=30),
                    updated_at=starts_at - dt.timedelta(days=1),
                )
            )
        created = Session.objects.bulk_create(sessions, batch_size=BATCH)
        scheduled_upcoming: set[int] = set()
        slots = []
        self.past_sessions: list[tuple[int, dt.datetime]] = []
        self.presented: list[int] = []
        for session in created:
            past = session.starts_at < self.clock
            cancelled = session.status == SessionStatus.CANCELLED
            if past and not cancelled:
                self.past_sessions.append((session.pk, session.starts_at))
            presenters: set[int] = set()  # a member presents at most once per session
            for position in range(1, session.slot_count + 1):
                slot = Slot(session=session, position=position, upcoming=not past and not cancelled)
                filled = not cancelled if past else rng.random() < 0.6
                if filled:
                    paper = self.popular_papers.pick(rng)
                    if slot.upcoming:
                        while paper in scheduled_upcoming:
                            paper = rng.choice(self.all_papers)
                        scheduled_upcoming.add(paper)
                    else:
                        self.presented.append(paper)
                    slot.paper_id = paper
                    presenter = self.active_members.pick(rng)
                    while presenter in presenters:
                        presenter = self.active_members.pick(rng)
                    presenters.add(presenter)
                    slot.presenter_id = presenter
                    slot.assigned_by_id = slot.presenter_id
                    slot.assigned_at = session.starts_at - dt.timedelta(days=rng.randint(3, 40))
                    if past or rng.random() < 0.5:
                        slot.confirmed_at = slot.assigned_at
                    if past and rng.random() < 0.6:
                        slot.slides_url = f"https://slides.example.org/{session.pk}-{position}"
                else:
                    slot.locked = rng.random() < 0.1
                slots.append(slot)
        Slot.objects.bulk_create(slots, batch_size=BATCH)

    # --- want-to-read marks ---------------------------------------------------------

    def marks(self) -> None:
        rng = self.rng
        members = self.member_ids
        cap = len(self.all_papers)
        total = min(self.shape.marks, cap * len(members))
        # Some members mark many papers, most a few; no member more than the catalogue.
        weights = [rng.paretovariate(1.5) for _ in members]
        scale = total / sum(weights)
        quotas = [min(cap, round(w * scale)) for w in weights]
        # What rounding and the cap left over goes to members with room, in turn.
        index = 0
        while (missing := total - sum(quotas)) != 0:
            step = 1 if missing > 0 else -1
            if 0 <= quotas[index] + step <= cap:
                quotas[index] += step
            index = (index + 1) % len(quotas)
        marks = []
        for user_id, quota in zip(members, quotas, strict=True):
            chosen: set[int] = set()
            while len(chosen) < quota:
                chosen.add(
                    self.popular_papers.pick(rng)
                    if rng.random() < 0.5
                    else rng.choice(self.all_papers)
                )
            marks += [
                WantToRead(
                    user_id=user_id,
                    paper_id=paper_id,
                    created_at=self.now - dt.timedelta(days=rng.uniform(0, 700)),
                )
                for paper_id in sorted(chosen)
            ]
        WantToRead.objects.bulk_create(marks, batch_size=BATCH)
        Paper.objects.recount_wants()  # bulk_create sends no signals

    # --- notes ----------------------------------------------------------------------

    def _note(self, bodies: NoteBodies, **fields: object) -> Note:
        rng = self.rng
        body, html = bodies.make(rng.randrange(len(bodies.templates)), bodies.random_values(rng))
        return Note(
            author_id=self.active_members.pick(rng),
            body=body,
            body_html=html,
            hidden=rng.random() < 0.01,
            **fields,
        )

    def notes(self) -> None:
        rng = self.rng
        bodies = NoteBodies()
        total = self.shape.notes
        replies = int(total * 0.3)
        top_level = total - replies
        sessions = self.past_sessions
        presented = self.presented or self.all_papers
        pinned_sessions: set[int] = set()
        parents: list[tuple[int, int | None, int | None, dt.datetime]] = []
        oldest = self.now - dt.timedelta(days=365 * self.shape.past_years)

        def top_level_note() -> Note:
            if sessions and rng.random() < 0.55:
                session_id, starts_at = sessions[
                    min(len(sessions) - 1, int(rng.triangular(0, len(sessions), len(sessions))))
                ]
                created = min(self.now, starts_at + dt.timedelta(hours=rng.uniform(-48, 168)))
                pin = session_id not in pinned_sessions and rng.random() < 0.25
                if pin:
                    pinned_sessions.add(session_id)
                return self._note(bodies, session_id=session_id, pinned=pin, created_at=created)
            paper_id = (
                rng.choice(presented) if rng.random() < 0.6 else self.popular_papers.pick(rng)
            )
            created = oldest + (self.now - oldest) * rng.random()
            return self._note(bodies, paper_id=paper_id, created_at=created)

        for chunk in _chunks(top_level, NOTE_CHUNK):
            notes = [top_level_note() for _ in range(chunk)]
            for note in Note.objects.bulk_create(notes, batch_size=BATCH):
                parents.append((note.pk, note.session_id, note.paper_id, note.created_at))

        for chunk in _chunks(replies, NOTE_CHUNK):
            notes = []
            for _ in range(chunk):
                parent_id, session_id, paper_id, parent_at = rng.choice(parents)
                created = min(self.now, parent_at + dt.timedelta(hours=rng.uniform(0.1, 72)))
                note = self._note(
                    bodies,
                    parent_id=parent_id,
                    session_id=session_id,
                    paper_id=paper_id,
                    created_at=created,
                )
                if rng.random() < 0.1:
                    note.edited_at = min(self.now, created + dt.timedelta(hours=1))
                notes.append(note)
            Note.objects.bulk_create(notes, batch_size=BATCH)


def _chunks(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size

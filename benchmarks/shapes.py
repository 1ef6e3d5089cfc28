"""How big the synthetic groups are."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Shape:
    name: str
    seed_catalogue: bool  # import the three fixture lists first
    papers: int  # papers in the catalogue in all; synthetic ones top the seeded ones up
    members: int
    sessions: int
    notes: int
    marks: int  # want-to-read marks, unique per (member, paper)
    upcoming_weeks: int  # weeks of upcoming sessions (the rest lie in the past)
    past_years: int

    def as_dict(self) -> dict:
        return asdict(self)


SHAPES = {
    # For tests and `bench --quick`: seconds, not minutes.
    "tiny": Shape("tiny", False, 80, 8, 16, 120, 60, 2, 1),
    # The seeded catalogue (319 papers) and a lab's worth of people and history.
    "lab": Shape("lab", True, 0, 40, 150, 3_000, 5_000, 12, 3),
    "department": Shape("department", True, 20_000, 1_000, 3_000, 200_000, 200_000, 8, 6),
}

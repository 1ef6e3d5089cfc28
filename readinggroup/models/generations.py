from __future__ import annotations

from django.db import models


class DataArea(models.TextChoices):
    """The parts of the data that cached pages depend on (see readinggroup.generations)."""

    CATALOGUE = "catalogue", "Catalogue: papers, topics, reading lists, want-to-read marks"
    SCHEDULE = "schedule", "Schedule: sessions, slots, series, unavailable dates"
    MEMBERS = "members", "Members: accounts and invites"
    NOTES = "notes", "Notes"


class DataGeneration(models.Model):
    """A counter per area that grows after every committed write to it.

    Cached renderings are stored under the counters they were computed at, so a
    change anywhere in an area makes every rendering that depends on it stale at once.
    """

    area = models.CharField(max_length=16, choices=DataArea.choices, primary_key=True)
    counter = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area__in=DataArea.values), name="datageneration_area_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.area} #{self.counter}"

"""Signal receivers of the schedule, connected in ``ReadingGroupConfig.ready``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.signals import pre_delete

from . import scheduling


def presenter_leaves_their_slots(sender: type, instance: models.Model, **kwargs: object) -> None:
    """Deleting an account (the admin can) empties their slots the way removing a member does.

    ``presenter`` is SET_NULL, and a slot without presenter may keep neither a
    confirmation nor slides (see the constraints), so clear those first. Runs
    inside the deletion's transaction, before Django nulls the presenter.
    """
    scheduling.forget_presenter(user=instance)


def connect() -> None:
    pre_delete.connect(
        presenter_leaves_their_slots,
        sender=settings.AUTH_USER_MODEL,
        dispatch_uid="schedule.presenter_leaves_their_slots",
    )

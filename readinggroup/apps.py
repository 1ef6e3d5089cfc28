from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate


class ReadingGroupConfig(AppConfig):
    name = "readinggroup"
    verbose_name = "Reading group"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the deploy checks)
            generations,
        )

        # Every connection counts its writes, so cached pages know when they are stale.
        connection_created.connect(generations.install, dispatch_uid="generations.install")
        pre_migrate.connect(generations.pause_tracking, sender=self)
        post_migrate.connect(generations.after_migrate, sender=self)

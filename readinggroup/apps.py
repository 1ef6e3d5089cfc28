from django.apps import AppConfig


class ReadingGroupConfig(AppConfig):
    name = "readinggroup"
    verbose_name = "Reading group"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .schedule import receivers

        receivers.connect()

from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()

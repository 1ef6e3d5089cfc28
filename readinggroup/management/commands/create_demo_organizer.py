from __future__ import annotations

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from readinggroup.models import Role, User

USERNAME = "organizer"


class Command(BaseCommand):
    help = "Create a demo organizer account and print its password (only the first time)."

    def handle(self, *args: object, **options: object) -> None:
        if User.objects.filter(username=USERNAME).exists():
            self.stdout.write(
                f"Demo organizer '{USERNAME}' already exists (its password was printed when it "
                f"was created; reset it with `python manage.py changepassword {USERNAME}`)."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_user(
            username=USERNAME,
            password=password,
            display_name="Demo Organizer",
            email="organizer@example.org",
            role=Role.ORGANIZER,
            is_staff=True,
            is_superuser=True,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the demo organizer. Log in at {settings.READINGGROUP_SITE_URL}/ as "
                f"'{USERNAME}' with password '{password}' (shown only this once)."
            )
        )

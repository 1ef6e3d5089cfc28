"""The Celery application. Configuration, the beat schedule included, lives in settings
(CELERY_* names): Redis when REDIS_URL is set, else an embedded filesystem broker.

    celery -A readinggroup worker    # runs tasks
    celery -A readinggroup beat      # sends the periodic ones (notifications.tick,
                                     # outbox.sweep, papers.search_duplicates)

Code enqueues through readinggroup.outbox.enqueue, never with .delay().
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")

app = Celery("readinggroup")
app.config_from_object("django.conf:settings", namespace="CELERY")
# tasks.py of every installed app (readinggroup.tasks: outbox.sweep), plus the
# notifications package, which lives inside the readinggroup app.
app.autodiscover_tasks()
app.autodiscover_tasks(["readinggroup.notifications"])

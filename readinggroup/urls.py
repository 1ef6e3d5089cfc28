from django.contrib import admin
from django.urls import include, path

from . import views
from .dashboard import views as dashboard
from .members import views as members_views

# The 503 page, not a 500, when the database is down before a view runs.
handler500 = "readinggroup.middleware.server_error"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Before Django's own: the reset email is throttled and sent by a task.
    path("accounts/password_reset/", members_views.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("papers/", include("papers.urls")),
    path("notes/", include("readinggroup.notes.urls")),
    path("", include("readinggroup.members.urls")),
    path("", include("readinggroup.schedule.urls")),
    path("calendar/", include("readinggroup.ical.urls")),
    path("notifications/", include("readinggroup.notifications.urls")),
]

from django.contrib import admin
from django.urls import include, path

from . import session_views, views
from .members import views as members_views

# The 503 page, not a 500, when the database is down before a view runs.
handler500 = "readinggroup.middleware.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Before Django's own: the reset email is throttled and sent by a task.
    path("accounts/password_reset/", members_views.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("papers/", include("papers.urls")),
    path("notes/", include("readinggroup.notes.urls")),
    path("", include("readinggroup.members.urls")),
    path("calendar/", include("readinggroup.ical.urls")),
    path("notifications/", include("readinggroup.notifications.urls")),
    path("sessions/", session_views.session_list, name="session_list"),
    path("sessions/new/", session_views.session_create, name="session_create"),
    path("sessions/series/new/", session_views.series_create, name="series_create"),
    path("sessions/<int:pk>/", session_views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", session_views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/cancel/", session_views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/scribe/", session_views.scribe_volunteer, name="scribe_volunteer"),
    path("slots/<int:pk>/claim/", session_views.slot_claim, name="slot_claim"),
    path("slots/<int:pk>/release/", session_views.slot_release, name="slot_release"),
    path("slots/<int:pk>/confirm/", session_views.slot_confirm, name="slot_confirm"),
    path("slots/<int:pk>/decline/", session_views.slot_decline, name="slot_decline"),
    path("slots/<int:pk>/assign/", session_views.slot_assign, name="slot_assign"),
    path("slots/<int:pk>/slides/", session_views.slot_slides, name="slot_slides"),
    path("slots/<int:pk>/slides/set/", session_views.slot_slides_set, name="slot_slides_set"),
    path(
        "slots/<int:pk>/slides/remove/",
        session_views.slot_slides_remove,
        name="slot_slides_remove",
    ),
    path(
        "sessions/<int:pk>/suggestions/",
        session_views.session_suggestions,
        name="session_suggestions",
    ),
    path(
        "sessions/<int:pk>/suggestions/accept/",
        session_views.suggestions_accept,
        name="suggestions_accept",
    ),
    path("papers/<int:pk>/want/", session_views.want_toggle, name="want_toggle"),
]

from django.contrib import admin
from django.urls import include, path

from . import views
from .dashboard import views as dashboard

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("papers/", include("papers.urls")),
    path("notes/", include("readinggroup.notes.urls")),
    path("", include("readinggroup.members.urls")),
    path("", include("readinggroup.schedule.urls")),
    path("calendar/", include("readinggroup.ical.urls")),
    path("notifications/", include("readinggroup.notifications.urls")),
]

"""Calendar: the private iCalendar feed and per-session .ics files."""

from django.urls import path

from . import views

app_name = "ical"

urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("sessions/<int:pk>.ics", views.session_ics, name="session_ics"),
    path("<slug:token>.ics", views.feed, name="feed"),
]

from django.urls import path

from . import views

app_name = "schedule"

urlpatterns = [
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/series/new/", views.series_create, name="series_create"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/scribe/", views.scribe_volunteer, name="scribe_volunteer"),
    path("sessions/<int:pk>/suggestions/", views.session_suggestions, name="session_suggestions"),
    path(
        "sessions/<int:pk>/suggestions/accept/",
        views.suggestions_accept,
        name="suggestions_accept",
    ),
    path("slots/<int:pk>/claim/", views.slot_claim, name="slot_claim"),
    path("slots/<int:pk>/release/", views.slot_release, name="slot_release"),
    path("slots/<int:pk>/confirm/", views.slot_confirm, name="slot_confirm"),
    path("slots/<int:pk>/decline/", views.slot_decline, name="slot_decline"),
    path("slots/<int:pk>/assign/", views.slot_assign, name="slot_assign"),
    path("slots/<int:pk>/slides/", views.slot_slides, name="slot_slides"),
    path("slots/<int:pk>/slides/set/", views.slot_slides_set, name="slot_slides_set"),
    path("slots/<int:pk>/slides/remove/", views.slot_slides_remove, name="slot_slides_remove"),
]

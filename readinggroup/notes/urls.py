from django.urls import path

from . import views

app_name = "notes"

urlpatterns = [
    path("", views.note_list, name="note_list"),
    path("post/", views.note_post, name="note_post"),
    path("<int:pk>/", views.note_detail, name="note_detail"),
    path("<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("<int:pk>/delete/", views.note_delete, name="note_delete"),
    path("<int:pk>/hide/", views.note_hide, name="note_hide"),
    path("<int:pk>/pin/", views.note_pin, name="note_pin"),
]

from django.urls import path

from . import views

app_name = "papers"

urlpatterns = [
    path("", views.paper_list, name="paper_list"),
    path("<int:pk>/", views.paper_detail, name="paper_detail"),
    path("<int:pk>/want/", views.want_toggle, name="want_toggle"),
    path("topics/", views.topic_list, name="topic_list"),
    path("export.bib", views.export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("duplicates/", views.duplicate_list, name="duplicate_list"),
    path("duplicates/<int:pk>/merge/", views.duplicate_merge, name="duplicate_merge"),
    path("duplicates/<int:pk>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
]

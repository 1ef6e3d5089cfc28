from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_log, name="log"),
    path("<int:pk>/retry/", views.notification_retry, name="retry"),
    path("settings/", views.settings_edit, name="settings"),
    path("settings/webhook-test/", views.webhook_test, name="webhook_test"),
    path("digest/preview/", views.digest_preview, name="digest_preview"),
    path("digest/preview/email/", views.digest_email, name="digest_email"),
    path("digest/send/", views.digest_send, name="digest_send"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]

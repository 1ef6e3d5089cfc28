from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from .models import (
    GroupSettings,
    Note,
    Notification,
    OutboxMessage,
    Series,
    Session,
    Slot,
    Unavailability,
    User,
    WantToRead,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "display_name", "email", "first_name", "last_name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Reading group", {"fields": ("display_name", "role")}),
    )


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "title", "status", "slot_count", "series", "scribe")
    list_filter = ("status", "series")
    search_fields = ("title", "place")
    date_hierarchy = "starts_at"


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ("title", "created_by", "created_at")
    search_fields = ("title",)


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ("session", "position", "presenter", "paper", "confirmed_at", "locked")
    list_filter = ("locked", "upcoming")
    search_fields = ("presenter__username", "paper__title")
    list_select_related = ("session", "presenter", "paper")
    raw_id_fields = ("session", "presenter", "paper", "assigned_by")


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    list_display = ("user", "date", "note")
    search_fields = ("user__username",)
    date_hierarchy = "date"


@admin.register(WantToRead)
class WantToReadAdmin(admin.ModelAdmin):
    list_display = ("user", "paper", "created_at")
    search_fields = ("user__username", "paper__title")
    raw_id_fields = ("user", "paper")

    def get_readonly_fields(
        self, request: HttpRequest, obj: WantToRead | None = None
    ) -> tuple[str, ...]:
        # Moving a mark to another paper would leave both papers' want_count stale;
        # delete the mark and add a new one instead.
        return ("user", "paper") if obj else ()


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    """Moderation view; the body is edited in the app so its HTML is re-rendered."""

    list_display = ("author", "session", "paper", "created_at", "hidden", "pinned")
    list_filter = ("hidden", "pinned")
    search_fields = ("body", "author__username")
    readonly_fields = ("body", "author", "session", "paper", "parent", "created_at", "edited_at")


@admin.register(GroupSettings)
class GroupSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reminder_days", "reminder_hour", "digest_weekday", "digest_hour")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "recipient",
        "status",
        "attempts",
        "sent_at",
        "retry_at",
    )
    list_filter = ("status", "kind", "channel")
    search_fields = ("scope", "subject", "recipient__username", "recipient__email")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "session", "send_task")
    date_hierarchy = "created_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "task_name", "enqueued_at", "started_at", "attempts")
    list_filter = ("task_name",)
    search_fields = ("task_name", "last_error")

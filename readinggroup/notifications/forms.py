from __future__ import annotations

from django import forms

from readinggroup.models import GroupSettings, NotificationKind, NotificationStatus
from readinggroup.weblinks import WebURLField

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class GroupSettingsForm(forms.ModelForm):
    reminder_days = forms.IntegerField(
        label="Remind presenters this many days before",
        min_value=1,
        max_value=14,
        help_text="Presenters get a second nudge the day before if their slides are missing.",
    )
    reminder_hour = forms.IntegerField(
        label="Send reminders at (hour, 0 to 23)",
        min_value=0,
        max_value=23,
        help_text="In the group's time zone; the session reminder goes out the day before.",
    )
    digest_weekday = forms.TypedChoiceField(label="Weekly digest on", choices=WEEKDAYS, coerce=int)
    digest_hour = forms.IntegerField(
        label="Weekly digest at (hour, 0 to 23)", min_value=0, max_value=23
    )
    # Only http and https: Django's URLField also takes ftp:// and ftps://, which urllib
    # would fetch. Private and loopback addresses are refused when the message is sent
    # unless READINGGROUP_WEBHOOK_ALLOW_PRIVATE is on (see notifications.webhook).
    webhook_url = WebURLField(
        label="Chat webhook URL",
        required=False,
        help_text="Slack-compatible incoming webhook; session reminders and the digest "
        "summary are posted there too. Leave empty for email only.",
    )

    class Meta:
        model = GroupSettings
        fields = ["reminder_days", "reminder_hour", "digest_weekday", "digest_hour", "webhook_url"]


class LogFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *NotificationKind.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *NotificationStatus.choices]
    )

from __future__ import annotations

import datetime as dt

from django import forms

from papers.models import Paper, Topic
from readinggroup.models import Session, User
from readinggroup.validators import validate_single_line
from readinggroup.weblinks import WebURLField

from .slides import SlidesError, check_pdf


class SessionForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label="Date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the group's time zone.",
    )
    slot_count = forms.IntegerField(label="Presentation slots", min_value=1, max_value=12)
    video_url = WebURLField(required=False, label="Video link")

    class Meta:
        model = Session
        fields = [
            "title",
            "starts_at",
            "duration_minutes",
            "place",
            "video_url",
            "theme_topic",
            "slot_count",
        ]
        labels = {"video_url": "Video link", "duration_minutes": "Length (minutes)"}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme_topic"].queryset = Topic.objects.select_related("reading_list")
        self.fields["theme_topic"].required = False
        self.fields["duration_minutes"].min_value = 15


class SeriesForm(forms.Form):
    title = forms.CharField(
        max_length=200, initial="Reading group", validators=[validate_single_line]
    )
    first = forms.DateField(label="First session", widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label="Last session", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}))
    skip = forms.CharField(
        required=False,
        label="Skip dates",
        help_text="Dates without a session, separated by commas (YYYY-MM-DD).",
    )
    slot_count = forms.IntegerField(label="Slots per session", min_value=1, max_value=12, initial=2)
    duration_minutes = forms.IntegerField(
        label="Length (minutes)", min_value=15, max_value=600, initial=60
    )
    place = forms.CharField(max_length=200, required=False, validators=[validate_single_line])
    video_url = WebURLField(required=False, label="Video link")

    def clean_skip(self) -> set[dt.date]:
        dates = set()
        for part in self.cleaned_data["skip"].replace(";", ",").split(","):
            if part.strip():
                try:
                    dates.add(dt.date.fromisoformat(part.strip()))
                except ValueError:
                    raise forms.ValidationError(
                        f"“{part.strip()}” is not a date like 2026-02-19."
                    ) from None
        return dates


class ClaimForm(forms.Form):
    paper = forms.ModelChoiceField(queryset=Paper.objects.all(), empty_label="Choose a paper…")


class AssignForm(forms.Form):
    presenter = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True), required=False, empty_label="Nobody"
    )
    paper = forms.ModelChoiceField(
        queryset=Paper.objects.all(), required=False, empty_label="No paper yet"
    )
    locked = forms.BooleanField(required=False)


class SlidesForm(forms.Form):
    url = WebURLField(required=False, label="Link to the slides")
    file = forms.FileField(
        required=False,
        label="or a PDF",
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    # Without it, saving the form keeps the current PDF (a new upload replaces it).
    remove_file = forms.BooleanField(required=False, label="Remove the PDF")

    def clean_file(self) -> object:
        upload = self.cleaned_data.get("file")
        if upload:
            try:
                check_pdf(upload)
            except SlidesError as exc:
                raise forms.ValidationError(str(exc)) from None
        return upload

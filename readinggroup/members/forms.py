from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.utils import timezone

from readinggroup.models import Role, User
from readinggroup.searchfields import SearchField, problems
from readinggroup.validators import validate_single_line

from .actions import INVITE_DAYS, INVITE_MAX_DAYS


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class InviteForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
    email = forms.EmailField(
        required=False,
        max_length=254,  # Invite.email's column (PostgreSQL refuses longer)
        label="Email (optional)",
        help_text="We email the link there; leave empty to pass the link on yourself.",
    )
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=INVITE_MAX_DAYS,
        initial=INVITE_DAYS,
        help_text=f"From 1 to {INVITE_MAX_DAYS} days. The link works once.",
    )


def _username_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()


class AccountForm(forms.ModelForm):
    """An organizer creates an account; its member chooses a password through an emailed link."""

    class Meta:
        model = User
        fields = ["username", "display_name", "email", "role"]
        field_classes = {"username": UsernameField}
        help_texts = {
            "display_name": "How the group sees them, e.g. “Ada Lovelace”.",
            "email": "They get a link there to choose their password.",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if _username_taken(username):
            raise forms.ValidationError("A member with that username already exists.")
        return username


class JoinForm(UserCreationForm):
    """Sign-up through an invite: Django's password rules, our fields."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email")
        help_texts = {
            "username": "For logging in: letters, digits and @/./+/-/_ only.",
            "display_name": "How the group sees you, e.g. “Ada Lovelace”.",
            "email": "For reminders and password resets.",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["display_name"].label = "Display name"


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "email", "notify_presenting", "notify_sessions", "digest"]
        labels = {
            "display_name": "Display name",
            "email": "Email",
            "notify_presenting": "Remind me before I present",
            "notify_sessions": "Remind me the day before each session",
            "digest": "Digest email",
        }
        help_texts = {
            "display_name": "How the group sees you. Empty: your username.",
            "email": "Where reminders, digests and password-reset links go.",
            "notify_presenting": "An email a few days before a session where you have a slot.",
            "notify_sessions": "An email the day before every session, with its papers.",
            "digest": "A weekly summary of upcoming sessions and new notes, or none.",
        }


class UnavailableForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        label="Note (optional)",
        max_length=200,
        required=False,
        help_text="E.g. “conference”.",
        validators=[validate_single_line],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Past dates are not offered by the date picker (and refused by the action).
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()


class MemberFilterForm(forms.Form):
    """The members page's "Find a member": a bad value is ignored with a message."""

    q = SearchField(max_length=100, label="Search")

    def __init__(self, data: object = None) -> None:
        super().__init__(data)
        self.full_clean()
        self.problems = problems(self)

    @property
    def query(self) -> str:
        return "" if "q" in self.errors else self.cleaned_data.get("q", "")


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)

"""Members: invites, roles, profiles and the members page."""

from django.urls import path

from . import lockouts, views

app_name = "members"

urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "members/<int:pk>/password-link/",
        views.password_link_send,
        name="password_link_send",
    ),
    path("members/new/", views.account_create, name="account_create"),
    path("members/invites/", views.invite_create, name="invite_create"),
    path("members/invites/<int:pk>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("members/lockouts/", lockouts.lockout_list, name="lockout_list"),
    path("members/lockouts/<int:pk>/lift/", lockouts.lockout_lift, name="lockout_lift"),
    path("join/<str:token>/", views.join, name="join"),
    path("profile/", views.profile, name="profile"),
    path("profile/unavailable/", views.unavailable_add, name="unavailable_add"),
    path(
        "profile/unavailable/<int:pk>/delete/",
        views.unavailable_delete,
        name="unavailable_delete",
    ),
]

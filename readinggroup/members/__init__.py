"""Members: invites, roles, profiles and the members page."""

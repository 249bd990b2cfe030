"""People: users, teams and memberships, and the short lists pickers offer."""

"""SQLAlchemy models, engine set-up, schema migrations and queries."""

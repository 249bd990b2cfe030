"""Applications: kinds loaded from TOML, filing and correcting forms, and
reading an application with its route."""

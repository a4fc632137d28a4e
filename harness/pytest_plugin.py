"""pytest plugin for users' own tests (fixtures and options are added here)."""

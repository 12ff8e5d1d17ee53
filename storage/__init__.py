"""Persistence for Failure Resume: engine, models, repository functions, migrations."""

"""Alembic migrations of the state store, shipped inside the package so installs can migrate."""

"""Shared pytest configuration: fixtures live as plugins under tests/fixtures/."""

pytest_plugins = ["tests.fixtures.spec_repo"]

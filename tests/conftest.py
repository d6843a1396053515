"""Shared pytest configuration: fixtures live as plugins under tests/fixtures/."""

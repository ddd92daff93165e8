"""Alembic migrations; they live in the package so an installed `khata` can apply them."""

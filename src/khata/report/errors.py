"""Errors of the reports."""

from khata.kit.errors import FieldError, ValidationFailed


def bad_parameter(field: str, message: str, value: object) -> ValidationFailed:
    """A query parameter the report cannot use (400 VALIDATION_ERROR naming it)."""
    return ValidationFailed([FieldError(field, message, value)])

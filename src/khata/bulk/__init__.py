"""Bulk files: the streaming import engine and its report files."""

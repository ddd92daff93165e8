"""Orders (commerce dialect): what was sold, line by line, and what is left to invoice."""

"""Paging bounds shared by every list and search endpoint."""

# Far beyond any real result set, well inside the 64-bit OFFSET both databases take: a
# larger number is a client mistake to name (400), not a driver overflow to crash on (500).
MAX_OFFSET = 1_000_000_000

"""Credit notes (CGST Act s. 34) and write-offs: what reduces an invoice's balance besides money."""

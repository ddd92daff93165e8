"""Sellers: creating a tenant with its admin login and OAuth client."""

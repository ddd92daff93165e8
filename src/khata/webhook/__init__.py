"""Signed webhooks: a seller's endpoints, the events written with each change, their deliveries."""

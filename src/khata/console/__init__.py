"""The web console of the seller's AR team: server-rendered pages over the same services."""

"""khata: accounts receivable for Indian B2B sellers."""

__version__ = "0.1.0"

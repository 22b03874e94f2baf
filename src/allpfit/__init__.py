"""AllpFit Analytics: Chatwoot conversations turned into sales intelligence."""

__version__ = "0.1.0"

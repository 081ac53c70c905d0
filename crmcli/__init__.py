"""crmcli: customer relationships for on-site teams, over one SQLite file."""

__version__ = "0.1.0"

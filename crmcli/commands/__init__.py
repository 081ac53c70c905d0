"""One module per command group; each exports ``app``."""

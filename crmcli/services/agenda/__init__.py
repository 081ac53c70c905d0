"""What is due: one source module per obligation, each with ``KINDS`` and ``items(ctx)``."""

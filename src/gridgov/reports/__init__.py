"""Statistics, ledgers and work summaries drawn from every other app (issue 13)."""

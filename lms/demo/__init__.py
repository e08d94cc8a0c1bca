"""Demo data: the quickstart accounts and cohorts, and the fact-sheet program simulation."""

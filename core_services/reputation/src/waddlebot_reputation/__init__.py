"""WaddleBot Reputation: a core service under `/reputation` (ARCHITECTURE §2)."""

"""WaddleBot Marketplace: a core service under `/marketplace` (ARCHITECTURE §2)."""

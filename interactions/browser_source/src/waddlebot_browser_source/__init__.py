"""WaddleBot Browser source: a interaction service under `/browser_source` (ARCHITECTURE §2)."""

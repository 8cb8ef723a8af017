"""WaddleBot Alias: a interaction service under `/alias` (ARCHITECTURE §2)."""

"""WaddleBot Portal: a core service under `/portal` (ARCHITECTURE §2)."""

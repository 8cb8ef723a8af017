"""WaddleBot Community: a core service under `/community` (ARCHITECTURE §2)."""

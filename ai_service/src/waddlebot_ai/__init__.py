"""WaddleBot Ai: a ai service under `/ai` (ARCHITECTURE §2)."""

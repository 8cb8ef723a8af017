"""WaddleBot Identity: a core service under `/identity` (ARCHITECTURE §2)."""

"""WaddleBot Inventory: a interaction service under `/inventory` (ARCHITECTURE §2)."""

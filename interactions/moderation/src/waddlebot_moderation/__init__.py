"""WaddleBot Moderation: a interaction service under `/moderation` (ARCHITECTURE §2)."""

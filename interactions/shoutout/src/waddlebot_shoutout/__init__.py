"""WaddleBot Shoutout: a interaction service under `/shoutout` (ARCHITECTURE §2)."""

"""WaddleBot Labels: a interaction service under `/labels` (ARCHITECTURE §2)."""

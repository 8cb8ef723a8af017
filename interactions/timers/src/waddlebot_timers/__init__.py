"""WaddleBot Timers: a interaction service under `/timers` (ARCHITECTURE §2)."""

"""WaddleBot Spotify: a interaction service under `/spotify` (ARCHITECTURE §2)."""

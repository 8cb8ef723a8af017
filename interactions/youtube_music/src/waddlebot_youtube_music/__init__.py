"""WaddleBot Youtube music: a interaction service under `/youtube_music` (ARCHITECTURE §2)."""

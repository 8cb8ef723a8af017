"""WaddleBot memories service: community quotes."""

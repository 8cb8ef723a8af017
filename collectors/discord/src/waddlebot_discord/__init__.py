"""WaddleBot Discord collector."""

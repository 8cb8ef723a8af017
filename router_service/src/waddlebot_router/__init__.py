"""WaddleBot router service."""

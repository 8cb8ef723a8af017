"""WaddleBot Slack collector."""

"""WaddleBot Gateway admin: a core service under `/gateway_admin` (ARCHITECTURE §2)."""

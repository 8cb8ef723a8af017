"""WaddleBot Calendar: a interaction service under `/calendar` (ARCHITECTURE §2)."""

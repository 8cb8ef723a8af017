# One image for every service: `waddlebot serve <prefix>`, `waddlebot migrate`, `waddlebot run`.
# Build stage: uv installs the locked workspace (every service package) into /app/.venv.
# Final stage: python:3.13-slim with that venv only (no uv, no compilers), a non-root user.
FROM python:3.13-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY . .
RUN uv sync --locked --all-packages --no-dev --no-editable

FROM python:3.13-slim
RUN groupadd --system --gid 10001 waddlebot \
 && useradd --system --uid 10001 --gid waddlebot --home-dir /app --shell /usr/sbin/nologin waddlebot
COPY --from=build --chown=root:root /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    ENV=prod HOST=0.0.0.0 PORT=8080 DATA_DIR=/tmp/waddlebot LOG_FORMAT=json
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# Every service answers /healthz at the root of its own PORT.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8080')}/healthz\", timeout=3)"]
ENTRYPOINT ["waddlebot"]
CMD ["run"]

# One image for every service: `waddlebot serve <prefix>`, `waddlebot migrate`, `waddlebot run`.
# Portal stage: Node 20 builds the SPA (portal_frontend/dist) from package-lock.json.
# Build stage: uv installs the locked workspace (every service package) into /app/.venv.
# Final stage: python:3.13-slim with that venv and the built SPA only (no uv, no Node, no
# compilers), a non-root user. portal_api serves the SPA at `/` (ARCHITECTURE §12).
FROM node:20-slim AS portal
WORKDIR /src/portal_frontend
COPY portal_frontend/package.json portal_frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY portal_frontend/ ./
RUN npx --no-install vite build --logLevel warn && test -f dist/index.html

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
COPY --from=portal --chown=root:root /src/portal_frontend/dist /app/portal_frontend/dist
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    ENV=prod HOST=0.0.0.0 PORT=8080 DATA_DIR=/tmp/waddlebot LOG_FORMAT=json \
    PORTAL_DIST_DIR=/app/portal_frontend/dist
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# Every service answers /healthz at the root of its own PORT.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8080')}/healthz\", timeout=3)"]
ENTRYPOINT ["waddlebot"]
CMD ["run"]

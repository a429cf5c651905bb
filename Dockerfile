# syntax=docker/dockerfile:1
# Build: a virtual environment with the bot and its locked dependencies, made by uv.
FROM python:3.12-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY README.md ./
COPY bot ./bot
COPY content ./content
COPY migrations ./migrations
RUN uv sync --locked --no-dev --no-editable

# Run: slim Python, the environment only, a non-root user.
FROM python:3.12-slim
RUN useradd --create-home --uid 10001 --user-group revision
COPY --from=build --chown=revision:revision /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite:////home/revision/data/revision-bot.db
USER 10001:10001
WORKDIR /home/revision
RUN mkdir -p /home/revision/data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8080\")}/healthz', timeout=4)"]
# `revision-bot run` applies pending migrations and syncs the bundled content at start.
CMD ["revision-bot", "run"]

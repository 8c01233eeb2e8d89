# syntax=docker/dockerfile:1
# DLV production image.
#   docker build -t dlv .
#   docker run -p 8000:8000 -v dlv-data:/data dlv        (SQLite in /data)
# With PostgreSQL and Redis: `docker compose up` (see compose.yaml and .env.example).
# tests/ops/test_deploy_files.py lints this file: keep its checks passing when editing.

# ---- ui: the web UI, built by Vite; only its static files (ui/dist) go on ----
# Node is needed to build the UI, never to run DLV: nothing of this stage but dist/ is kept.
FROM node:20-slim AS ui

ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false

WORKDIR /ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci
COPY ui/ ./
RUN npm run build

# ---- builder: build the dlv wheel, then install it and its dependencies into /opt/venv ----
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
# README.m[d]: pyproject.toml names README.md; the glob copies it when it exists, and the
# build does not fail while it does not.
COPY pyproject.toml README.m[d] ./
COPY src ./src

# Every dependency ships binary wheels for CPython 3.11 on linux amd64/arm64, so no compiler
# is needed here either. `pip wheel` puts the dlv wheel and all its dependencies in /wheels;
# the install below then uses nothing but those files.
RUN python -m pip wheel --wheel-dir /wheels . \
 && python -m venv --without-pip /opt/venv \
 && python -m pip --python /opt/venv/bin/python install --no-index --find-links /wheels dlv
# The UI's files travel with the environment, so the final stage copies from one stage only.
COPY --from=ui /ui/dist /opt/dlv/ui

# ---- runtime: the slim base, the virtualenv and an unprivileged user; nothing else ----
FROM python:3.11-slim AS runtime

LABEL org.opencontainers.image.title="dlv" \
      org.opencontainers.image.description="DLV: self-hosted data lineage" \
      org.opencontainers.image.licenses="Apache-2.0"

RUN groupadd --system --gid 10001 dlv \
 && useradd --system --uid 10001 --gid dlv --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin dlv \
 && mkdir /data \
 && chown dlv:dlv /data \
 && chmod 0700 /data

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /opt/dlv/ui /opt/dlv/ui

# Container logs are collected by machines: one JSON object per line (docs/operations.md).
# DLV_HOME holds the generated secret key, the first admin's password file and, without
# DLV_DATABASE_URL, the SQLite database: keep it on a volume.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DLV_HOME=/data \
    DLV_LOG_FORMAT=json \
    DLV_UI_DIR=/opt/dlv/ui

WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000

# slim has no curl: ask /readyz (the database is reachable) with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(0 if u.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]

# `dlv serve` applies pending migrations before it listens.
CMD ["dlv", "serve", "--host", "0.0.0.0", "--port", "8000"]

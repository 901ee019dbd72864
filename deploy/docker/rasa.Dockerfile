# syntax=docker/dockerfile:1
# Rasa 3.6 (Python 3.10): `python -m rasa_launcher`, i.e. `rasa run --enable-api` with its token taken
# from APP_RASA_TOKEN, serving the model trained into this image. Build from the repository root:
#   docker build -f deploy/docker/rasa.Dockerfile -t lumio-rasa:TAG .
#
# There is no action server in this image: the actions import the app's packages (desk, knowledge:
# Python 3.11, pydantic 2), which Rasa's environment cannot hold, and the app serves them at /webhook
# (docs/deployment.md, "Why no action-server image").
#
# The base image is pinned by tag; pin it by digest where you build (PYTHON_IMAGE=…@sha256:…): no
# registry was reachable where this file was written, and no image was built from it.
ARG PYTHON_IMAGE=python:3.10-slim-bookworm

# ---- builder: Rasa's environment and the trained model -------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    RASA_TELEMETRY_ENABLED=false \
    RASA_CACHE_DIRECTORY=/tmp/rasa-cache \
    PATH=/opt/venv/bin:$PATH
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements-rasa.txt /tmp/requirements-rasa.txt
# pip < 25, as the Makefile installs it: Rasa 3.6's metadata trips newer resolvers.
RUN pip install "pip<25" \
 && pip install -r /tmp/requirements-rasa.txt
WORKDIR /app
# The model is trained here, as scripts/rasa-model.sh trains it (config.yml names the routing
# component in rasa_routing/, so it is on the path): nothing is trained or fetched at run time.
COPY config.yml domain.yml ./
COPY bot/nlu/ bot/nlu/
COPY bot/rules/ bot/rules/
COPY bot/stories/ bot/stories/
COPY rasa_routing/ rasa_routing/
RUN rasa train --data bot/nlu bot/rules bot/stories --domain domain.yml --config config.yml \
      --out models --fixed-model-name bot --quiet

# ---- runtime: the venv, the launcher, the routing component and the model ------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 lumio \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin lumio
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false \
    HOME=/tmp
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY rasa_launcher/ rasa_launcher/
COPY rasa_routing/ rasa_routing/
# endpoints.yml is the one-server file (SQLite tracker, in-memory lock store); Kubernetes passes the
# cluster's own instead (PostgreSQL tracker store, Redis lock store): deploy/k8s/base/rasa-endpoints.yml.
COPY endpoints.yml credentials.yml ./
COPY --from=builder /app/models/bot.tar.gz models/bot.tar.gz
USER 10001:10001
EXPOSE 5005
# Rasa's `/` answers once the model is loaded (it needs no token; /status does).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=4)"]
ENTRYPOINT ["python", "-m", "rasa_launcher"]
CMD ["--interface", "0.0.0.0", "--port", "5005", "--model", "models/bot.tar.gz", \
     "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]

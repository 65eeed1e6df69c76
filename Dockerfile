# The TraceGraph API (and CLI) image used by docker-compose.yml: GraphQL over the Neo4j backend.
FROM python:3.12-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY tracegraph ./tracegraph
RUN pip install --no-cache-dir '.[api,neo4j]' \
    && useradd --create-home --uid 10001 tracegraph
USER tracegraph

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
# The store comes from TRACEGRAPH_DB (and TRACEGRAPH_NEO4J_*); the port is published on the host's
# loopback only by docker-compose.yml.
CMD ["tracegraph", "serve", "--host", "0.0.0.0", "--port", "8000"]

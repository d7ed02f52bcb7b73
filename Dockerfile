# RevGraph API / worker image: the package installed from a wheel, run as a
# non-root user. The same image serves (`revgraph serve`, the default) and
# works (`revgraph worker`), see docker-compose.yml.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . .
# A wheel, not `pip install .` here: the runtime stage then carries no
# sources, build tools or caches.
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    REVGRAPH_ENV=production
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin revgraph
USER revgraph
WORKDIR /home/revgraph
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["revgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]

# Keyhold and keyhold-s3 in one image (the KMS by default; --entrypoint keyhold-s3 for the object store).
#   docker build -t keyhold .
#   docker compose up          # both, wired together: see compose.yml
#
# Layout (all volumes owned by the unprivileged user keyhold, UID/GID 10001):
#   /etc/keyhold          Keyhold's config.yml, policy.yml and TLS files (mount read-only)
#   /var/lib/keyhold      Keyhold's state: keys/ (fs keystore) and the audit log
#   /etc/keyhold-s3/certs keyhold-s3's certs dir: public.crt, private.key, CAs/ (mount read-only)
#   /data                 keyhold-s3's objects and its metadata/IAM databases
#   /opt/keyhold/examples/policy.yml  the example policy (outside /etc/keyhold, so a mount does not hide it)
#
#   docker run -v /srv/keyhold/config:/etc/keyhold:ro -v /srv/keyhold/state:/var/lib/keyhold \
#     -p 7373:7373 keyhold server --config /etc/keyhold/config.yml
#   docker run --entrypoint keyhold-s3 -v /srv/s3:/data -v /srv/s3-certs:/etc/keyhold-s3/certs:ro -p 9000:9000 \
#     -e MINIO_ROOT_USER=... -e MINIO_ROOT_PASSWORD=... keyhold server /data --certs-dir /etc/keyhold-s3/certs
#
# HEALTHCHECK (bin/healthcheck.js) checks whichever server runs: Keyhold's /v1/ready (ready when the config
# sets `api: {/v1/ready: {skip_auth: true}}`, otherwise alive: a TLS handshake) or keyhold-s3 (its
# /minio/health/live, or a TLS/HTTP answer until that route exists). Set KEYHOLD_HEALTH_URL for other ports.
# See docs/operations.md.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 builds from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
COPY backends ./backends
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/keyhold
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY policy.yml ./examples/policy.yml
RUN ln -s /opt/keyhold/bin/keyhold.js /usr/local/bin/keyhold \
 && ln -s /opt/keyhold/bin/keyhold.js /usr/local/bin/kes \
 && ln -s /opt/keyhold/bin/keyhold-s3.js /usr/local/bin/keyhold-s3 \
 && groupadd --system --gid 10001 keyhold \
 && useradd --system --uid 10001 --gid keyhold --home /var/lib/keyhold keyhold \
 && mkdir -p /etc/keyhold /var/lib/keyhold /etc/keyhold-s3/certs /data \
 && chown keyhold:keyhold /etc/keyhold /var/lib/keyhold /etc/keyhold-s3/certs /data
USER keyhold
VOLUME ["/etc/keyhold", "/var/lib/keyhold", "/etc/keyhold-s3/certs", "/data"]
EXPOSE 7373 9000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/opt/keyhold/bin/healthcheck.js"]
ENTRYPOINT ["keyhold"]
CMD ["--help"]

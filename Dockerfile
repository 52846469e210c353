# Keyhold and keyhold-s3 in one image.
#   docker build -t keyhold .
#   docker run -v /srv/keyhold/config:/etc/keyhold:ro -v /srv/keyhold/keys:/var/lib/keyhold \
#     -p 7373:7373 keyhold server --config /etc/keyhold/config.yml
#   docker run --entrypoint keyhold-s3 -v /srv/s3:/data -v /srv/s3-certs:/certs:ro -p 9000:9000 \
#     -e MINIO_ROOT_USER=... -e MINIO_ROOT_PASSWORD=... keyhold server /data --certs-dir /certs

FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 builds from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
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
COPY policy.yml /etc/keyhold/policy.example.yml
RUN ln -s /opt/keyhold/bin/keyhold.js /usr/local/bin/keyhold \
 && ln -s /opt/keyhold/bin/keyhold-s3.js /usr/local/bin/keyhold-s3 \
 && groupadd --system keyhold && useradd --system --gid keyhold --home /var/lib/keyhold keyhold \
 && mkdir -p /var/lib/keyhold /etc/keyhold /data && chown keyhold:keyhold /var/lib/keyhold /data
USER keyhold
VOLUME ["/etc/keyhold", "/var/lib/keyhold", "/data"]
EXPOSE 7373 9000
ENTRYPOINT ["keyhold"]
CMD ["--help"]

# The operator's image, for users with Docker or another BuildKit builder: `docker build -t localhost/triage-operator:0.1.0 .`
# hack/build-image.sh builds the same layout without a daemon (Node at /nodejs/bin/node, the app at
# /app, production dependencies only, user 65532, no shell); that build is the one tested in-cluster.

# Build stage: compile TypeScript, then keep production dependencies only.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && rm -f dist/crds/generate.js* \
 && npm prune --omit=dev --ignore-scripts \
 && rm -f package-lock.json

# Runtime: distroless Node 24 (LTS): glibc, no shell, no package manager; non-root 65532.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=build --chown=0:0 /src/package.json ./package.json
COPY --from=build --chown=0:0 /src/node_modules ./node_modules
COPY --from=build --chown=0:0 /src/dist ./dist
ENV NODE_ENV=production
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/main.js"]

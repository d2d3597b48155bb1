# mqtt-testbench as a container image: the `mqtt-testbench` command (dist/, one self-contained
# bundle per command) on the official Node image. Used by the sharded load Job in deploy/k8s/.
#
#   docker build -t mqtt-testbench:0.1.0 .
#   docker run --rm mqtt-testbench:0.1.0 load --url mqtt://broker:1883 --publishers 10 --subscribers 1 --qos 1
#
# BASE names the Node 20 image of both stages (a mirror of node:20-slim, for example).
ARG BASE=node:20-slim

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No lifecycle scripts: "prepare" would build before the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY helpers ./helpers
COPY forwarder ./forwarder
RUN npm run build

FROM ${BASE}
WORKDIR /app
# package.json marks /app as the package root, where the load engine finds dist/load-worker.mjs for worker threads.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist ./dist
COPY fixtures/workloads ./fixtures/workloads
USER 1000:1000
ENTRYPOINT ["node", "/app/dist/mqtt-testbench.mjs"]
CMD ["help"]

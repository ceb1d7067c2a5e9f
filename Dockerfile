# The velero-ts server image: what `velero install` deploys by default (--image
# velero-ts/velero:v0.1.0). Its Deployment runs command ["/velero"], args ["server", ...], with the
# `plugins` volume at /plugins (the --plugins images' init containers copy plugin executables
# there) and an emptyDir at /scratch, as Velero's does.
#
# /velero is the single executable `npm run build` leaves in dist/bin/velero: Node, the bundled
# CLI/server and the CRD manifests in one file. It links glibc, libstdc++ and libgcc_s, which the
# distroless "cc" base provides.
#
# The development machines have no container runtime, so this file is not built by the tests;
# what it packages is: test/e2e/in-cluster.test.ts runs dist/bin/velero with the command line and
# environment of the Deployment `velero install` writes and a pod's service account.
#
# Build from the repository root:
#   docker build -t velero-ts/velero:v0.1.0 .

FROM node:24-bookworm AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx tsc -b \
 && node scripts/build-plugins.ts --only velero \
 && cp dist/bin/velero /velero \
 && chmod 0755 /velero

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="velero-ts" \
      org.opencontainers.image.description="velero-ts: Velero (Kubernetes backup, restore and migration) in TypeScript, drop-in compatible"
COPY --from=build /velero /velero
USER 65532:65532
ENTRYPOINT ["/velero"]

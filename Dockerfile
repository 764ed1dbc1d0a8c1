# The ferry image: `docker build -t ferry:latest .` (deploy/ runs it).
# BASE: any Debian 12 image (scripts/image builds one with debootstrap when
# no registry can be reached).
ARG BASE=debian:12-slim
FROM ${BASE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        gcc libc6-dev make pkg-config libjansson-dev libyaml-dev libssl-dev \
        libcurl4-openssl-dev libarchive-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY src ./src
RUN make -j"$(nproc)" all

FROM ${BASE}
# libcurl and libarchive are loaded at run time (dlopen). The container
# listens on 80 and 443 without any capability: deploy/ sets the pod's
# net.ipv4.ip_unprivileged_port_start to 0 (Docker does so by default).
RUN apt-get update && apt-get install -y --no-install-recommends \
        libjansson4 libyaml-0-2 libssl3 libcurl4 libarchive13 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 65532 --user-group --no-create-home ferry
COPY --from=build /src/build/ferry /usr/local/bin/ferry
USER 65532:65532
EXPOSE 80 443 10254
ENTRYPOINT ["/usr/local/bin/ferry"]
CMD ["ingress", "serve", "--in-cluster", "--http-listen", ":80", "--https-listen", ":443"]

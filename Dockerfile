# The ferry image: `docker build -t ferry:latest .` (deploy/ runs it).
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        gcc libc6-dev make pkg-config libjansson-dev libyaml-dev libssl-dev \
        libcurl4-openssl-dev libarchive-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY src ./src
RUN make -j"$(nproc)" all

FROM debian:12-slim
# libcurl and libarchive are loaded at run time (dlopen); libcap2-bin only
# for setcap, so that the non-root user may bind ports 80 and 443 with the
# NET_BIND_SERVICE capability the Deployment keeps.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libjansson4 libyaml-0-2 libssl3 libcurl4 libarchive13 ca-certificates libcap2-bin \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/ferry /usr/local/bin/ferry
RUN setcap cap_net_bind_service=+ep /usr/local/bin/ferry \
    && apt-get purge -y libcap2-bin && apt-get autoremove -y \
    && useradd --system --uid 65532 --user-group --no-create-home ferry
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ferry"]
CMD ["ingress", "serve", "--in-cluster"]

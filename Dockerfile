# The hotline service: build the `hotline` binary, run it on a slim Debian.
#
#   docker build -t hotline .
#
# At start it applies the migrations, loads the demo directory and the demo
# console logins (README, "Console"), and serves
# (see docker-compose.yml for the environment it expects).

FROM rust:1-bookworm AS build
WORKDIR /build
# Everything cargo needs to build the binary (migrations are embedded by
# sqlx::migrate!, benches are declared in Cargo.toml, .cargo/config.toml bakes
# jemalloc's defaults in; rust:1-bookworm has the make and cc jemalloc needs).
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo/ .cargo/
COPY src/ src/
COPY migrations/ migrations/
COPY benches/ benches/
RUN cargo build --release --locked --bin hotline

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/hotline --create-home hotline
COPY --from=build /build/target/release/hotline /usr/local/bin/hotline
USER hotline
WORKDIR /var/lib/hotline
# Journal records that cannot reach Postgres at shutdown are spooled here.
ENV HOTLINE_JOURNAL_SPOOL=/var/lib/hotline/journal.spool
CMD ["sh", "-c", "hotline migrate && hotline seed-demo && hotline seed-demo-users && exec hotline serve"]

//! `hotline`: parse the command line, start logging, run the command. Everything else
//! lives in the library (`hotline::cli`).

use std::process::ExitCode;

use clap::Parser as _;
use hotline::cli::{self, Cli};

/// jemalloc instead of glibc's malloc. The service allocates and frees many small
/// buffers per ARI frame from several threads: glibc spent about a fifth of
/// hotline's CPU under load in `malloc`/`free` (fastbin consolidation included).
/// mimalloc, used until then, was as fast, but kept what 2,000 concurrent calls had
/// used mapped after they ended (RSS 1.7–1.9× idle, while heaptrack counted 1.9 MiB
/// live); jemalloc's background thread returns freed pages within a second
/// (`dirty_decay_ms:1000,muzzy_decay_ms:0`, baked in by `.cargo/config.toml`; the
/// environment variable `_RJEM_MALLOC_CONF` overrides it). Measured in
/// docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    cli::init_tracing();
    match cli::run(args).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

//! `hotline`: parse the command line, start logging, run the command. Everything else
//! lives in the library (`hotline::cli`).

use std::process::ExitCode;

use clap::Parser as _;
use hotline::cli::{self, Cli};

/// mimalloc instead of glibc's malloc: the service allocates and frees many small
/// buffers per ARI frame from several threads, and glibc spent about a fifth
/// of hotline's CPU under load in `malloc`/`free` (its fastbin consolidation
/// included); see docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

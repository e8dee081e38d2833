//! `hotline`: parse the command line, start logging, run the command. Everything else
//! lives in the library (`hotline::cli`).

use std::process::ExitCode;

use clap::Parser as _;
use hotline::cli::{self, Cli};

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

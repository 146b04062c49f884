//! The `pressroom` binary: the command line, and the glue that brings the
//! library crates together (parsing, the store, feeds, digests).
//!
//! Errors reach the user here, with context, through `anyhow`; exit codes are
//! part of the interface (0 success, 1 some input was not publishable, 2 a
//! usage or configuration error).

mod check;
mod cli;
mod source;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("pressroom: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

//! The `pressroom` binary: the command line, and the glue that brings the
//! library crates together (parsing, the store, feeds, digests).
//!
//! Errors reach the user here, with context, through `anyhow`; exit codes are
//! part of the interface (0 success, 1 some input was not publishable, 2 a
//! usage, configuration or run-time error).

mod check;
mod cli;
mod commands;
mod config;
mod daemon;
mod digests;
mod files;
mod journal;
mod source;
mod workspace;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, ConfigCommand, DigestCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match &cli.command {
        Command::Init(args) => commands::init(args),
        Command::Check(args) => check::run(args, &cli.config),
        Command::Run(args) => daemon::run(&cli.config, args.serve).map(|()| ExitCode::SUCCESS),
        Command::Publish => commands::publish(&cli.config),
        Command::Retract(args) => commands::retract(&cli.config, args),
        Command::List(args) => commands::list(&cli.config, args),
        Command::Rebuild => commands::rebuild(&cli.config),
        Command::Status(args) => commands::status(&cli.config, args),
        Command::Config(ConfigCommand::Check) => commands::config_check(&cli.config),
        Command::Digest(DigestCommand::List) => commands::digest::list(&cli.config),
        Command::Digest(DigestCommand::Preview(args)) => {
            commands::digest::preview(&cli.config, args)
        }
        Command::Digest(DigestCommand::Send(args)) => commands::digest::send(&cli.config, args),
        Command::Unsubscribe(args) => commands::digest::unsubscribe(&cli.config, args),
        Command::Completions(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(
                args.shell,
                &mut command,
                "pressroom",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Manpage => commands::manpage(),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("pressroom: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr (journald captures it under systemd), filtered by
/// `RUST_LOG`-style directives in `PRESSROOM_LOG` or `RUST_LOG`.
fn init_logging() {
    let filter = std::env::var("PRESSROOM_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new("warn,pressroom=info"));
    // Colours only on a terminal: under systemd each event is one plain line.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .init();
}

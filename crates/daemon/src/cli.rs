//! The command line: one subcommand per job. The `///` comments are the help
//! text that `pressroom --help` prints, so they are written for users.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Pressroom publishes press releases dropped into a folder as RSS, Atom and
/// JSON feeds, HTML pages and email digests.
#[derive(Debug, Parser)]
#[command(name = "pressroom", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse release files exactly as the daemon will, and report what it
    /// would publish or why it would refuse each file.
    ///
    /// Exits 0 when every file is publishable, 1 when any is not, 2 on a usage
    /// error. Folders are searched recursively; editors' temporary and hidden
    /// files are skipped as the daemon skips them.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print one JSON object per file, one per line (see the README for the format).
    #[arg(long)]
    pub json: bool,
    /// Release files, or folders to search for release files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

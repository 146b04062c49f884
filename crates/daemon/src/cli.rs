//! The command line: one subcommand per job. The `///` comments are the help
//! text that `pressroom --help` prints, so they are written for users.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Pressroom publishes press releases dropped into a folder as RSS, Atom and
/// JSON feeds, HTML pages and email digests.
#[derive(Debug, Parser)]
#[command(name = "pressroom", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// The workspace's config file. Paths in it are relative to its folder.
    #[arg(
        long,
        global = true,
        env = "PRESSROOM_CONFIG",
        default_value = "pressroom.toml",
        value_name = "PATH"
    )]
    pub config: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace: DIR/pressroom.toml (every setting with its default
    /// and a comment) and the folders inbox/, archive/, rejected/, public/, state/.
    Init(InitArgs),

    /// Parse release files exactly as the daemon will, and report what it
    /// would publish or why it would refuse each file.
    ///
    /// Exits 0 when every file is publishable, 1 when any is not, 2 on a usage
    /// error. Folders are searched recursively; editors' temporary and hidden
    /// files are skipped as the daemon skips them. The size limit and default
    /// language come from the config file when there is one.
    Check(CheckArgs),

    /// Run the daemon: publish what is in the inbox, then watch it and publish
    /// each file a moment after it is dropped, until SIGTERM or SIGINT.
    ///
    /// A file is read only once it has stood still for the settle time (a copy
    /// or an upload in progress is never read half-written). Logs go to stderr;
    /// under systemd (Type=notify) it reports readiness, status and watchdog
    /// pings. SIGHUP reloads the config (an invalid one is logged and the old
    /// one kept).
    Run(RunArgs),

    /// Publish what is in the inbox once, regenerate the outputs, and exit.
    ///
    /// Each release file is parsed; a publishable one is stored, its original
    /// moved to archive/YYYY/MM/, and the feeds and pages that show it are
    /// written again. A file that cannot be published is moved to rejected/
    /// with NAME.error.txt beside it saying why. Exits 0 when all went well,
    /// 1 when a file was rejected, 2 on an error (nothing is lost: files stay
    /// in the inbox until they are stored).
    Publish,

    /// Withdraw a release from every feed and page. Its archived original and
    /// its history are kept.
    Retract(RetractArgs),

    /// List the stored releases, newest first.
    List(ListArgs),

    /// Show the state of the workspace: files waiting in the inbox, rejected
    /// files and why, the last publish, the next embargo, the store's size.
    Status(StatusArgs),

    /// Check the configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Digest emails: see what the next one holds, or send one now.
    #[command(subcommand)]
    Digest(DigestCommand),

    /// Stop sending digests to an address (for requests that arrive by mail).
    ///
    /// The address goes on the suppression list in the store, which every
    /// digest honours whatever the subscriber list says; --undo takes it off.
    Unsubscribe(UnsubscribeArgs),

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// For bash: pressroom completions bash > /etc/bash_completion.d/pressroom
    Completions(CompletionsArgs),

    /// Print the man page (roff), generated from this command line definition.
    #[command(hide = true)]
    Manpage,

    /// Recreate the store from archive/ alone (its originals and journal), then
    /// every output. For disaster recovery: the old store is kept beside the
    /// new one as state/pressroom.db.before-rebuild.
    Rebuild,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also serve public/ over HTTP on this address (e.g. 127.0.0.1:8080);
    /// overrides [serve] address in the config.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<std::net::SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file and print the effective settings (every
    /// default filled in, paths made absolute). Exits 2 when it is invalid.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// List the configured digests with their next slot and last run.
    List,

    /// Write the next message of a digest for one subscriber, without sending
    /// anything or changing the store: what it would hold if sent now.
    Preview(DigestPreviewArgs),

    /// Send a digest now: everything published since its last run, to every
    /// subscriber. The next scheduled run starts where this one ends.
    ///
    /// Exits 0 when every message went out, 1 when some were refused or
    /// deferred (a later run retries the deferred ones), 2 on an error.
    Send(DigestSendArgs),
}

#[derive(Debug, Args)]
pub struct DigestPreviewArgs {
    /// The digest's name, as in [[digest]] name.
    pub name: String,
    /// The subscriber to write it for (default: the first on the list who
    /// receives it). An address not on the list gets the site's language.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
    /// Write the message (RFC 5322, .eml) to this file instead of stdout.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DigestSendArgs {
    /// The digest's name, as in [[digest]] name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct UnsubscribeArgs {
    /// The email address.
    pub address: String,
    /// Take the address off the suppression list instead.
    #[arg(long)]
    pub undo: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to create (or complete, if it exists without a config).
    pub dir: PathBuf,
    /// The public URL at which public/ will be served.
    #[arg(long, default_value = "http://localhost:8080/", value_name = "URL")]
    pub base_url: String,
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

#[derive(Debug, Args)]
pub struct RetractArgs {
    /// The id of the release, as `pressroom list` shows it.
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print one JSON object per release, one per line.
    #[arg(long)]
    pub json: bool,
}

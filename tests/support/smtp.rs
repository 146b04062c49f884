//! A real SMTP server for the digest tests: Python's aiosmtpd, driven by
//! `crates/digest/tests/smtp_server.py`, which records every message it
//! accepts (before its 250 reply) and misbehaves on demand.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The Python interpreter with aiosmtpd; `None` (skip) without it, unless
/// PRESSROOM_REQUIRE_VALIDATORS=1 (as in CI), where that is a failure.
pub fn python() -> Option<String> {
    let python = std::env::var("PRESSROOM_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let found = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if found {
        return Some(python);
    }
    assert!(
        std::env::var("PRESSROOM_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "aiosmtpd is required (PRESSROOM_REQUIRE_VALIDATORS=1) but not installed: \
         python3 -m pip install aiosmtpd"
    );
    eprintln!("skipped: aiosmtpd not installed");
    None
}

/// A running server; stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts the server with `args` (`--drop-after 5`, `--hang-after 10`…).
    pub fn start(args: &[&str]) -> Option<SmtpServer> {
        let python = python()?;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../digest/tests/smtp_server.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg("--dir")
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server says it is ready");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP server did not start: {line:?}"));
        Some(SmtpServer { child, port, dir })
    }

    /// Recipient → how many messages the server accepted for it.
    pub fn received(&self) -> BTreeMap<String, usize> {
        let log = std::fs::read_to_string(self.dir.path().join("received.tsv")).unwrap_or_default();
        let mut received = BTreeMap::new();
        for line in log.lines() {
            if let Some(recipient) = line.split('\t').nth(1) {
                *received.entry(recipient.to_owned()).or_default() += 1;
            }
        }
        received
    }

    /// How many messages were accepted.
    pub fn count(&self) -> usize {
        self.received().values().sum()
    }

    /// The messages accepted, in order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        (1..)
            .map_while(|n| std::fs::read(self.dir.path().join(format!("{n}.eml"))).ok())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

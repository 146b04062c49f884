//! A real SMTP server for the digest tests: Python's aiosmtpd, driven by
//! `crates/digest/tests/smtp_server.py`, which records every message it
//! accepts (before its 250 reply) and misbehaves on demand.
//!
//! Shared by the end-to-end tests and by `pressroom-digest`'s own delivery
//! tests (`crates/digest/tests/smtp.rs` includes this file), so both start,
//! read and stop the server the same way.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The Python interpreter with aiosmtpd; `None` (skip) without it, unless
/// PRESSROOM_REQUIRE_VALIDATORS=1 (as in CI), where that is a failure.
pub fn python() -> Option<String> {
    python_with("aiosmtpd")
}

/// The Python interpreter (`PRESSROOM_PYTHON`, else `python3`) if it can
/// import `module`; `None` (skip) without it, unless
/// PRESSROOM_REQUIRE_VALIDATORS=1 (as in CI), where that is a failure.
/// The feed readers test (feedparser) uses it too.
pub fn python_with(module: &str) -> Option<String> {
    let python = std::env::var("PRESSROOM_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let found = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if found {
        return Some(python);
    }
    assert!(
        std::env::var("PRESSROOM_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "Python's {module} is required (PRESSROOM_REQUIRE_VALIDATORS=1) but not installed: \
         python3 -m pip install {module}"
    );
    eprintln!("skipped: Python's {module} is not installed");
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
        // Both packages that use this file are folders of `crates/`.
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
        self.received_numbers()
            .into_iter()
            .map(|(recipient, numbers)| (recipient, numbers.len()))
            .collect()
    }

    /// Recipient → the numbers of the messages accepted for it (see
    /// [`SmtpServer::message`]), in the order they came.
    pub fn received_numbers(&self) -> BTreeMap<String, Vec<usize>> {
        let log = std::fs::read_to_string(self.dir.path().join("received.tsv")).unwrap_or_default();
        let mut received: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        // `<n>\t<recipient>\t<envelope sender>` lines; one being written
        // as this reads it counts once it is whole.
        for line in log.lines() {
            let mut fields = line.split('\t');
            if let (Some(Ok(number)), Some(recipient)) =
                (fields.next().map(str::parse), fields.next())
            {
                received
                    .entry(recipient.to_owned())
                    .or_default()
                    .push(number);
            }
        }
        received
    }

    /// The message the server recorded as `number` (counting from 1).
    pub fn message(&self, number: usize) -> Vec<u8> {
        std::fs::read(self.dir.path().join(format!("{number}.eml"))).expect("a recorded message")
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

//! Helpers shared by the end-to-end tests: a temporary workspace driven by
//! the real `pressroom` binary, and independent checks of what it wrote.

#![allow(dead_code)] // Each test file uses its own subset.

pub mod smtp;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BASE_URL: &str = "https://press.example.org/";

/// A workspace made by `pressroom init` in a temporary folder.
pub struct TestWorkspace {
    pub dir: tempfile::TempDir,
}

impl TestWorkspace {
    /// `pressroom init` with the test base URL, then each `(key, value)` set
    /// in the config (every key of the written config is unique).
    pub fn new(settings: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let output = pressroom_in(dir.path(), &["init", "ws", "--base-url", BASE_URL]);
        assert!(
            output.status.success(),
            "init failed: {}",
            text(&output.stderr)
        );
        let workspace = Self { dir };
        workspace.set(settings);
        workspace
    }

    /// Sets `key = value` lines in the config file.
    pub fn set(&self, settings: &[(&str, &str)]) {
        let config = self.config();
        let mut text = std::fs::read_to_string(&config).unwrap();
        for (key, value) in settings {
            let prefix = format!("\n{key} = ");
            let start = text
                .find(&prefix)
                .unwrap_or_else(|| panic!("no key {key} in the config"))
                + 1;
            let end = start + text[start..].find('\n').unwrap();
            text.replace_range(start..end, &format!("{key} = {value}"));
        }
        std::fs::write(&config, text).unwrap();
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    pub fn config(&self) -> PathBuf {
        self.root().join("pressroom.toml")
    }

    pub fn inbox(&self) -> PathBuf {
        self.root().join("inbox")
    }

    pub fn public(&self) -> PathBuf {
        self.root().join("public")
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    /// Writes a file into the inbox (creating subfolders).
    pub fn drop_file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.inbox().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Runs `pressroom --config <workspace config> ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        let config = self.config();
        let mut all = vec!["--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        pressroom_in(self.dir.path(), &all)
    }

    /// `publish`, asserting its exit code; returns stdout.
    pub fn publish(&self, expected_code: i32) -> String {
        let output = self.run(&["publish"]);
        assert_eq!(
            output.status.code(),
            Some(expected_code),
            "publish: stdout {} stderr {}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    /// Every file under a folder, relative path → bytes.
    pub fn snapshot(&self, relative: &str) -> BTreeMap<String, Vec<u8>> {
        let root = self.path(relative);
        let mut files = BTreeMap::new();
        for path in walk(&root) {
            let name = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            files.insert(name, std::fs::read(&path).unwrap());
        }
        files
    }

    pub fn count_files(&self, relative: &str) -> usize {
        walk(&self.path(relative)).len()
    }
}

pub fn walk(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                folders.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

pub fn pressroom_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pressroom"))
        .args(args)
        .current_dir(dir)
        .env_remove("PRESSROOM_CONFIG")
        .output()
        .expect("the pressroom binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Waits for `condition` with a deadline, polling; panics with `what` on timeout.
pub fn wait_for(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the external program `name` (a validator) is on the PATH; see
/// [`installed_or_skip`] for when it is not.
pub fn validator(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    installed_or_skip(name, found)
}

/// Returns `found`: whether `name`, which a test needs, is installed. When it
/// is not, the test says it is skipped, or fails under
/// PRESSROOM_REQUIRE_VALIDATORS=1 (as in CI, which installs everything).
pub fn installed_or_skip(name: &str, found: bool) -> bool {
    if !found {
        assert!(
            std::env::var("PRESSROOM_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
            "{name} is required (PRESSROOM_REQUIRE_VALIDATORS=1) but not installed"
        );
        eprintln!("skipped: {name} is not installed");
    }
    found
}

/// Runs `xmllint --noout` on an XML file, and `jing` with the Atom schema on
/// Atom files, panicking with their output on failure.
pub fn validate_xml(path: &Path) {
    if validator("xmllint") {
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg(path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "xmllint {}: {}",
            path.display(),
            text(&output.stderr)
        );
    }
    if path.file_name().is_some_and(|n| n == "atom.xml") && validator("jing") {
        let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/validators/atom.rnc");
        let output = Command::new("jing")
            .arg("-c")
            .arg(&schema)
            .arg(path)
            .output()
            .unwrap();
        assert!(
            output.status.success() && output.stdout.is_empty(),
            "jing {}: {}{}",
            path.display(),
            text(&output.stdout),
            text(&output.stderr)
        );
    }
}

/// What an independent reader (feed-rs) makes of one feed.
#[derive(Debug)]
pub struct ReadFeed {
    pub feed: feed_rs::model::Feed,
}

/// Reads a feed file with feed-rs and checks what every reader relies on:
/// unique ids, absolute links that resolve to files in `public`, dates, titles.
pub fn read_feed(public: &Path, relative: &str) -> ReadFeed {
    let path = public.join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if relative.ends_with(".xml") {
        validate_xml(&path);
    }
    let feed = feed_rs::parser::parse(&bytes[..])
        .unwrap_or_else(|e| panic!("feed-rs cannot read {relative}: {e}"));
    let mut ids = HashSet::new();
    for entry in &feed.entries {
        assert!(
            ids.insert(entry.id.clone()),
            "{relative}: duplicate id {}",
            entry.id
        );
        assert!(
            entry.id.starts_with("tag:press.example.org,"),
            "{relative}: id {}",
            entry.id
        );
        assert!(
            entry
                .title
                .as_ref()
                .is_some_and(|t| !t.content.trim().is_empty()),
            "{relative}: an entry without a title"
        );
        assert!(entry.published.is_some(), "{relative}: no published date");
        assert!(
            !entry.links.is_empty(),
            "{relative}: entry {} has no link",
            entry.id
        );
        for link in &entry.links {
            assert_resolves(public, &link.href);
        }
    }
    ReadFeed { feed }
}

/// Asserts that an absolute URL under the base URL names a file in `public`.
pub fn assert_resolves(public: &Path, url: &str) {
    let relative = url
        .strip_prefix(BASE_URL)
        .unwrap_or_else(|| panic!("link {url} is not absolute under {BASE_URL}"));
    let relative = relative.split('#').next().unwrap_or_default();
    let mut path = public.join(relative);
    if relative.is_empty() || relative.ends_with('/') {
        path = path.join("index.html");
    }
    assert!(
        path.is_file(),
        "link {url} does not resolve to a file ({})",
        path.display()
    );
}

/// Asserts that every link and source in an HTML page of `public` that
/// points into the site (relative, or absolute under the base URL) names a
/// file that exists.
pub fn assert_page_links_resolve(public: &Path, page: &Path) {
    let html = std::fs::read_to_string(page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
    let folder = page.parent().unwrap();
    for attribute in ["href=\"", "src=\""] {
        for (start, _) in html.match_indices(attribute) {
            let value = &html[start + attribute.len()..];
            let url = &value[..value.find('"').unwrap()];
            let url = url.split('#').next().unwrap_or_default();
            if url.is_empty() || url.starts_with("mailto:") {
                continue;
            }
            if url.starts_with(BASE_URL) {
                assert_resolves(public, url);
                continue;
            }
            if url.contains("://") {
                continue; // another site
            }
            let mut path = folder.join(url);
            if url.ends_with('/') {
                path = path.join("index.html");
            }
            assert!(
                path.is_file(),
                "{}: link {url} does not resolve to a file ({})",
                page.display(),
                path.display()
            );
        }
    }
}

/// A running process whose stderr (its log) is collected; killed when
/// dropped.
pub struct Process {
    pub child: Child,
    log: Arc<Mutex<String>>,
}

impl Process {
    /// Spawns `command` with its stderr collected and its stdout discarded.
    pub fn spawn(mut command: Command) -> Process {
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the process starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("a piped stderr");
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Process { child, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle`; panics with the log on timeout.
    pub fn wait_log(&self, needle: &str, deadline: Duration) {
        let start = Instant::now();
        while !self.log().contains(needle) {
            assert!(
                start.elapsed() < deadline,
                "timed out waiting for '{needle}' in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

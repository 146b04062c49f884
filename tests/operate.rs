//! End-to-end: what operators use, through the real binary: the systemd
//! unit's command line, `status`, `config check`, completions, the man page.

#[path = "support/mod.rs"]
mod support;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{TestWorkspace, text};

fn deploy(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(file)
}

fn unit_value(key: &str) -> String {
    let unit = std::fs::read_to_string(deploy("pressroom.service")).unwrap();
    unit.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key}= missing from the unit"))
        .to_owned()
}

#[test]
fn the_units_command_line_starts_and_reports_ready_to_systemd() {
    let workspace = TestWorkspace::new(&[]);
    let exec_start = unit_value("ExecStart");
    assert!(
        exec_start.starts_with("/usr/bin/pressroom "),
        "{exec_start}"
    );
    let swapped = exec_start
        .replace("/usr/bin/pressroom", env!("CARGO_BIN_EXE_pressroom"))
        .replace(
            "/etc/pressroom/pressroom.toml",
            workspace.config().to_str().unwrap(),
        );
    let words: Vec<&str> = swapped.split_whitespace().collect();
    let socket_dir = tempfile::tempdir().unwrap();
    let socket_path = socket_dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut child = Command::new(words[0])
        .args(&words[1..])
        .env("NOTIFY_SOCKET", &socket_path)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut heard = String::new();
    let mut buffer = [0u8; 4096];
    while !heard.contains("READY=1") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no READY=1; heard {heard:?}"
        );
        if let Ok(n) = socket.recv(&mut buffer) {
            heard.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_unit_is_hardened_to_an_exposure_of_two_or_less() {
    if !support::validator("systemd-analyze") {
        return;
    }
    let output = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(deploy("pressroom.service"))
        .output()
        .unwrap();
    let report = text(&output.stdout);
    let score: f64 = report
        .lines()
        .find_map(|line| {
            line.split("Overall exposure level for pressroom.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no score in {report}{}", text(&output.stderr)));
    assert!(score <= 2.0, "exposure {score}:\n{report}");
}

#[test]
fn status_reports_the_inbox_rejections_and_releases() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file("good.txt", "Titre\n\nParis, 3 mars 2024\n\nTexte.\n");
    workspace.drop_file("bad.txt", "");
    workspace.publish(1);
    workspace.drop_file("waiting.txt", "Titre deux\n\nTexte.\n");
    let output = workspace.run(&["status", "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status["inbox_files"], 1);
    assert_eq!(status["releases"], 1);
    assert_eq!(status["rejected"][0]["file"], "bad.txt");
    assert!(
        status["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("empty")
    );
    assert!(status["last_publish"].is_string());
    assert_eq!(status["daemon_running"], false);
    assert!(status["store_bytes"].as_u64().unwrap() > 0);
    let readable = text(&workspace.run(&["status"]).stdout);
    assert!(
        readable.contains("1 file(s) waiting") && readable.contains("bad.txt: the file is empty"),
        "{readable}"
    );
}

#[test]
fn config_check_prints_effective_settings_or_the_error() {
    let workspace = TestWorkspace::new(&[("time_zone", "\"Europe/Paris\"")]);
    let output = workspace.run(&["config", "check"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let printed = text(&output.stdout);
    assert!(
        printed.contains("site.time_zone         = Europe/Paris"),
        "{printed}"
    );
    assert!(printed.contains("feeds.limit            = 50"), "{printed}");
    workspace.set(&[("limit", "0")]);
    let output = workspace.run(&["config", "check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("[feeds] limit"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn the_example_config_for_etc_is_valid() {
    let output = support::pressroom_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "--config",
            deploy("pressroom.toml").to_str().unwrap(),
            "config",
            "check",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("paths.inbox            = /var/lib/pressroom/inbox"));
}

#[test]
fn version_completions_and_man_page() {
    let dir = tempfile::tempdir().unwrap();
    let version = support::pressroom_in(dir.path(), &["--version"]);
    assert_eq!(
        text(&version.stdout).trim(),
        format!("pressroom {}", env!("CARGO_PKG_VERSION"))
    );
    let bash = support::pressroom_in(dir.path(), &["completions", "bash"]);
    assert!(
        bash.status.success() && text(&bash.stdout).contains("publish"),
        "{}",
        text(&bash.stderr)
    );
    let man = support::pressroom_in(dir.path(), &["manpage"]);
    let page = text(&man.stdout);
    assert!(
        page.contains(".TH pressroom") && page.contains("publish"),
        "{page}"
    );
}

//! End-to-end: `pressroom check` on the corpus, through the real binary.
//!
//! `tests/corpus/` is a copy of the shared corpus (a user's clone has no
//! `../shared`): every sample release with what parsing must extract from it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn pressroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pressroom"))
        .args(args)
        .output()
        .expect("the pressroom binary runs")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .expect("check --json prints UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn expected() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(corpus().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

fn check_one(name: &str) -> (Value, Option<i32>) {
    let path = corpus().join("releases").join(name);
    let output = pressroom(&["check", "--json", path.to_str().unwrap()]);
    let mut lines = json_lines(&output);
    assert_eq!(lines.len(), 1, "one line per file for {name}");
    (lines.remove(0), output.status.code())
}

#[test]
fn every_corpus_file_agrees_with_expected_json() {
    let mut disagreements = Vec::new();
    for (name, want) in expected() {
        let (got, code) = check_one(&name);
        let mut differ = |field: &str, got: &Value, want: &Value| {
            if got != want {
                disagreements.push(format!("{name}: {field}: got {got}, want {want}"));
            }
        };
        differ("ok", &got["ok"], &want["ok"]);
        if want["ok"] == Value::Bool(false) {
            differ("exit code", &Value::from(code), &Value::from(1));
            let cause = want["error_contains"].as_str().unwrap();
            let errors = got["errors"].as_array().cloned().unwrap_or_default();
            if !errors
                .iter()
                .any(|e| e.as_str().is_some_and(|e| e.contains(cause)))
            {
                disagreements.push(format!("{name}: errors {errors:?} do not name '{cause}'"));
            }
            continue;
        }
        differ("exit code", &Value::from(code), &Value::from(0));
        let release = &got["release"];
        for field in ["title", "date", "place", "lang", "categories"] {
            differ(field, &release[field], &want[field]);
        }
        let paragraphs = release["paragraphs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        differ(
            "paragraph count",
            &Value::from(paragraphs.len()),
            &want["paragraphs"],
        );
        let first = paragraphs
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default();
        let last = paragraphs
            .last()
            .and_then(Value::as_str)
            .unwrap_or_default();
        let starts = want["first_paragraph_starts"].as_str().unwrap();
        let ends = want["last_paragraph_ends"].as_str().unwrap();
        if !first.starts_with(starts) {
            disagreements.push(format!(
                "{name}: first paragraph {first:?} does not start with {starts:?}"
            ));
        }
        if !last.ends_with(ends) {
            disagreements.push(format!(
                "{name}: last paragraph {last:?} does not end with {ends:?}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn the_seed_release() {
    let (got, code) = check_one("000_a875796d40434589.txt");
    assert_eq!(code, Some(0));
    let release = &got["release"];
    assert_eq!(
        release["title"],
        "Le chef d'état-major de l'armée de l'État du Koweït rend visite à la CIMCT et lui rend hommage"
    );
    assert_eq!(release["place"], "Riyad");
    assert_eq!(release["date"], "2022-03-24");
    assert_eq!(release["lang"], "fr");
    assert_eq!(release["paragraphs"].as_array().unwrap().len(), 5);
    // The paragraph a PDF copy broke in two comes back whole.
    let third = release["paragraphs"][2].as_str().unwrap();
    assert!(
        third.contains("s'attaquer à leurs financements leur permettant"),
        "{third}"
    );
    assert_eq!(release["id"], release["slug"]);
    assert!(
        release["slug"]
            .as_str()
            .unwrap()
            .starts_with("2022-03-24-le-chef-detat-major")
    );
}

#[test]
fn a_folder_is_checked_recursively_and_fails_when_any_file_does() {
    let output = pressroom(&[
        "check",
        "--json",
        corpus().join("releases").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), expected().len());
    let failed = lines.iter().filter(|line| line["ok"] == false).count();
    assert_eq!(
        failed,
        expected().values().filter(|v| v["ok"] == false).count()
    );
    for line in lines.iter().filter(|line| line["ok"] == false) {
        assert!(line["release"].is_null());
        assert!(!line["errors"].as_array().unwrap().is_empty());
    }
}

#[test]
fn the_readable_report_names_each_file_and_its_fields() {
    let seed = corpus().join("releases/000_a875796d40434589.txt");
    let bad = corpus().join("releases/bad-impossible-date-31-02.txt");
    let output = pressroom(&["check", seed.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("ok    ") && text.contains("000_a875796d40434589.txt"),
        "{text}"
    );
    assert!(text.contains("place:      Riyad"), "{text}");
    assert!(
        text.contains("FAIL  ")
            && text.contains("impossible date '31-02-2022' in the dateline at line 3"),
        "{text}"
    );
    assert!(
        text.contains("2 file(s): 1 publishable, 1 not publishable"),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(pressroom(&["check"]).status.code(), Some(2));
    let missing = pressroom(&["check", "/nonexistent/pressroom/inbox"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/pressroom/inbox"));
}

#[test]
fn links_fifos_and_unsupported_files_are_refused_and_editor_files_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path();
    std::fs::write(inbox.join("secret.txt"), "Secret title\n\nSecret body.\n").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("target.txt"), "Titre\n\nCorps.\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("target.txt"), inbox.join("link.txt")).unwrap();
    let fifo = inbox.join("pipe.txt");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::fs::write(inbox.join("photo.pdf"), b"%PDF-1.7").unwrap();
    std::fs::write(inbox.join(".~lock.secret.txt#"), "lock").unwrap();
    std::fs::write(inbox.join("secret.txt~"), "backup").unwrap();

    let output = pressroom(&["check", "--json", inbox.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    let by_name = |name: &str| {
        lines
            .iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not reported"))
            .clone()
    };
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(by_name("secret.txt")["ok"], true);
    assert!(
        by_name("link.txt")["errors"][0]
            .as_str()
            .unwrap()
            .contains("symbolic link")
    );
    assert!(
        by_name("pipe.txt")["errors"][0]
            .as_str()
            .unwrap()
            .contains("FIFO")
    );
    assert!(
        by_name("photo.pdf")["errors"][0]
            .as_str()
            .unwrap()
            .contains("unsupported file type '.pdf'")
    );
}

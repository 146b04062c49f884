//! End-to-end: `pressroom run`, the daemon, through the real binary in a
//! temporary workspace. Tests wait on conditions with deadlines, never on
//! fixed sleeps (the only sleeps pace a slow writer on purpose).

#[path = "support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{BASE_URL, TestWorkspace, read_feed, text, wait_for};

const DEADLINE: Duration = Duration::from_secs(20);

/// A running daemon whose log (stderr) is collected.
struct Daemon {
    process: support::Process,
}

impl Daemon {
    fn start(workspace: &TestWorkspace, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pressroom"));
        command
            .args(["--config", workspace.config().to_str().unwrap(), "run"])
            .args(args)
            .env("PRESSROOM_LOG", "info")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC");
        for (key, value) in env {
            command.env(key, value);
        }
        Self {
            process: support::Process::spawn(command),
        }
    }

    /// Starts the daemon and waits until it says it is ready.
    fn ready(workspace: &TestWorkspace) -> Self {
        let daemon = Self::start(workspace, &[], &[]);
        daemon.wait_log("ready");
        daemon
    }

    fn log(&self) -> String {
        self.process.log()
    }

    fn wait_log(&self, needle: &str) {
        self.process.wait_log(needle, DEADLINE);
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.process.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// SIGTERM, then the exit status (within the deadline).
    fn stop(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.process.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the daemon did not stop within 5 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn feed_contains(workspace: &TestWorkspace, needle: &str) -> bool {
    std::fs::read_to_string(workspace.path("public/atom.xml"))
        .is_ok_and(|feed| feed.contains(needle))
}

fn wait_published(workspace: &TestWorkspace, needle: &str) {
    wait_for(&format!("'{needle}' in atom.xml"), DEADLINE, || {
        feed_contains(workspace, needle)
    });
}

fn release(title: &str) -> String {
    format!("{title}\n\nParis, 3 mars 2024\n\nLe texte de « {title} ».\n")
}

#[test]
fn drops_by_copy_and_by_rename_are_published() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    workspace.drop_file("copied.txt", release("Communiqué copié"));
    wait_published(&workspace, "Communiqué copié");
    // Write elsewhere in the inbox under a hidden name, then rename: the
    // usual save pattern of editors and upload tools.
    let hidden = workspace.drop_file(".upload-in-progress", release("Communiqué renommé"));
    std::fs::rename(&hidden, workspace.inbox().join("renamed.txt")).unwrap();
    wait_published(&workspace, "Communiqué renommé");
    read_feed(&workspace.public(), "atom.xml");
    assert!(daemon.stop().success());
}

#[test]
fn a_slow_write_is_not_read_before_it_is_complete() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    let path = workspace.inbox().join("slow.txt");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(b"Un communiqu\xc3\xa9 \xc3\xa9crit lentement\n\nParis, 3 mars 2024\n\n")
        .unwrap();
    for chunk in 0..6 {
        // Pauses longer than the settle time, as a slow upload makes.
        std::thread::sleep(Duration::from_millis(500));
        write!(file, "Morceau {chunk} du texte. ").unwrap();
        assert!(
            !feed_contains(&workspace, "crit lentement"),
            "read while still being written"
        );
        assert_eq!(
            workspace.count_files("rejected"),
            0,
            "rejected while still being written"
        );
    }
    file.write_all(b"Fin du texte.\n").unwrap();
    drop(file);
    wait_published(&workspace, "crit lentement");
    assert!(
        workspace.read("public/atom.xml").contains("Fin du texte."),
        "the whole file was read"
    );
    drop(daemon);
}

#[test]
fn a_thousand_files_at_once_are_published_once_in_few_regenerations() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    let staging = tempfile::tempdir().unwrap();
    for i in 0..1000 {
        std::fs::write(
            staging.path().join(format!("r{i:04}.txt")),
            release(&format!("Communiqué en lot {i:04}")),
        )
        .unwrap();
    }
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cp {}/*.txt {}/",
            staging.path().display(),
            workspace.inbox().display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    wait_for(
        "all 1000 files to leave the inbox",
        Duration::from_secs(60),
        || workspace.count_files("inbox") == 0,
    );
    wait_published(&workspace, "Communiqué en lot 0999");
    let list = workspace.run(&["list", "--json"]);
    assert_eq!(
        text(&list.stdout).lines().count(),
        1000,
        "each published once"
    );
    let regenerations = daemon.log().matches("regenerated outputs").count();
    assert!(
        (1..=12).contains(&regenerations),
        "outputs regenerated {regenerations} times for one cp"
    );
    assert_eq!(
        read_feed(&workspace.public(), "atom.xml")
            .feed
            .entries
            .len(),
        50
    );
}

#[test]
fn the_same_file_twice_an_update_and_a_bad_file() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    workspace.drop_file("a.txt", release("Premier communiqué"));
    wait_published(&workspace, "Premier communiqué");
    workspace.drop_file("a-copy.txt", release("Premier communiqué"));
    daemon.wait_log("unchanged");
    wait_for("the copy to leave the inbox", DEADLINE, || {
        workspace.count_files("inbox") == 0
    });
    assert_eq!(
        read_feed(&workspace.public(), "atom.xml")
            .feed
            .entries
            .len(),
        1
    );

    workspace.drop_file("b.md", "---\nid: suivi\n---\n# Version un\n\nTexte.\n");
    wait_published(&workspace, "Version un");
    workspace.drop_file("b.md", "---\nid: suivi\n---\n# Version deux\n\nTexte.\n");
    wait_published(&workspace, "Version deux");
    assert!(!feed_contains(&workspace, "Version un"));

    workspace.drop_file("bad.txt", "Titre\n\nRiyad, 31-02-2022\n\nTexte.\n");
    wait_for("the rejection note", DEADLINE, || {
        workspace.path("rejected/bad.txt.error.txt").is_file()
    });
    daemon.wait_log("impossible date");
    workspace.drop_file("after.txt", release("Après le mauvais fichier"));
    wait_published(&workspace, "Après le mauvais fichier");
}

#[test]
fn an_update_of_a_release_dated_ahead_shows_at_once() {
    // Its publication time stays ahead of both versions' storing: the
    // daemon must still make its feed items again for the second version.
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    let ahead = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let version = |title: &str| format!("---\nid: gala\ndate: {ahead}\n---\n# {title}\n\nTexte.\n");
    workspace.drop_file("gala.md", version("Gala, première version"));
    wait_published(&workspace, "Gala, première version");
    workspace.drop_file("gala.md", version("Gala, version corrigée"));
    wait_published(&workspace, "Gala, version corrigée");
    for feed in ["atom.xml", "rss.xml", "feed.json", "fr/atom.xml"] {
        let text = workspace.read(&format!("public/{feed}"));
        assert!(!text.contains("première version"), "{feed}: {text}");
    }
    // Edited when stored, before its publication, and never after its feed.
    let feed = read_feed(&workspace.public(), "atom.xml").feed;
    let entry = &feed.entries[0];
    assert!(entry.updated < entry.published, "{entry:?}");
    assert!(entry.updated <= feed.updated, "{feed:?}");
    drop(daemon);
}

#[test]
fn editor_lock_and_swap_files_are_left_alone() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    workspace.drop_file(".~lock.edited.txt#", "lock");
    workspace.drop_file(".edited.txt.swp", "swap");
    workspace.drop_file("edited.txt~", "backup");
    workspace.drop_file("~$edited.docx", "owner");
    workspace.drop_file("edited.txt", release("Document en cours d'édition"));
    workspace.drop_file("other.txt", release("Autre communiqué"));
    wait_published(&workspace, "Autre communiqué");
    daemon.wait_log("waiting: the document is open");
    assert!(!feed_contains(&workspace, "en cours d"));
    std::fs::remove_file(workspace.inbox().join(".~lock.edited.txt#")).unwrap();
    wait_published(&workspace, "en cours d");
    for name in [".edited.txt.swp", "edited.txt~", "~$edited.docx"] {
        assert!(workspace.inbox().join(name).is_file(), "{name} was touched");
    }
    assert_eq!(workspace.count_files("rejected"), 0);
}

#[test]
fn polling_works_where_inotify_does_not() {
    let workspace = TestWorkspace::new(&[("poll", "true"), ("poll_interval_ms", "200")]);
    let daemon = Daemon::ready(&workspace);
    workspace.drop_file("polled.txt", release("Vu par sondage"));
    wait_published(&workspace, "Vu par sondage");
    assert!(daemon.stop().success());
}

#[test]
fn files_dropped_while_stopped_are_published_at_start() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file("early.txt", release("Déposé pendant l'arrêt"));
    let daemon = Daemon::ready(&workspace);
    assert!(
        feed_contains(&workspace, "Déposé pendant l"),
        "published before READY"
    );
    drop(daemon);
}

#[test]
fn a_daemon_killed_during_a_batch_loses_and_duplicates_nothing() {
    let workspace = TestWorkspace::new(&[]);
    let count = 600;
    for i in 0..count {
        workspace.drop_file(
            &format!("k{i:04}.txt"),
            release(&format!("Communiqué interrompu {i:04}")),
        );
    }
    let daemon = Daemon::start(&workspace, &[], &[]);
    wait_for("some files to be taken", Duration::from_secs(60), || {
        workspace.count_files("inbox") < count
    });
    drop(daemon); // SIGKILL
    let daemon = Daemon::ready(&workspace);
    wait_for("the inbox to empty", Duration::from_secs(60), || {
        workspace.count_files("inbox") == 0
    });
    wait_published(&workspace, "Communiqué interrompu");
    let list = workspace.run(&["list", "--json"]);
    assert_eq!(
        text(&list.stdout).lines().count(),
        count,
        "each release stored exactly once"
    );
    for file in ["atom.xml", "rss.xml", "feed.json"] {
        read_feed(&workspace.public(), file);
    }
    drop(daemon);
}

#[test]
fn sighup_with_a_broken_config_keeps_the_old_one() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    let config = workspace.read("pressroom.toml");
    std::fs::write(workspace.config(), format!("{config}\n[nonsense\n")).unwrap();
    daemon.signal("HUP");
    daemon.wait_log("invalid configuration, keeping the old one");
    workspace.drop_file("still.txt", release("Toujours publié"));
    wait_published(&workspace, "Toujours publié");
    // A valid change applies.
    std::fs::write(
        workspace.config(),
        config.replace("title = \"Press releases\"", "title = \"Salle de presse\""),
    )
    .unwrap();
    daemon.signal("HUP");
    daemon.wait_log("configuration reloaded");
    wait_for("the new title in the feed", DEADLINE, || {
        workspace
            .read("public/atom.xml")
            .contains("Salle de presse")
    });
    assert!(daemon.stop().success());
}

#[test]
fn a_second_daemon_on_the_same_workspace_refuses_to_start() {
    let workspace = TestWorkspace::new(&[]);
    let _first = Daemon::ready(&workspace);
    let second = workspace.run(&["run"]);
    assert_eq!(second.status.code(), Some(2));
    let stderr = text(&second.stderr);
    assert!(
        stderr.contains("another pressroom process is running on this workspace"),
        "{stderr}"
    );
}

#[test]
fn systemd_hears_ready_status_watchdog_reloading_and_stopping() {
    let workspace = TestWorkspace::new(&[]);
    let socket_dir = tempfile::tempdir().unwrap();
    let socket_path = socket_dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let daemon = Daemon::start(
        &workspace,
        &[],
        &[
            ("NOTIFY_SOCKET", socket_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    let mut heard = String::new();
    let listen_until = |needle: &str, heard: &mut String| {
        let start = Instant::now();
        let mut buffer = [0u8; 4096];
        while !heard.contains(needle) {
            assert!(
                start.elapsed() < DEADLINE,
                "never heard {needle}; heard {heard:?}"
            );
            if let Ok(n) = socket.recv(&mut buffer) {
                heard.push_str(&String::from_utf8_lossy(&buffer[..n]));
                heard.push('\n');
            }
        }
    };
    listen_until("READY=1", &mut heard);
    assert!(heard.contains("STATUS="), "{heard}");
    listen_until("WATCHDOG=1", &mut heard);
    daemon.signal("HUP");
    listen_until("RELOADING=1", &mut heard);
    assert!(heard.contains("MONOTONIC_USEC="), "{heard}");
    daemon.signal("TERM");
    listen_until("STOPPING=1", &mut heard);
}

#[test]
fn an_embargo_lifts_on_time_without_any_other_event() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    let embargo = chrono::Utc::now() + chrono::Duration::seconds(3);
    workspace.drop_file(
        "embargo.md",
        format!(
            "---\nid: sous-embargo\nembargo: {}\n---\n# Sous embargo\n\nTexte.\n",
            embargo.to_rfc3339()
        ),
    );
    wait_for("the embargoed file to be stored", DEADLINE, || {
        workspace.count_files("inbox") == 0
    });
    assert!(
        !feed_contains(&workspace, "Sous embargo"),
        "published before its embargo"
    );
    wait_published(&workspace, "Sous embargo");
    assert!(chrono::Utc::now() >= embargo);
    drop(daemon);
}

#[test]
fn retract_works_while_the_daemon_runs() {
    let workspace = TestWorkspace::new(&[]);
    let _daemon = Daemon::ready(&workspace);
    workspace.drop_file(
        "gone.md",
        "---\nid: a-retirer\n---\n# A retirer bientôt\n\nTexte.\n",
    );
    wait_published(&workspace, "A retirer bientôt");
    let output = workspace.run(&["retract", "a-retirer"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!feed_contains(&workspace, "A retirer bientôt"));
    workspace.drop_file("next.txt", release("Le suivant"));
    wait_published(&workspace, "Le suivant");
    assert!(
        !feed_contains(&workspace, "A retirer bientôt"),
        "the daemon did not bring it back"
    );
}

#[test]
fn the_inbox_deleted_and_recreated_is_watched_again() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    std::fs::remove_dir_all(workspace.inbox()).unwrap();
    daemon.wait_log("the inbox is gone");
    std::fs::create_dir(workspace.inbox()).unwrap();
    daemon.wait_log("the inbox is back");
    workspace.drop_file("back.txt", release("Retour de la boîte"));
    wait_published(&workspace, "Retour de la bo");
}

/// Bytes that are a JPEG image to anything that looks at their start.
fn jpeg(size: usize) -> Vec<u8> {
    let mut bytes = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec();
    bytes.resize(size, 0x55);
    bytes
}

/// The RSS enclosure of the release titled `title`, once RSS has the
/// release (feeds are written one after the other), if it has one.
fn rss_enclosure_of(workspace: &TestWorkspace, title: &str) -> Option<String> {
    let read = || std::fs::read_to_string(workspace.path("public/rss.xml")).unwrap_or_default();
    wait_for(&format!("'{title}' in rss.xml"), DEADLINE, || {
        read().contains(title)
    });
    let rss = read();
    let item = rss.split("<item>").find(|item| item.contains(title))?;
    let start = item.find("<enclosure ")?;
    let end = start + item[start..].find("/>")?;
    Some(item[start..end].to_owned())
}

#[test]
fn a_photo_that_follows_its_document_within_the_settle_time_is_published_with_it() {
    let workspace = TestWorkspace::new(&[("settle_ms", "1000")]);
    let _daemon = Daemon::ready(&workspace);
    // Named after its document, in the inbox itself; and in a release
    // folder of its own. Each photo starts arriving after its document, and
    // is still being written when the document has stood still for longer
    // than the settle time.
    workspace.drop_file("statement.md", "# Le quai est ouvert\n\nLe quai ouvre.\n");
    workspace.drop_file(
        "parc/annonce.md",
        "# Le parc est ouvert\n\nLe parc ouvre.\n",
    );
    std::thread::sleep(Duration::from_millis(300));
    let photos = [
        (workspace.inbox().join("statement-photo.jpg"), jpeg(5_000)),
        (workspace.inbox().join("parc/eolienne.jpg"), jpeg(6_000)),
    ];
    let mut writers: Vec<std::fs::File> = photos
        .iter()
        .map(|(path, bytes)| {
            let mut file = std::fs::File::create(path).unwrap();
            file.write_all(&bytes[..1_000]).unwrap();
            file
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1200));
    assert!(
        !feed_contains(&workspace, "est ouvert"),
        "published while its photo was being written"
    );
    for (file, (_, bytes)) in writers.iter_mut().zip(&photos) {
        file.write_all(&bytes[1_000..]).unwrap();
    }
    drop(writers);

    wait_published(&workspace, "Le quai est ouvert");
    wait_published(&workspace, "Le parc est ouvert");
    let quay = rss_enclosure_of(&workspace, "Le quai est ouvert").expect("the photo came with it");
    assert!(
        quay.contains("statement-photo.jpg") && quay.contains("length=\"5000\""),
        "{quay}"
    );
    let park = rss_enclosure_of(&workspace, "Le parc est ouvert").expect("the photo came with it");
    assert!(
        park.contains("eolienne.jpg") && park.contains("length=\"6000\""),
        "{park}"
    );
    // A release folder's name is no category.
    assert!(!workspace.path("public/category/parc").exists());
    assert_eq!(workspace.count_files("rejected"), 0);
    wait_for("the inbox to empty", DEADLINE, || {
        workspace.count_files("inbox") == 0
    });
    for file in ["atom.xml", "rss.xml", "feed.json"] {
        read_feed(&workspace.public(), file);
    }
}

#[test]
fn a_photo_dropped_before_its_document_waits_for_it_and_a_lone_one_is_rejected() {
    let workspace = TestWorkspace::new(&[]);
    let daemon = Daemon::ready(&workspace);
    workspace.drop_file("bilan-photo.jpg", jpeg(3_000));
    workspace.drop_file("orpheline.jpg", jpeg(3_000));
    // Well after the settle time: the photo has long stood still.
    wait_for("the photos to settle", DEADLINE, || {
        daemon.log().contains("watching the inbox")
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(workspace.count_files("rejected"), 0, "rejected too early");
    workspace.drop_file("bilan.txt", release("Le bilan annuel"));
    wait_published(&workspace, "Le bilan annuel");
    let enclosure = rss_enclosure_of(&workspace, "Le bilan annuel").expect("the photo waited");
    assert!(enclosure.contains("bilan-photo.jpg"), "{enclosure}");
    wait_for("the lone photo to be rejected", DEADLINE, || {
        workspace.path("rejected/orpheline.jpg.error.txt").is_file()
    });
    assert!(
        workspace
            .read("rejected/orpheline.jpg.error.txt")
            .contains("name it after the release document")
    );
}

/// A minimal HTTP/1.1 client: status, headers (lowercase names), body.
fn http(address: &str, request: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, response[split + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn serve_answers_with_feed_types_validators_gzip_and_never_outside_public() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file("a.txt", release("Servi par HTTP"));
    let address = format!("127.0.0.1:{}", free_port());
    let daemon = Daemon::start(&workspace, &["--serve", &address], &[]);
    daemon.wait_log("ready");
    let get = |path: &str, extra: &str| {
        http(
            &address,
            &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n"),
        )
    };

    let (status, headers, body) = get("/atom.xml", "");
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/atom+xml")
    );
    assert!(String::from_utf8_lossy(&body).contains("Servi par HTTP"));
    let etag = header(&headers, "etag").expect("an ETag").to_owned();
    let last_modified = header(&headers, "last-modified")
        .expect("Last-Modified")
        .to_owned();
    assert_eq!(
        get("/atom.xml", &format!("If-None-Match: {etag}\r\n")).0,
        304
    );
    assert_eq!(
        get(
            "/atom.xml",
            &format!("If-Modified-Since: {last_modified}\r\n")
        )
        .0,
        304
    );

    assert_eq!(
        header(&get("/rss.xml", "").1, "content-type"),
        Some("application/rss+xml")
    );
    assert_eq!(
        header(&get("/feed.json", "").1, "content-type"),
        Some("application/feed+json")
    );
    assert_eq!(
        header(&get("/", "").1, "content-type"),
        Some("text/html; charset=utf-8")
    );

    let (status, headers, body) = get("/atom.xml", "Accept-Encoding: gzip\r\n");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert!(decoded.contains("Servi par HTTP"));

    // A page's address before pages were files leads to the page now.
    let page = read_feed(&workspace.public(), "atom.xml").feed.entries[0].links[0]
        .href
        .clone();
    let page_path = page.strip_prefix(BASE_URL.trim_end_matches('/')).unwrap();
    let old_path = format!("{}/", page_path.strip_suffix(".html").unwrap());
    for old in [old_path.as_str(), old_path.trim_end_matches('/')] {
        let (status, headers, _) = get(old, "");
        assert_eq!(status, 301, "{old}");
        assert_eq!(header(&headers, "location"), Some(page_path), "{old}");
    }
    assert_eq!(get(page_path, "").0, 200);
    assert_eq!(get("/releases/no-such-release/", "").0, 404);

    let secret = std::fs::read_to_string(workspace.config()).unwrap();
    for path in [
        "/../pressroom.toml",
        "/%2e%2e/pressroom.toml",
        "/..%2fpressroom.toml",
        "/%2E%2E/state/pressroom.db",
        "//etc/passwd",
        "/.pressroom-write-test",
    ] {
        let (status, _, body) = get(path, "");
        assert!(status == 400 || status == 404, "{path}: {status}");
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains("[site]") && !body.contains(secret.lines().nth(3).unwrap_or("[site]")),
            "{path} leaked"
        );
    }
    assert!(daemon.stop().success());
}

//! End-to-end: `init`, `publish`, `retract`, `list` and `rebuild` through the
//! real binary, with the outputs read back by independent parsers.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{BASE_URL, TestWorkspace, read_feed, text, validate_xml, wait_for};

fn demo_inbox() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/inbox")
}

fn copy_demo_inbox(workspace: &TestWorkspace) {
    for entry in std::fs::read_dir(demo_inbox()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, workspace.inbox().join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn the_demo_config_is_valid_and_its_inbox_publishable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = support::pressroom_in(
        &root,
        &["--config", "feeds/pressroom.toml", "check", "feeds/inbox"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[test]
fn init_writes_a_complete_config_and_the_folders() {
    let workspace = TestWorkspace::new(&[]);
    for folder in ["inbox", "archive", "rejected", "public", "state"] {
        assert!(workspace.path(folder).is_dir(), "{folder} missing");
    }
    let config = workspace.read("pressroom.toml");
    for key in [
        "title",
        "base_url",
        "tag_authority",
        "default_lang",
        "time_zone",
        "limit",
        "formats",
        "per_language",
        "per_category",
        "author_email",
        "max_file_size",
        "max_bytes",
        "types",
    ] {
        assert!(
            config.contains(&format!("\n{key} = ")),
            "{key} missing from the config"
        );
    }
    // A second init refuses to overwrite.
    let again = support::pressroom_in(workspace.dir.path(), &["init", "ws"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists"));
}

#[test]
fn the_demo_workspace_publishes_valid_feeds_in_every_scope() {
    let workspace = TestWorkspace::new(&[("time_zone", "\"Europe/Paris\"")]);
    copy_demo_inbox(&workspace);
    let inbox_count = workspace.count_files("inbox");
    let summary = workspace.publish(0);
    assert!(
        summary.contains(&format!("published {inbox_count},")),
        "{summary}"
    );
    assert_eq!(workspace.count_files("inbox"), 0, "the inbox is emptied");
    assert_eq!(
        workspace.count_files("archive"),
        inbox_count + 1,
        "originals and the journal are archived"
    );

    let public = workspace.public();
    for scope in [
        "",
        "fr/",
        "en/",
        "ar/",
        "es/",
        "category/environment/",
        "category/port/",
    ] {
        let atom = read_feed(&public, &format!("{scope}atom.xml"));
        let rss = read_feed(&public, &format!("{scope}rss.xml"));
        let json = read_feed(&public, &format!("{scope}feed.json"));
        let ids = |feed: &support::ReadFeed| {
            feed.feed
                .entries
                .iter()
                .map(|e| e.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&atom),
            ids(&rss),
            "{scope}: the same ids in Atom and RSS"
        );
        assert_eq!(
            ids(&atom),
            ids(&json),
            "{scope}: the same ids in Atom and JSON Feed"
        );
        assert!(!ids(&atom).is_empty(), "{scope}: empty feed");
        assert!(
            public.join(format!("{scope}index.html")).is_file(),
            "{scope}: no listing page"
        );
    }
    let all = read_feed(&public, "atom.xml").feed;
    assert_eq!(all.entries.len(), inbox_count);
    // Newest first, by the release's own date.
    let published: Vec<_> = all.entries.iter().map(|e| e.published.unwrap()).collect();
    assert!(published.windows(2).all(|w| w[0] >= w[1]), "{published:?}");

    // Dates carry the configured zone's offset (Paris is +01:00 or +02:00).
    let atom_text = workspace.read("public/atom.xml");
    assert!(
        atom_text.contains("+02:00</published>") || atom_text.contains("+01:00</published>"),
        "{atom_text}"
    );
    let rss_text = workspace.read("public/rss.xml");
    assert!(rss_text.contains(" +0200</pubDate>") || rss_text.contains(" +0100</pubDate>"));

    // Arabic is right to left on its page.
    let arabic = all
        .entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content.contains("مكتبة"))
        .expect("the Arabic release");
    let page_url = &arabic.links[0].href;
    let page =
        std::fs::read_to_string(public.join(page_url.strip_prefix(BASE_URL).unwrap())).unwrap();
    assert!(
        page.contains("lang=\"ar\"") && page.contains("dir=\"rtl\""),
        "{page}"
    );

    // The index advertises the feeds.
    let index = workspace.read("public/index.html");
    assert!(
        index.contains("application/atom+xml") && index.contains("application/rss+xml"),
        "{index}"
    );
    // No page links to a file that is not there.
    for page in support::walk(&public) {
        if page.extension().is_some_and(|e| e == "html") {
            support::assert_page_links_resolve(&public, &page);
        }
    }
}

#[test]
fn ids_are_stable_and_outputs_untouched_when_nothing_changes() {
    let workspace = TestWorkspace::new(&[]);
    copy_demo_inbox(&workspace);
    workspace.publish(0);
    let before = workspace.snapshot("public");
    let summary = workspace.publish(0);
    assert!(summary.contains("0 output file(s) written"), "{summary}");
    assert_eq!(workspace.snapshot("public"), before);
}

#[test]
fn a_byte_identical_redrop_is_not_published_again() {
    let workspace = TestWorkspace::new(&[]);
    let text = "Un titre\n\nParis, 3 mars 2024\n\nUn paragraphe.\n";
    workspace.drop_file("a.txt", text);
    workspace.publish(0);
    workspace.drop_file("a-again.txt", text);
    let summary = workspace.publish(0);
    assert!(
        summary.contains("published 0, updated 0, unchanged 1"),
        "{summary}"
    );
    assert_eq!(
        read_feed(&workspace.public(), "atom.xml")
            .feed
            .entries
            .len(),
        1
    );
}

/// Archiving moves the editor's file itself, which keeps its times. A file
/// that also has a name outside the inbox is copied instead: changing it
/// there later must change nothing in the archive.
#[test]
fn the_archive_keeps_the_dropped_file_itself_unless_it_has_other_names() {
    let workspace = TestWorkspace::new(&[]);
    let own = workspace.drop_file(
        "own.txt",
        "Un titre\n\nParis, 3 mars 2024\n\nUn paragraphe.\n",
    );
    let long_ago = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_836_800);
    std::fs::File::options()
        .write(true)
        .open(&own)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    let shared_text = "Another title\n\nLyon, March 4, 2024\n\nA paragraph.\n";
    let elsewhere = workspace.dir.path().join("shared.txt");
    std::fs::write(&elsewhere, shared_text).unwrap();
    std::fs::hard_link(&elsewhere, workspace.inbox().join("shared.txt")).unwrap();

    let summary = workspace.publish(0);
    assert!(summary.contains("published 2,"), "{summary}");
    assert_eq!(workspace.count_files("inbox"), 0);
    let archived = |name: &str| {
        support::walk(&workspace.path("archive"))
            .into_iter()
            .find(|path| path.file_name().is_some_and(|n| n == name))
            .unwrap_or_else(|| panic!("{name} is not archived"))
    };
    let own_archived = std::fs::metadata(archived("own.txt")).unwrap();
    assert_eq!(own_archived.modified().unwrap(), long_ago);
    std::fs::write(&elsewhere, "changed outside the inbox").unwrap();
    assert_eq!(
        std::fs::read_to_string(archived("shared.txt")).unwrap(),
        shared_text
    );
}

/// A category with no letter or digit (`★`) gets a feed of its own, under
/// the folder its releases' pages link to.
#[test]
fn a_category_without_letters_has_the_feed_its_pages_link_to() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "etoile.md",
        "---\ntitle: Une étoile\ndate: 2024-03-03\nlang: fr\ncategories: [\"★\", Énergie]\n---\n\nUn paragraphe.\n",
    );
    workspace.publish(0);
    let public = workspace.public();
    let feed = read_feed(&public, "category/c-88960946/atom.xml").feed;
    assert_eq!(feed.entries.len(), 1);
    for page in support::walk(&public) {
        if page.extension().is_some_and(|e| e == "html") {
            support::assert_page_links_resolve(&public, &page);
        }
    }
}

#[test]
fn an_update_keeps_the_id_and_records_the_change() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "annonce.md",
        "---\nid: cp-2024-01\n---\n# Premier titre\n\nParis, 3 mars 2024 – Texte.\n",
    );
    workspace.publish(0);
    let first = read_feed(&workspace.public(), "atom.xml")
        .feed
        .entries
        .remove(0);
    workspace.drop_file(
        "annonce.md",
        "---\nid: cp-2024-01\n---\n# Titre corrigé\n\nParis, 3 mars 2024 – Texte corrigé.\n",
    );
    let summary = workspace.publish(0);
    assert!(summary.contains("updated 1"), "{summary}");
    let entries = read_feed(&workspace.public(), "atom.xml").feed.entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, first.id, "the same permanent id");
    assert_eq!(entries[0].title.as_ref().unwrap().content, "Titre corrigé");
    assert!(entries[0].updated > first.updated, "a new updated time");
    assert_eq!(
        entries[0].published, first.published,
        "the same published time"
    );
    let list = text(&workspace.run(&["list"]).stdout);
    assert!(list.contains("r2") && list.contains("cp-2024-01"), "{list}");
    assert_eq!(
        workspace.count_files("archive"),
        3,
        "both versions and the journal are archived"
    );
}

#[test]
fn a_backlog_dates_each_entry_by_its_release_not_by_its_ingest() {
    let workspace = TestWorkspace::new(&[("time_zone", "\"Europe/Paris\"")]);
    workspace.drop_file("a.txt", "Premier\n\nParis, 3 mars 2024 – Texte.\n");
    workspace.drop_file("b.txt", "Second\n\nLyon, 12 avril 2024 – Texte.\n");
    workspace.drop_file(
        "c.md",
        "---\ndate: 2024-05-02T09:30:00+02:00\n---\n# Troisième\n\nTexte.\n",
    );
    workspace.drop_file("d.txt", "Sans date\n\nUn texte sans dateline.\n");
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    workspace.publish(0);
    // (feed-rs reads no updated time in RSS: tests/readers.rs has feedparser
    // read RSS's atom:updated.)
    for name in ["atom.xml", "feed.json"] {
        let feed = read_feed(&workspace.public(), name).feed;
        assert_eq!(feed.entries.len(), 4, "{name}");
        let mut edited = BTreeSet::new();
        for entry in &feed.entries {
            let title = &entry.title.as_ref().unwrap().content;
            // Storing a release is not editing it: an entry never edited
            // last changed when it was published.
            assert!(entry.updated.is_some(), "{name}: {title}");
            assert_eq!(entry.updated, entry.published, "{name}: {title}");
            edited.insert(entry.updated);
        }
        assert_eq!(edited.len(), 4, "{name}: every entry has its own time");
    }
    // The feed itself changed when the releases were stored: now.
    let atom = read_feed(&workspace.public(), "atom.xml").feed;
    assert!(atom.updated.is_some_and(|changed| changed >= before));
}

#[test]
fn two_versions_in_one_backlog_publish_the_later_everywhere() {
    let workspace = TestWorkspace::new(&[]);
    // Sorted names: the first version is ingested first.
    workspace.drop_file(
        "1-annonce.md",
        "---\nid: cp-2024-02\n---\n# Premier titre\n\nParis, 3 mars 2024 – Premier texte.\n",
    );
    workspace.drop_file(
        "2-annonce.md",
        "---\nid: cp-2024-02\n---\n# Titre corrigé\n\nParis, 3 mars 2024 – Texte corrigé.\n",
    );
    let summary = workspace.publish(0);
    assert!(summary.contains("published 1, updated 1"), "{summary}");
    let entries = read_feed(&workspace.public(), "atom.xml").feed.entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].title.as_ref().unwrap().content, "Titre corrigé");
    let page = workspace.read("public/releases/cp-2024-02.html");
    assert!(page.contains("Titre corrigé"), "{page}");
    assert!(!page.contains("Premier"), "{page}");
}

#[test]
fn two_releases_with_the_same_title_and_date_are_both_published() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "a.txt",
        "Réunion annuelle\n\nLyon, 5 mai 2024\n\nPremière réunion.\n",
    );
    workspace.drop_file(
        "b.txt",
        "Réunion annuelle\n\nLyon, 5 mai 2024\n\nUne autre réunion.\n",
    );
    workspace.publish(0);
    let entries = read_feed(&workspace.public(), "atom.xml").feed.entries;
    assert_eq!(entries.len(), 2);
    assert_ne!(entries[0].id, entries[1].id);
}

#[test]
fn xml_special_and_forbidden_characters_and_scripts_never_break_a_feed() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "special.txt",
        "Résultats <2024> & \"perspectives\" ]]> d'AT&T\u{b}\n\nParis, 3 mars 2024\n\nLe chiffre <b>progresse</b> & l'écart \u{1}se réduit ]]> fin.\n",
    );
    workspace.drop_file(
        "script.md",
        "# Annonce\n\nTexte <script>alert(1)</script> et <a href=\"javascript:alert(2)\" onclick=\"x()\">lien</a>.\n\n<img src=\"x.png\" onerror=\"alert(3)\">\n",
    );
    workspace.drop_file(
        "long.txt",
        format!("{}\n\nCorps du texte.\n", "Un titre très long ".repeat(110)),
    );
    workspace.publish(0);
    let public = workspace.public();
    for file in ["atom.xml", "rss.xml", "feed.json"] {
        let feed = read_feed(&public, file).feed;
        assert_eq!(feed.entries.len(), 3, "{file}");
        let titles: Vec<String> = feed
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect();
        assert!(
            titles
                .iter()
                .any(|t| t.starts_with("Résultats <2024> & \"perspectives\" ]]> d'AT&T")),
            "{file}: {titles:?}"
        );
    }
    for path in support::walk(&public) {
        let content = std::fs::read_to_string(&path).unwrap();
        assert!(
            !content.contains('\u{b}') && !content.contains('\u{1}'),
            "{}",
            path.display()
        );
        let lower = content.to_lowercase();
        for forbidden in ["<script>alert", "onclick", "onerror", "javascript:"] {
            assert!(
                !lower.contains(forbidden),
                "{forbidden} in {}",
                path.display()
            );
        }
        if path.extension().is_some_and(|e| e == "xml") {
            validate_xml(&path);
        }
    }
}

#[test]
fn bad_files_are_rejected_with_a_note_and_the_rest_published() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file("good.txt", "Titre\n\nParis, 3 mars 2024\n\nTexte.\n");
    workspace.drop_file("bad-date.txt", "Titre\n\nRiyad, 31-02-2022\n\nTexte.\n");
    workspace.drop_file("empty.txt", "");
    workspace.drop_file("photo.pdf", "%PDF-1.7");
    workspace.drop_file(".~lock.good.txt#", "lock");
    workspace.drop_file("draft.txt~", "backup");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "Secret\n\nDo not publish.\n").unwrap();
    std::os::unix::fs::symlink(&secret, workspace.inbox().join("link.txt")).unwrap();

    let summary = workspace.publish(1);
    assert!(summary.contains("rejected 4"), "{summary}");
    let note = workspace.read("rejected/bad-date.txt.error.txt");
    assert!(
        note.contains("impossible date '31-02-2022' in the dateline at line 3"),
        "{note}"
    );
    assert!(
        workspace
            .read("rejected/empty.txt.error.txt")
            .contains("empty")
    );
    assert!(
        workspace
            .read("rejected/photo.pdf.error.txt")
            .contains("unsupported file type '.pdf'")
    );
    assert!(
        workspace
            .read("rejected/link.txt.error.txt")
            .contains("symbolic link")
    );
    assert!(
        workspace.path("rejected/bad-date.txt").is_file(),
        "the file itself is kept"
    );
    // The link was moved, not followed: its target is untouched and unpublished.
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "Secret\n\nDo not publish.\n"
    );
    assert!(!workspace.read("public/atom.xml").contains("Secret"));
    // good.txt waited while its LibreOffice lock existed; editor files are never touched.
    assert!(workspace.inbox().join("good.txt").is_file());
    assert!(workspace.inbox().join(".~lock.good.txt#").is_file());
    assert!(workspace.inbox().join("draft.txt~").is_file());
    std::fs::remove_file(workspace.inbox().join(".~lock.good.txt#")).unwrap();
    let summary = workspace.publish(0);
    assert!(summary.contains("published 1"), "{summary}");
}

#[test]
fn a_subfolder_is_a_category_feed() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "Énergie verte/eolien.txt",
        "Un parc éolien\n\nNantes, 3 mars 2024\n\nTexte.\n",
    );
    workspace.publish(0);
    let feed = read_feed(&workspace.public(), "category/energie-verte/atom.xml").feed;
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].categories[0].term, "Énergie verte");
}

#[test]
fn an_unwritable_public_folder_is_a_clear_error_and_the_inbox_is_kept() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file("a.txt", "Titre\n\nParis, 3 mars 2024\n\nTexte.\n");
    // Tests run as root, which ignores permissions: a file where the folder
    // should be makes public/ unwritable for anyone.
    std::fs::remove_dir(workspace.public()).unwrap();
    std::fs::write(workspace.public(), "not a folder").unwrap();
    let output = workspace.run(&["publish"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("public"), "{stderr}");
    assert!(
        workspace.inbox().join("a.txt").is_file(),
        "the inbox is untouched"
    );
    std::fs::remove_file(workspace.public()).unwrap();
    workspace.publish(0);
    assert_eq!(
        read_feed(&workspace.public(), "atom.xml")
            .feed
            .entries
            .len(),
        1
    );
}

#[test]
fn retract_withdraws_a_release_from_every_output_and_keeps_its_archive() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "a.md",
        "---\nid: to-retract\ncategories: [Port]\n---\n# A retirer\n\nTexte.\n",
    );
    workspace.drop_file("b.md", "---\nid: to-keep\n---\n# A garder\n\nTexte.\n");
    workspace.publish(0);
    assert!(workspace.path("public/releases/to-retract.html").is_file());
    let output = workspace.run(&["retract", "to-retract"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for file in [
        "atom.xml",
        "rss.xml",
        "feed.json",
        "category/port/atom.xml",
        "index.html",
    ] {
        assert!(
            !workspace
                .read(&format!("public/{file}"))
                .contains("to-retract"),
            "{file}"
        );
    }
    assert!(!workspace.path("public/releases/to-retract.html").exists());
    assert_eq!(
        read_feed(&workspace.public(), "atom.xml")
            .feed
            .entries
            .len(),
        1
    );
    assert!(text(&workspace.run(&["list"]).stdout).contains("retracted"));
    assert!(
        support::walk(&workspace.path("archive"))
            .iter()
            .any(|p| p.ends_with("a.md"))
    );
    let unknown = workspace.run(&["retract", "no-such-release"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no-such-release"));
}

#[test]
fn an_embargoed_release_is_published_from_its_time() {
    let workspace = TestWorkspace::new(&[]);
    let embargo = chrono::Utc::now() + chrono::Duration::seconds(3);
    workspace.drop_file(
        "embargo.md",
        format!(
            "---\nid: embargoed\nembargo: {}\n---\n# Sous embargo\n\nTexte.\n",
            embargo.to_rfc3339()
        ),
    );
    workspace.drop_file("now.md", "---\nid: now\n---\n# Tout de suite\n\nTexte.\n");
    workspace.publish(0);
    assert!(!workspace.read("public/atom.xml").contains("embargoed"));
    assert!(!workspace.path("public/releases/embargoed.html").exists());
    assert!(text(&workspace.run(&["list"]).stdout).contains("embargoed"));
    wait_for("the embargo to pass", Duration::from_secs(10), || {
        chrono::Utc::now() > embargo
    });
    workspace.publish(0);
    assert!(workspace.read("public/atom.xml").contains("embargoed"));
    assert!(workspace.path("public/releases/embargoed.html").is_file());
}

#[test]
fn pages_of_the_old_layout_become_redirects_to_the_pages_now() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file("a.md", "---\nid: kept\n---\n# Gardé\n\nTexte.\n");
    workspace.drop_file("b.md", "---\nid: withdrawn\n---\n# Retiré\n\nTexte.\n");
    workspace.publish(0);
    assert!(workspace.run(&["retract", "withdrawn"]).status.success());
    // What a version from before pages were files left behind: a folder
    // per release holding its page, and another fingerprint.
    for id in ["kept", "withdrawn"] {
        let folder = workspace.path(&format!("public/releases/{id}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("index.html"), "<p>the old page</p>").unwrap();
    }
    std::fs::write(workspace.path("state/outputs.fingerprint"), "layout 1").unwrap();

    workspace.publish(0);
    let url = format!("{BASE_URL}releases/kept.html");
    let redirect = workspace.read("public/releases/kept/index.html");
    for expected in [
        format!("<meta http-equiv=\"refresh\" content=\"0; url={url}\">"),
        format!("<link rel=\"canonical\" href=\"{url}\">"),
        format!("<a href=\"{url}\">"),
    ] {
        assert!(
            redirect.contains(&expected),
            "{expected}\nnot in\n{redirect}"
        );
    }
    assert!(
        workspace
            .read("public/releases/kept.html")
            .contains("Gardé")
    );
    assert!(
        !workspace.path("public/releases/withdrawn").exists(),
        "a withdrawn release's old folder goes"
    );
    // Once: the next runs leave the outputs as they are.
    let before = workspace.snapshot("public");
    workspace.publish(0);
    assert_eq!(workspace.snapshot("public"), before);
}

#[test]
fn rebuild_from_the_archive_alone_yields_the_same_outputs() {
    let workspace = TestWorkspace::new(&[("time_zone", "\"Asia/Riyadh\"")]);
    copy_demo_inbox(&workspace);
    workspace.drop_file("gone.md", "---\nid: gone\n---\n# Retiré\n\nTexte.\n");
    workspace.publish(0);
    assert!(workspace.run(&["retract", "gone"]).status.success());
    let before = workspace.snapshot("public");
    std::fs::remove_file(workspace.path("state/pressroom.db")).unwrap();
    let output = workspace.run(&["rebuild"]);
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert_eq!(workspace.snapshot("public"), before);
    assert!(!workspace.read("public/atom.xml").contains("gone"));
}

#[test]
fn a_publish_killed_midway_loses_and_duplicates_nothing() {
    let workspace = TestWorkspace::new(&[]);
    // More than one store transaction's worth (4,096 units): the second is
    // stored while the first group's files leave the inbox, so a kill then
    // finds files on both sides.
    let count = 5_000;
    for i in 0..count {
        workspace.drop_file(
            &format!("r{i:04}.txt"),
            format!("Communiqué numéro {i}\n\nParis, 3 mars 2024\n\nLe texte du communiqué {i}.\n"),
        );
    }
    let killed_when = |what: &str, condition: &dyn Fn() -> bool| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pressroom"))
            .args(["--config", workspace.config().to_str().unwrap(), "publish"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_for(what, Duration::from_secs(120), condition);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    };
    // Killed while the first files are archived, before any commit: every
    // file is still in the inbox.
    killed_when("some files to be archived", &|| {
        workspace.count_files("archive") > 20
    });
    assert_eq!(workspace.count_files("inbox"), count);
    // Killed once a first transaction has committed and its files leave
    // the inbox, before the last.
    killed_when("some files to leave the inbox", &|| {
        workspace.count_files("inbox") < count - 20
    });
    assert!(workspace.count_files("inbox") > 0, "killed before the end");
    workspace.publish(0);
    assert_eq!(workspace.count_files("inbox"), 0);
    let list = workspace.run(&["list", "--json"]);
    assert_eq!(
        text(&list.stdout).lines().count(),
        count,
        "every release stored once"
    );
    for file in ["atom.xml", "rss.xml", "feed.json"] {
        let feed = read_feed(&workspace.public(), file).feed;
        assert_eq!(feed.entries.len(), 50, "{file}");
    }
    for path in support::walk(&workspace.public()) {
        if path.extension().is_some_and(|e| e == "xml") {
            validate_xml(&path);
        }
    }
    let pages = support::walk(&workspace.path("public/releases")).len();
    assert_eq!(pages, count, "a page per release");
}

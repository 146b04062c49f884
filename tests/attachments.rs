//! End-to-end: Word and HTML drops, releases with photos and PDFs (release
//! folders and files named after their document), hostile and broken Word
//! files, and contact and about sections, through the real binary, with the
//! outputs read back by independent parsers and validators.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use support::{BASE_URL, TestWorkspace, read_feed, text};

/// A committed fixture of the core crate (Word files made by python-docx and
/// LibreOffice, a saved press page).
fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Bytes that are a JPEG image to anything that looks at their start.
fn jpeg(seed: u8, size: usize) -> Vec<u8> {
    let mut bytes = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
    bytes.extend((0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes.extend(b"\xFF\xD9");
    bytes
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
        .into_bytes()
}

/// The page of the only release in the workspace (`releases/<id>.html`),
/// and the folder of its files under public/ (`releases/<id>/`).
fn only_release(workspace: &TestWorkspace) -> (String, PathBuf) {
    let feed = read_feed(&workspace.public(), "atom.xml").feed;
    assert_eq!(feed.entries.len(), 1, "{:?}", feed.entries);
    let url = &feed.entries[0].links[0].href;
    let page = workspace
        .public()
        .join(url.strip_prefix(BASE_URL).expect("an absolute link"));
    let folder = page.with_extension("");
    let page = std::fs::read_to_string(&page).expect("the page");
    (page, folder)
}

/// Every feed of every scope under public/, read back and validated.
fn read_every_feed(workspace: &TestWorkspace) {
    let public = workspace.public();
    for path in support::walk(&public) {
        let name = path.file_name().unwrap().to_string_lossy();
        if ["atom.xml", "rss.xml", "feed.json"].contains(&name.as_ref()) {
            let relative = path
                .strip_prefix(&public)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            read_feed(&public, &relative);
        }
    }
}

#[test]
fn word_files_from_python_docx_and_libreoffice_are_published_with_their_images() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file("atelier.docx", fixture("python-docx.docx"));
    workspace.drop_file("Port/berth.docx", fixture("libreoffice.docx"));
    let summary = workspace.publish(0);
    assert!(summary.contains("published 2,"), "{summary}");
    read_every_feed(&workspace);

    let page = |id: &str| workspace.read(&format!("public/releases/{id}.html"));
    let atelier_id = "2024-03-12-la-fondation-sillage-ouvre-un-atelier-numerique-a-rennes";
    let atelier = page(atelier_id);
    let image = format!(
        "<img src=\"{atelier_id}/image1.png\" alt=\"Les locaux de l&#39;atelier numérique\""
    );
    for expected in [
        "<h1>La Fondation Sillage ouvre un atelier numérique à Rennes</h1>",
        // Styles, lists and a link split over runs, as Word wrote them.
        "<strong>atelier numérique</strong>",
        "<h2>Un programme en trois volets</h2>",
        "<ul>\n<li>des formations à la bureautique ;</li>",
        "<ol>\n<li>Inscriptions en mars</li>",
        "<a href=\"https://fondation-sillage.example/atelier\">le site <strong>de la</strong> Fondation</a>",
        // The embedded image, with the description the author gave it.
        &image,
        "<h2>À propos de la Fondation Sillage</h2>",
        "<h2>Contact presse</h2>",
    ] {
        assert!(atelier.contains(expected), "{expected}\nnot in\n{atelier}");
    }
    assert!(!atelier.to_lowercase().contains("javascript"), "{atelier}");

    let berth = page("2024-01-15-harbour-trust-opens-a-shore-power-berth-for-ferries");
    for expected in [
        "<h2>What changes for the port</h2>",
        "<ol>\n<li>Trials in February</li>",
        "alt=\"The new shore power berth at dawn\"",
        "<h2>About the Harbour Trust</h2>",
        "<h2>Media contact</h2>",
        "<a href=\"../category/port/\">Port</a>",
    ] {
        assert!(berth.contains(expected), "{expected}\nnot in\n{berth}");
    }
    // The images are published beside the pages, byte for byte as embedded.
    for id in [
        "2024-03-12-la-fondation-sillage-ouvre-un-atelier-numerique-a-rennes",
        "2024-01-15-harbour-trust-opens-a-shore-power-berth-for-ferries",
    ] {
        let image = std::fs::read(workspace.path(&format!("public/releases/{id}/image1.png")))
            .expect("the image is published");
        assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"));
        let rss = workspace.read("public/rss.xml");
        assert!(
            rss.contains(&format!("<enclosure url=\"{BASE_URL}releases/{id}/image1.png\" length=\"{}\" type=\"image/png\"/>", image.len())),
            "{rss}"
        );
    }
}

/// A stored zip entry whose central directory says what `declared` says.
struct ZipEntry<'a> {
    name: &'a str,
    method: u16,
    data: &'a [u8],
    declared: u32,
}

/// A zip archive written by hand, so that declared sizes can lie.
fn zip(entries: &[ZipEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let offset = out.len() as u32;
        let header = |out: &mut Vec<u8>, signature: u32, central: bool| {
            out.extend(signature.to_le_bytes());
            if central {
                out.extend(20u16.to_le_bytes());
            }
            for value in [20u16, 0, entry.method, 0, 0x21] {
                out.extend(value.to_le_bytes());
            }
            out.extend(0u32.to_le_bytes()); // crc, never reached
            out.extend((entry.data.len() as u32).to_le_bytes());
            out.extend(entry.declared.to_le_bytes());
            out.extend((entry.name.len() as u16).to_le_bytes());
            out.extend(0u16.to_le_bytes());
        };
        header(&mut out, 0x0403_4b50, false);
        out.extend(entry.name.as_bytes());
        out.extend(entry.data);
        header(&mut central, 0x0201_4b50, true);
        for _ in 0..3 {
            central.extend(0u16.to_le_bytes());
        }
        central.extend(0u32.to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(entry.name.as_bytes());
    }
    let central_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(central_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A raw deflate stream of `chunks` MiB of zeros: one MiB compressed and
/// flushed, then repeated, so that building a bomb costs one MiB of work.
fn deflated_zeros(chunks: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let input = vec![0u8; 1 << 20];
    let mut compressor = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(64 * 1024);
    compressor
        .compress_vec(&input, &mut block, FlushCompress::Full)
        .unwrap();
    assert_eq!(compressor.total_in() as usize, input.len());
    let mut stream = Vec::with_capacity(block.len() * chunks + 2);
    for _ in 0..chunks {
        stream.extend_from_slice(&block);
    }
    stream.extend_from_slice(&[0x03, 0x00]);
    stream
}

#[test]
fn a_zip_bomb_a_lying_archive_and_a_truncated_word_file_are_rejected_with_reasons() {
    let workspace = TestWorkspace::new(&[]);
    // About 2 MB that would inflate to 2 GiB.
    let stream = deflated_zeros(2048);
    assert!(stream.len() < 3 << 20, "{} bytes", stream.len());
    let bomb = zip(&[ZipEntry {
        name: "word/document.xml",
        method: 8,
        data: &stream,
        declared: u32::MAX,
    }]);
    workspace.drop_file("bomb.docx", &bomb);
    // Declares 5 kB, holds 4 MiB.
    let liar_stream = deflated_zeros(4);
    let liar = zip(&[ZipEntry {
        name: "word/document.xml",
        method: 8,
        data: &liar_stream,
        declared: 5_000,
    }]);
    workspace.drop_file("liar.docx", &liar);
    let whole = fixture("libreoffice.docx");
    let truncated = &whole[..whole.len() / 2];
    workspace.drop_file("truncated.docx", truncated);
    workspace.drop_file("fine.txt", "Titre\n\nParis, 3 mars 2024\n\nTexte.\n");

    let started = std::time::Instant::now();
    let summary = workspace.publish(1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "refusing took {:?}",
        started.elapsed()
    );
    assert!(
        summary.contains("published 1,") && summary.contains("rejected 3"),
        "{summary}"
    );
    let note = workspace.read("rejected/bomb.docx.error.txt");
    assert!(note.contains("probable zip bomb"), "{note}");
    let note = workspace.read("rejected/liar.docx.error.txt");
    assert!(
        note.contains("holds more than the 5000 bytes it declares"),
        "{note}"
    );
    let note = workspace.read("rejected/truncated.docx.error.txt");
    assert!(
        note.contains("not a readable Word document (.docx)") && note.contains("truncated"),
        "{note}"
    );
    // Nothing lost: each file kept, byte for byte.
    assert_eq!(
        std::fs::read(workspace.path("rejected/bomb.docx")).unwrap(),
        bomb
    );
    assert_eq!(
        std::fs::read(workspace.path("rejected/liar.docx")).unwrap(),
        liar
    );
    assert_eq!(
        std::fs::read(workspace.path("rejected/truncated.docx")).unwrap(),
        truncated
    );
}

#[test]
fn the_article_of_a_saved_web_page_is_published_without_its_furniture() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file("atelier.html", fixture("press-page.html"));
    workspace.publish(0);
    read_every_feed(&workspace);
    let (page, _) = only_release(&workspace);
    assert!(
        page.contains("<h1>Un atelier numérique ouvre à Rennes</h1>"),
        "{page}"
    );
    assert!(
        page.contains("<strong>atelier numérique</strong>"),
        "{page}"
    );
    assert!(page.contains("<h2>Contact presse</h2>"), "{page}");
    let feeds = [
        workspace.read("public/atom.xml"),
        workspace.read("public/feed.json"),
        page,
    ];
    for output in &feeds {
        for furniture in [
            "cookies",
            "Tout accepter",
            "Nos projets",
            "Fil d'Ariane",
            "gtag",
            "G-TRACKER",
            "Restez informé",
            "Mentions légales",
            "Partager sur",
            "onclick",
            "javascript:",
        ] {
            assert!(!output.contains(furniture), "{furniture} in\n{output}");
        }
    }
}

#[test]
fn a_release_folder_with_two_photos_and_a_pdf_is_published_whole_and_rebuilt_identically() {
    let workspace = TestWorkspace::new(&[("time_zone", "\"Europe/Paris\"")]);
    let quay = jpeg(1, 40_000);
    let crane = jpeg(2, 1_500_000);
    let sheet = pdf("fiche technique");
    let announcement = "---\nlang: fr\nattachments:\n  - file: Quai à l'aube.jpg\n    alt: Le quai électrifié à l'aube\n    credit: \"Photo : Jeanne Roe\"\n  - file: fiche.pdf\n    caption: La fiche technique\n---\n\
         # Le port de Nantes électrifie son quai des ferries\n\n\
         NANTES, 3 mars 2024 – Le port ouvre un quai où les ferries coupent leurs moteurs.\n";
    workspace.drop_file("Port/quai-electrique/annonce.md", announcement);
    workspace.drop_file("Port/quai-electrique/Quai à l'aube.jpg", &quay);
    workspace.drop_file("Port/quai-electrique/grue.jpg", &crane);
    workspace.drop_file("Port/quai-electrique/fiche.pdf", &sheet);
    let summary = workspace.publish(0);
    assert!(summary.contains("published 1,"), "{summary}");
    assert_eq!(
        workspace.count_files("inbox"),
        0,
        "the folder is taken whole"
    );
    assert!(!workspace.inbox().join("Port/quai-electrique").exists());
    read_every_feed(&workspace);

    let (page, folder) = only_release(&workspace);
    // Published beside the page, byte for byte, under safe names.
    assert_eq!(
        std::fs::read(folder.join("quai-a-l-aube.jpg")).unwrap(),
        quay
    );
    assert_eq!(std::fs::read(folder.join("grue.jpg")).unwrap(), crane);
    assert_eq!(std::fs::read(folder.join("fiche.pdf")).unwrap(), sheet);
    // The page links them in the folder of its name, beside it.
    let id = folder.file_name().unwrap().to_string_lossy();
    for expected in [
        &format!(
            "<img src=\"{id}/quai-a-l-aube.jpg\" alt=\"Le quai électrifié à l&#39;aube\" loading=\"lazy\">"
        ),
        "<figcaption class=\"credit\">Photo : Jeanne Roe</figcaption>",
        &format!("<img src=\"{id}/grue.jpg\" alt=\"grue\" loading=\"lazy\">"),
        &format!(
            "<a href=\"{id}/fiche.pdf\" type=\"application/pdf\">La fiche technique</a> (PDF, {} octets)",
            sheet.len()
        ),
    ] {
        assert!(page.contains(expected), "{expected}\nnot in\n{page}");
    }
    // The release folder's name is no category; the folder above it is.
    let categories = read_feed(&workspace.public(), "atom.xml").feed.entries[0]
        .categories
        .iter()
        .map(|c| c.term.clone())
        .collect::<Vec<_>>();
    assert_eq!(categories, ["Port"]);
    assert!(!workspace.path("public/category/quai-electrique").exists());

    // Atom: an enclosure per file; RSS: the first photo; JSON Feed: all three.
    let url = |name: &str| format!("{}{name}", only_release_url(&workspace));
    let atom = workspace.read("public/category/port/atom.xml");
    for (name, size) in [
        ("quai-a-l-aube.jpg", quay.len()),
        ("fiche.pdf", sheet.len()),
        ("grue.jpg", crane.len()),
    ] {
        assert!(
            atom.contains(&format!("href=\"{}\" rel=\"enclosure\"", url(name))),
            "{atom}"
        );
        assert!(atom.contains(&format!("length=\"{size}\"")), "{atom}");
    }
    let rss = workspace.read("public/rss.xml");
    assert!(
        rss.contains(&format!(
            "<enclosure url=\"{}\" length=\"{}\" type=\"image/jpeg\"/>",
            url("quai-a-l-aube.jpg"),
            quay.len()
        )),
        "{rss}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&workspace.read("public/fr/feed.json")).unwrap();
    let attachments = json["items"][0]["attachments"].as_array().unwrap();
    let listed: Vec<(&str, &str, u64)> = attachments
        .iter()
        .map(|a| {
            (
                a["url"].as_str().unwrap(),
                a["mime_type"].as_str().unwrap(),
                a["size_in_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let (quay_url, sheet_url, crane_url) =
        (url("quai-a-l-aube.jpg"), url("fiche.pdf"), url("grue.jpg"));
    assert_eq!(
        listed,
        [
            (quay_url.as_str(), "image/jpeg", quay.len() as u64),
            (sheet_url.as_str(), "application/pdf", sheet.len() as u64),
            (crane_url.as_str(), "image/jpeg", crane.len() as u64),
        ]
    );

    // Disaster recovery: the store and every output lost, the archive alone
    // gives back the same bytes, attachments included.
    let before = workspace.snapshot("public");
    std::fs::remove_file(workspace.path("state/pressroom.db")).unwrap();
    std::fs::remove_dir_all(workspace.public()).unwrap();
    let output = workspace.run(&["rebuild"]);
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert_eq!(workspace.snapshot("public"), before);

    // The same folder dropped again is the same release, unchanged.
    workspace.drop_file("Port/quai-electrique/annonce.md", announcement);
    workspace.drop_file("Port/quai-electrique/Quai à l'aube.jpg", &quay);
    workspace.drop_file("Port/quai-electrique/grue.jpg", &crane);
    workspace.drop_file("Port/quai-electrique/fiche.pdf", &sheet);
    let summary = workspace.publish(0);
    assert!(summary.contains("unchanged 1"), "{summary}");
    // A new version without the crane photo: its file leaves public/.
    workspace.drop_file("Port/quai-electrique/annonce.md", announcement);
    workspace.drop_file("Port/quai-electrique/Quai à l'aube.jpg", &quay);
    workspace.drop_file("Port/quai-electrique/fiche.pdf", &sheet);
    let summary = workspace.publish(0);
    assert!(summary.contains("updated 1"), "{summary}");
    assert!(!folder.join("grue.jpg").exists());
    assert!(folder.join("fiche.pdf").exists());
    read_every_feed(&workspace);
    // A version without any file: the folder goes with its last file.
    workspace.drop_file(
        "Port/quai-electrique/annonce.md",
        "---\nlang: fr\n---\n# Le port de Nantes électrifie son quai des ferries\n\n\
         NANTES, 3 mars 2024 – Le port ouvre un quai, photos à venir.\n",
    );
    let summary = workspace.publish(0);
    assert!(summary.contains("updated 1"), "{summary}");
    assert!(!folder.exists(), "no folder without files");
    assert!(only_release(&workspace).0.contains("photos à venir"));
}

/// The URL of the folder of the only release's files.
fn only_release_url(workspace: &TestWorkspace) -> String {
    let page = &read_feed(&workspace.public(), "atom.xml").feed.entries[0].links[0].href;
    format!("{}/", page.strip_suffix(".html").expect("a page"))
}

#[test]
fn files_named_after_their_document_go_with_it() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "statement.txt",
        "Northwind adds three vessels\n\nTORONTO, May 16, 2023 — Northwind Mobility will add three vessels to its fleet.\n",
    );
    workspace.drop_file("statement.pdf", pdf("full statement"));
    workspace.drop_file("statement-photo.jpg", jpeg(3, 2_000));
    workspace.drop_file(
        "other.txt",
        "Another release\n\nLONDON, 2 May 2023 — Something else.\n",
    );
    workspace.publish(0);
    read_every_feed(&workspace);
    let id = "2023-05-16-northwind-adds-three-vessels";
    let page = workspace.read(&format!("public/releases/{id}.html"));
    assert!(
        page.contains(&format!(
            "<img src=\"{id}/statement-photo.jpg\" alt=\"statement photo\""
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<a href=\"{id}/statement.pdf\" type=\"application/pdf\">statement</a>"
        )),
        "{page}"
    );
    assert!(
        workspace
            .path(&format!("public/releases/{id}/statement-photo.jpg"))
            .is_file()
    );
    let other = workspace.read("public/releases/2023-05-02-another-release.html");
    assert!(!other.contains("attachments"), "{other}");
    assert!(
        !workspace
            .path("public/releases/2023-05-02-another-release")
            .exists(),
        "no folder for a release without files"
    );
    // The photo is the main attachment, though the PDF sorts first.
    let rss = workspace.read("public/rss.xml");
    assert!(rss.contains("statement-photo.jpg\" length="), "{rss}");
}

/// The archive is flushed after the store commits, so a power cut between
/// the two can lose archive names (or a copy's bytes) of releases whose
/// files are still in the inbox. Dropping the same files again (what the
/// next run finds) puts the missing and damaged ones back, whatever did it,
/// and publishes nothing new.
#[test]
fn archived_files_found_missing_are_put_back_from_the_same_files_dropped_again() {
    let workspace = TestWorkspace::new(&[]);
    let document_text = "Northwind adds three vessels\n\nTORONTO, May 16, 2023 — Northwind Mobility will add three vessels to its fleet.\n";
    let (photo, statement) = (jpeg(3, 2_000), pdf("full statement"));
    let drop_all = || {
        workspace.drop_file("statement.txt", document_text);
        workspace.drop_file("statement.pdf", &statement);
        workspace.drop_file("statement-photo.jpg", &photo);
    };
    drop_all();
    workspace.publish(0);
    let archive = workspace.path("archive");
    let archived_file = |name: &str| {
        support::walk(&archive)
            .into_iter()
            .find(|path| path.file_name().is_some_and(|n| n == name))
            .unwrap_or_else(|| panic!("{name} in the archive"))
    };
    let document = archived_file("statement.txt");
    let attachment = archived_file("statement-photo.jpg");
    let damaged = archived_file("statement.pdf");
    let archive_before = workspace.snapshot("archive");
    let public_before = workspace.snapshot("public");
    std::fs::remove_file(&document).unwrap();
    std::fs::remove_file(&attachment).unwrap();
    // Same size, other bytes: as a power cut can leave a copy.
    std::fs::write(&damaged, vec![0; statement.len()]).unwrap();

    drop_all();
    let summary = workspace.publish(0);
    assert!(
        summary.contains("published 0, updated 0, unchanged 1"),
        "{summary}"
    );
    assert_eq!(std::fs::read_to_string(&document).unwrap(), document_text);
    assert_eq!(std::fs::read(&attachment).unwrap(), photo);
    assert_eq!(std::fs::read(&damaged).unwrap(), statement);
    // Nothing else: no second copy under another name, nothing left behind.
    assert_eq!(workspace.snapshot("archive"), archive_before);
    assert_eq!(workspace.count_files("inbox"), 0);
    assert_eq!(workspace.snapshot("public"), public_before);
    // A rebuild from the archive finds every file again.
    let rebuilt = workspace.run(&["rebuild"]);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt.stderr));
    assert_eq!(workspace.snapshot("public"), public_before);
}

/// As above, when the names the files get again are not the ones they had
/// (another file took them since): the files go back to the stored names,
/// and the names made for them, with their folder, go.
#[test]
fn archived_files_found_missing_go_back_to_their_own_names() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "statement.txt",
        "An earlier statement\n\nTORONTO, May 2, 2023 — Something else.\n",
    );
    workspace.publish(0);
    let later = "Northwind adds three vessels\n\nTORONTO, May 16, 2023 — Northwind Mobility will add three vessels to its fleet.\n";
    let photo = jpeg(3, 2_000);
    workspace.drop_file("statement.txt", later);
    workspace.drop_file("statement-photo.jpg", &photo);
    workspace.publish(0);
    let archived: Vec<PathBuf> = support::walk(&workspace.path("archive"));
    let find = |name: &str| {
        archived
            .iter()
            .find(|path| path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} in {archived:?}"))
            .clone()
    };
    // The later release's names were taken by the earlier one's.
    let earlier = find("statement.txt");
    let document = find("statement-1.txt");
    let attachment = find("statement-1.txt.files/statement-photo.jpg");
    for path in [&earlier, &document, &attachment] {
        std::fs::remove_file(path).unwrap();
    }

    workspace.drop_file("statement.txt", later);
    workspace.drop_file("statement-photo.jpg", &photo);
    let summary = workspace.publish(0);
    assert!(
        summary.contains("published 0, updated 0, unchanged 1"),
        "{summary}"
    );
    assert_eq!(std::fs::read_to_string(&document).unwrap(), later);
    assert_eq!(std::fs::read(&attachment).unwrap(), photo);
    // The free names the files were given again are gone, folder and all;
    // the earlier release's original is still missing (its bytes were not
    // dropped again).
    let month = earlier.parent().unwrap();
    assert!(!earlier.exists());
    assert!(!month.join("statement.txt.files").exists());
    assert_eq!(workspace.count_files("inbox"), 0);
}

#[test]
fn an_attachment_over_the_limit_rejects_the_whole_release_and_loses_nothing() {
    let workspace = TestWorkspace::new(&[("max_bytes", "100000")]);
    let big = jpeg(4, 150_000);
    let small = jpeg(5, 1_000);
    let announcement = "Un titre\n\nLyon, 5 mai 2024\n\nUn texte.\n";
    workspace.drop_file("parc/annonce.txt", announcement);
    workspace.drop_file("parc/photo.jpg", &small);
    workspace.drop_file("parc/affiche.jpg", &big);
    workspace.drop_file("bilan.txt", "Bilan\n\nLyon, 6 mai 2024\n\nUn bilan.\n");
    workspace.drop_file("bilan-scan.pdf", "not a pdf at all");
    let summary = workspace.publish(1);
    assert!(
        summary.contains("published 0,") && summary.contains("rejected 2"),
        "{summary}"
    );
    let note = workspace.read("rejected/parc.error.txt");
    assert!(
        note.contains("Reason: the attachment 'affiche.jpg' is too large: 150022 bytes, the limit is 100000 bytes ([attachments] max_bytes)"),
        "{note}"
    );
    assert!(
        note.contains("The folder is kept here, unchanged, as \"parc/\"."),
        "{note}"
    );
    assert_eq!(
        std::fs::read(workspace.path("rejected/parc/affiche.jpg")).unwrap(),
        big
    );
    assert_eq!(
        std::fs::read(workspace.path("rejected/parc/photo.jpg")).unwrap(),
        small
    );
    assert_eq!(workspace.read("rejected/parc/annonce.txt"), announcement);
    let note = workspace.read("rejected/bilan.txt.error.txt");
    assert!(
        note.contains("the attachment 'bilan-scan.pdf' is not a file Pressroom publishes"),
        "{note}"
    );
    assert!(workspace.path("rejected/bilan-scan.pdf").is_file());
    // Nothing of either release was published or archived.
    assert_eq!(workspace.count_files("inbox"), 0);
    assert!(
        !workspace.path("public/releases").exists()
            || workspace.count_files("public/releases") == 0
    );
    assert_eq!(workspace.count_files("archive"), 0);
    let status = workspace.run(&["status"]);
    assert!(text(&status.stdout).contains("parc: the attachment 'affiche.jpg' is too large"));
}

#[test]
fn french_and_arabic_contact_blocks_are_sections_of_the_page_and_the_feeds() {
    let workspace = TestWorkspace::new(&[]);
    workspace.drop_file(
        "covoiturage.txt",
        "La Régie lance un service de covoiturage\n\n\
         Rennes, 20 septembre 2023\n\n\
         La Régie Ker-Mobilité lance un service de covoiturage entre les communes rurales.\n\n\
         - FIN -\n\n\
         À propos de la Régie Ker-Mobilité\n\n\
         La Régie Ker-Mobilité est un établissement public créé en 2016.\n\n\
         Contact presse :\n\
         Marie Dupont\n\
         marie.dupont@ker-mobilite.example\n\
         02 99 00 11 22\n",
    );
    workspace.drop_file(
        "tadrib.txt",
        "المركز العربي للطاقة المتجددة يطلق برنامجًا لتدريب ألف مهندس شاب\n\n\
         الرياض، 12 مارس 2023 - أطلق المركز العربي للطاقة المتجددة برنامجًا وطنيًا لتدريب ألف مهندس.\n\n\
         نبذة عن المركز العربي للطاقة المتجددة\n\n\
         المركز العربي للطاقة المتجددة مؤسسة غير ربحية تأسست عام 2010.\n\n\
         للتواصل الإعلامي:\n\
         سارة الحربي\n\
         media@arec.example\n\
         +966 11 000 0000\n",
    );
    workspace.publish(0);
    read_every_feed(&workspace);
    let french =
        workspace.read("public/releases/2023-09-20-la-regie-lance-un-service-de-covoiturage.html");
    for expected in [
        "<section class=\"about\" dir=\"ltr\">\n<h2>À propos de la Régie Ker-Mobilité</h2>\n<p>La Régie Ker-Mobilité est un établissement public créé en 2016.</p>",
        "<section class=\"contact\" dir=\"ltr\">\n<h2>Contact presse</h2>\n<p>Marie Dupont<br>\n<a href=\"mailto:marie.dupont@ker-mobilite.example\">marie.dupont@ker-mobilite.example</a><br>\n02 99 00 11 22</p>",
    ] {
        assert!(french.contains(expected), "{expected}\nnot in\n{french}");
    }
    let arabic_page = std::fs::read_dir(workspace.path("public/releases"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .find(|page| page.contains("lang=\"ar\""))
        .expect("the Arabic page");
    assert!(
        arabic_page.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{arabic_page}"
    );
    assert!(
        arabic_page.contains("<section class=\"contact\" dir=\"rtl\">\n<h2>للتواصل الإعلامي</h2>"),
        "{arabic_page}"
    );
    assert!(arabic_page.contains("<h2>نبذة عن المركز العربي للطاقة المتجددة</h2>"));

    // In feeds: after the body, never in the summary.
    let feed = read_feed(&workspace.public(), "feed.json").feed;
    for entry in &feed.entries {
        let content = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        let summary = entry
            .summary
            .as_ref()
            .map(|s| s.content.clone())
            .unwrap_or_default();
        let (contact, phone) = if content.contains("Dupont") {
            ("<h2>Contact presse</h2>", "02 99 00 11 22")
        } else {
            ("<h2>للتواصل الإعلامي</h2>", "+966 11 000 0000")
        };
        assert!(
            content.contains(contact) && content.contains(phone),
            "{content}"
        );
        assert!(!summary.contains(phone), "{summary}");
    }
    let atom = workspace.read("public/ar/atom.xml");
    assert!(
        atom.contains("&lt;section class=&quot;contact&quot; dir=&quot;rtl&quot;&gt;"),
        "{atom}"
    );
}

#[test]
fn check_reports_a_release_folder_with_its_attachments_and_sections() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("parc-eolien");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("annonce.md"),
        "---\nattachments:\n  - file: eolienne.jpg\n    alt: Une éolienne\n    credit: Photo Parc\n---\n\
         # Le parc éolien entre en service\n\nNantes, 3 mars 2024 – Le parc produit.\n\n\
         Contact presse :\nMarie Dupont\nmarie@parc.example\n",
    )
    .unwrap();
    std::fs::write(folder.join("eolienne.jpg"), jpeg(6, 500)).unwrap();
    std::fs::write(folder.join("fiche.pdf"), pdf("fiche")).unwrap();
    let output = support::pressroom_in(dir.path(), &["check", "--json", "parc-eolien"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "one release: {lines:?}");
    let release = &lines[0]["release"];
    assert_eq!(lines[0]["path"], "parc-eolien/annonce.md");
    assert_eq!(
        release["attachments"],
        serde_json::json!([
            {"file": "eolienne.jpg", "source": "eolienne.jpg", "type": "image/jpeg",
             "size": jpeg(6, 500).len(), "alt": "Une éolienne", "credit": "Photo Parc"},
            {"file": "fiche.pdf", "source": "fiche.pdf", "type": "application/pdf",
             "size": pdf("fiche").len(), "alt": "fiche", "credit": null},
        ])
    );
    assert_eq!(release["contact"]["heading"], "Contact presse");
    assert_eq!(
        release["contact"]["paragraphs"],
        serde_json::json!(["Marie Dupont\nmarie@parc.example"])
    );
    assert_eq!(release["about"], serde_json::Value::Null);

    // From inside the folder, naming the document and its photo: one release,
    // reported under the name it was given.
    let output = support::pressroom_in(&folder, &["check", "--json", "annonce.md", "eolienne.jpg"]);
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["path"], "annonce.md");
    assert_eq!(
        lines[0]["release"]["attachments"].as_array().unwrap().len(),
        2
    );

    let output = support::pressroom_in(dir.path(), &["check", "parc-eolien/annonce.md"]);
    let readable = text(&output.stdout);
    assert!(
        readable.contains(
            "attachment: eolienne.jpg (image/jpeg, 522 bytes) \"Une éolienne\", credit: Photo Parc"
        ),
        "{readable}"
    );
    assert!(
        readable.contains("contact:    Contact presse (1 paragraph(s))"),
        "{readable}"
    );

    // A bad attachment fails the check of its release, naming the file.
    std::fs::write(folder.join("plan.png"), pdf("not a png")).unwrap();
    let output = support::pressroom_in(dir.path(), &["check", "parc-eolien"]);
    assert_eq!(output.status.code(), Some(1));
    let readable = text(&output.stdout);
    assert!(
        readable.contains("the attachment 'plan.png' holds a PDF document"),
        "{readable}"
    );
}

#[test]
fn a_file_of_a_first_version_leaves_with_the_second_in_the_same_run() {
    let workspace = TestWorkspace::new(&[]);
    // Sorted names: the version with a PDF is ingested first.
    workspace.drop_file(
        "1-annonce.md",
        "---\nid: quai\n---\n# Le quai\n\nNANTES, 3 mars 2024 – Avec sa fiche.\n",
    );
    workspace.drop_file("1-annonce.pdf", pdf("fiche"));
    workspace.drop_file(
        "2-annonce.md",
        "---\nid: quai\n---\n# Le quai\n\nNANTES, 3 mars 2024 – Sans fiche.\n",
    );
    let summary = workspace.publish(0);
    assert!(summary.contains("published 1, updated 1"), "{summary}");
    assert!(
        workspace
            .read("public/releases/quai.html")
            .contains("Sans fiche")
    );
    assert!(
        !workspace.path("public/releases/quai").exists(),
        "the first version's file is gone, and its folder"
    );
    read_every_feed(&workspace);
}

//! Parse throughput on one core: `cargo bench -p pressroom-core --bench parse`.
//!
//! Three inputs: the repository's corpus (every publishable sample, French,
//! English, Arabic, text and Markdown), synthetic "typical" releases of about
//! 4 KB in plain text and Markdown, and the Word and web page fixtures of
//! `tests/data` (two producers' `.docx`, a full press page). Each is parsed
//! in rounds of at least half a second; the median round is reported in
//! releases/s and MB/s.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use pressroom_core::{ParseOptions, parse_release};

const ROUNDS: usize = 7;
const ROUND_TIME: Duration = Duration::from_millis(500);

fn main() {
    let corpus_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/releases");
    let mut corpus = Vec::new();
    for entry in std::fs::read_dir(&corpus_dir).expect("tests/corpus/releases exists") {
        let path = entry.expect("readable corpus entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).expect("readable corpus file");
        if parse_release(&name, &bytes, &ParseOptions::default()).is_ok() {
            corpus.push((name, bytes));
        }
    }
    measure("corpus (publishable samples)", &corpus);
    measure("typical 4 KB text releases", &synthetic("txt", 200));
    measure("typical 4 KB Markdown releases", &synthetic("md", 200));
    let data_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let fixture = |name: &str| {
        let bytes = std::fs::read(data_dir.join(name)).expect("readable fixture");
        (name.to_owned(), bytes)
    };
    measure(
        "Word documents (python-docx, LibreOffice)",
        &[fixture("python-docx.docx"), fixture("libreoffice.docx")],
    );
    measure("a full press web page", &[fixture("press-page.html")]);
}

fn measure(label: &str, inputs: &[(String, Vec<u8>)]) {
    let options = ParseOptions::default();
    let bytes_per_pass: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let mut rates = Vec::new();
    let mut throughputs = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut passes = 0usize;
        while start.elapsed() < ROUND_TIME {
            for (name, bytes) in inputs {
                let _ = black_box(parse_release(black_box(name), black_box(bytes), &options));
            }
            passes += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        rates.push((passes * inputs.len()) as f64 / seconds);
        throughputs.push((passes * bytes_per_pass) as f64 / seconds / 1e6);
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!(
        "{label}: {} files, mean {:.1} KB: median {:.0} releases/s, {:.1} MB/s (of {ROUNDS} rounds)",
        inputs.len(),
        bytes_per_pass as f64 / inputs.len() as f64 / 1e3,
        median(&mut rates),
        median(&mut throughputs),
    );
}

/// Deterministic releases of about 4 KB: a title, a dateline, six paragraphs.
fn synthetic(extension: &str, count: usize) -> Vec<(String, Vec<u8>)> {
    const WORDS: &[&str] = &[
        "la",
        "société",
        "annonce",
        "aujourd'hui",
        "un",
        "nouveau",
        "partenariat",
        "avec",
        "le",
        "leader",
        "mondial",
        "des",
        "solutions",
        "pour",
        "les",
        "entreprises",
        "en",
        "Europe",
        "croissance",
        "résultats",
        "forte",
        "demande",
        "investissement",
        "innovation",
        "plateforme",
        "lancement",
        "clients",
        "partenaires",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..count)
        .map(|i| {
            let mut text = String::new();
            if extension == "md" {
                text.push_str("# ");
            }
            text.push_str(&format!(
                "Annonce numéro {i} du groupe\n\nPARIS, le {} mars 2023 – ",
                1 + i % 28
            ));
            for paragraph in 0..6 {
                for word in 0..100 {
                    let w = WORDS[(next() % WORDS.len() as u64) as usize];
                    text.push_str(w);
                    text.push(if word % 12 == 11 { '\n' } else { ' ' });
                }
                text.push_str(if extension == "md" && paragraph == 2 {
                    "**fin**.\n\n"
                } else {
                    "fin.\n\n"
                });
            }
            (format!("release-{i}.{extension}"), text.into_bytes())
        })
        .collect()
}

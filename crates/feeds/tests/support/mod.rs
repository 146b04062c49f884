//! Shared test material: a site, three real releases (parsed from inline
//! texts by `pressroom_core::parse_release`) and the external validators.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, FixedOffset};
use pressroom_core::{Lang, ParseOptions, Release, parse_release};
use pressroom_feeds::{Entry, Site};

pub fn site() -> Site {
    Site {
        title: "Press releases".to_owned(),
        description: "News from the press office".to_owned(),
        base_url: "https://press.example.org/".to_owned(),
        lang: lang("en"),
        author_name: "Press Office".to_owned(),
        author_email: Some("press@example.org".to_owned()),
        generator: "Pressroom 0.1.0".to_owned(),
    }
}

pub fn lang(tag: &str) -> Lang {
    Lang::parse(tag).expect("a valid test language")
}

pub fn time(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("a valid test time")
}

pub fn parse(file_name: &str, text: &str) -> Release {
    match parse_release(file_name, text.as_bytes(), &ParseOptions::default()) {
        Ok(parsed) => parsed.release,
        Err(rejected) => panic!("test release {file_name} rejected: {}", rejected.error),
    }
}

/// A French text release with a dateline, two categories and a title full of
/// characters that XML and HTML treat specially.
pub const FRENCH: &str = "\
---
categories: [Énergie verte, Défense]
---
Le chef d'état-major <du Koweït> & la CIMCT : « hommage » à Riyad

RIYAD, le 24 mars 2022 – La Coalition islamique militaire contre le terrorisme a reçu jeudi le chef d'état-major de l'armée koweïtienne et la délégation qui l'accompagnait.

La réunion a permis de discuter des moyens de coopération conjointe entre les deux institutions, dans le respect des règles et lois internationales.
";

/// An English Markdown release with an author, relative links and `]]>`.
pub const ENGLISH: &str = "\
---
title: 'Tidal grants: <R&D> for \"coastal\" start-ups ]]> now'
date: 2024-02-20
lang: en
categories: [Energy, Grants]
author: Fiona MacAskill-Reid
---
ABERDEEN, 20 February 2024 – The Aberdeen Tidal Consortium has awarded grants totalling £4 million to eleven early-stage companies. Read the [annex](annexe.pdf) and see the ![logo](logo.png).

The successful projects include a sensor buoy, written `]]>` in the code, and [others](https://example.com/projects?a=1&b=2).
";

/// An Arabic text release with an Arabic comma in its dateline.
pub const ARABIC: &str = "\
المركز العربي للطاقة المتجددة يطلق برنامجًا لتدريب ألف مهندس شاب

الرياض، 12 مارس 2023 - أطلق المركز العربي للطاقة المتجددة اليوم برنامجًا تدريبيًا واسعًا يستهدف ألف مهندس ومهندسة من حديثي التخرج في مجالات الطاقة الشمسية وطاقة الرياح.

ويمتد البرنامج على مدى ثمانية عشر شهرًا، ويجمع بين الدراسة النظرية والتدريب الميداني في المحطات.
";

/// A release with what the store knows about it.
pub struct Stored {
    pub release: Release,
    pub tag_id: String,
    pub published: DateTime<FixedOffset>,
    pub updated: DateTime<FixedOffset>,
}

impl Stored {
    pub fn entry(&self) -> Entry<'_> {
        Entry {
            release: &self.release,
            tag_id: &self.tag_id,
            published: self.published,
            updated: self.updated,
            revision: 1,
        }
    }
}

/// The three releases, newest first, published in Paris time (winter and
/// summer offsets both appear).
pub fn releases() -> Vec<Stored> {
    let stored = |file: &str, text: &str, published: &str, updated: &str| {
        let release = parse(file, text);
        let day = release
            .date
            .map(|d| d.day().to_string())
            .unwrap_or_default();
        Stored {
            tag_id: format!("tag:press.example.org,{day}:{}", release.id),
            release,
            published: time(published),
            updated: time(updated),
        }
    };
    vec![
        stored(
            "grants.md",
            ENGLISH,
            "2024-02-20T08:00:00+01:00",
            "2024-07-01T12:00:00+02:00",
        ),
        stored(
            "riyad.txt",
            ARABIC,
            "2023-03-12T10:00:00+01:00",
            "2023-03-12T10:00:00+01:00",
        ),
        stored(
            "koweit.txt",
            FRENCH,
            "2022-03-24T10:30:00+01:00",
            "2022-03-25T09:15:00+01:00",
        ),
    ]
}

pub fn entries(stored: &[Stored]) -> Vec<Entry<'_>> {
    stored.iter().map(Stored::entry).collect()
}

/// A release whose every field holds characters XML 1.0 forbids, and `]]>`.
pub fn poisoned() -> Stored {
    let mut stored = releases().remove(2);
    let release = &mut stored.release;
    release
        .title
        .push_str(" \u{B}vertical tab\u{FFFE} ]]> <end>");
    release.summary.insert(0, '\u{0}');
    release.summary.push_str(" \u{FFFF}");
    release
        .body_html
        .push_str("<p>CDATA ends with ]]> here \u{B}\u{1F}\u{FFFE}.</p>");
    release.place = Some("RI\u{8}YAD".to_owned());
    release.categories.push("Cat\u{C}égorie".to_owned());
    release.author = Some("Jean\u{B} Dupont".to_owned());
    stored
}

/// Whether XML 1.0 allows the character (the `Char` production).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// An external validator, found on PATH.
pub struct Validator {
    program: PathBuf,
}

impl Validator {
    /// The tool, or `None` (with a "skipped" line on stderr) when it is not
    /// installed; fails instead when PRESSROOM_REQUIRE_VALIDATORS=1.
    pub fn find(name: &str) -> Option<Validator> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let found = std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file());
        match found {
            Some(program) => Some(Validator { program }),
            None if std::env::var("PRESSROOM_REQUIRE_VALIDATORS").as_deref() == Ok("1") => {
                panic!("{name} is not installed, and PRESSROOM_REQUIRE_VALIDATORS=1")
            }
            None => {
                eprintln!("skipped: {name} not installed");
                None
            }
        }
    }

    /// Runs the tool on `bytes` (written to a temporary file named `file_name`)
    /// and fails unless it exits with success and prints nothing.
    pub fn check(&self, args: &[&str], file_name: &str, bytes: &[u8]) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let file = dir.path().join(file_name);
        std::fs::File::create(&file)
            .and_then(|mut f| f.write_all(bytes))
            .expect("the feed is written");
        let output = Command::new(&self.program)
            .args(args)
            .arg(&file)
            .output()
            .expect("the validator runs");
        // Debian's jing wrapper script warns about optional jars it cannot
        // find; those lines say nothing about the document.
        let report: String = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .lines()
        .filter(|line| !(line.starts_with("[warning] ") && line.contains(": Unable to locate ")))
        .map(|line| format!("{line}\n"))
        .collect();
        assert!(
            output.status.success() && report.trim().is_empty(),
            "{} rejected {file_name}:\n{report}\n--- document ---\n{}",
            self.program.display(),
            String::from_utf8_lossy(bytes)
        );
    }
}

/// The Atom grammar (RFC 4287) kept in the repository.
pub fn atom_grammar() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/validators/atom.rnc")
}

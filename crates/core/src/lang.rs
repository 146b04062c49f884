//! Language detection for releases that do not say their language.
//!
//! Two steps. First a fast, sure answer for the common case: the text's
//! script (Arabic letters without Persian or Urdu ones are Arabic) or, for
//! Latin script, counts of the most frequent function words of the languages
//! press offices write in most; a clear winner is the answer. Otherwise
//! `whatlang` (trigrams, no model download) decides among a fixed set of
//! candidates. Detection reads only the title and the opening paragraphs.

use crate::error::Warning;
use crate::model::Lang;

/// How much text detection reads, in bytes: a title and a paragraph or two
/// are plenty, and detection is the costliest step of parsing.
const SAMPLE_BYTES: usize = 700;

/// The languages detection chooses among. Press offices publish in a known
/// set of languages; leaving out the rare ones makes detection both faster
/// and less likely to mistake a short French text for Catalan or Walloon.
/// Releases in other languages say so in front matter (`lang`).
const CANDIDATES: &[whatlang::Lang] = {
    use whatlang::Lang::*;
    &[
        Eng, Fra, Spa, Deu, Ita, Por, Nld, Pol, Ron, Swe, Dan, Nob, Fin, Ces, Hun, Tur, Ind, Vie,
        Ara, Pes, Urd, Heb, Rus, Ukr, Bul, Ell, Cmn, Jpn, Kor, Hin, Tha,
    ]
};

/// Detects the language of `title` and `paragraphs`, falling back to
/// `default` (with a warning) when the text gives no answer.
pub fn detect_language(
    title: &str,
    paragraphs: &[String],
    default: &Lang,
    warnings: &mut Vec<Warning>,
) -> Lang {
    let mut sample = String::with_capacity(SAMPLE_BYTES + 200);
    sample.push_str(title);
    for paragraph in paragraphs {
        if sample.len() >= SAMPLE_BYTES {
            break;
        }
        sample.push('\n');
        let room = SAMPLE_BYTES.saturating_sub(sample.len());
        let cut = paragraph
            .char_indices()
            .map(|(i, _)| i)
            .find(|&i| i >= room)
            .unwrap_or(paragraph.len());
        sample.push_str(&paragraph[..cut]);
    }
    if let Some(code) = quick_detect(&sample) {
        return Lang::parse(code).unwrap_or_else(|_| default.clone());
    }
    let detector = whatlang::Detector::with_allowlist(CANDIDATES.to_vec());
    let detected = detector.detect(&sample).and_then(|info| {
        let lang = Lang::parse(iso_639_1(info.lang())).ok()?;
        Some((lang, info.confidence(), info.is_reliable()))
    });
    match detected {
        Some((lang, confidence, reliable)) => {
            if !reliable {
                let confidence_percent = (confidence * 100.0).round().clamp(0.0, 100.0) as u8;
                warnings.push(Warning::UnsureLanguage {
                    detected: lang.to_string(),
                    confidence_percent,
                });
            }
            lang
        }
        None => {
            warnings.push(Warning::LanguageNotDetected {
                default: default.to_string(),
            });
            default.clone()
        }
    }
}

/// Function words: frequent in any text of the language. A word listed for
/// two languages counts for neither (see `quick_detect`).
const FUNCTION_WORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "and", "of", "to", "is", "in", "that", "for", "with", "will", "has", "its",
            "this", "from", "are", "by", "have", "which", "was", "be", "on", "said",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "des", "et", "du", "est", "une", "dans", "pour", "qui", "sur",
            "par", "au", "aux", "sont", "avec", "ses", "cette", "ont", "été", "de", "que", "ce",
            "leur",
        ],
    ),
    (
        "es",
        &[
            "el", "la", "los", "las", "del", "y", "que", "en", "por", "una", "con", "para", "es",
            "se", "su", "al", "sus", "como", "ha", "de", "han", "este", "esta",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "den", "dem", "mit", "für", "von", "auf", "ein",
            "eine", "sich", "nicht", "im", "zu", "des", "wird", "werden", "sind",
        ],
    ),
    (
        "it",
        &[
            "il", "della", "di", "che", "e", "per", "gli", "delle", "è", "nel", "con", "una",
            "sono", "alla", "dei", "lo", "nella", "anche", "ha",
        ],
    ),
    (
        "pt",
        &[
            "o", "os", "da", "do", "das", "dos", "em", "que", "uma", "para", "com", "não", "é",
            "na", "no", "pela", "pelo", "ao", "de",
        ],
    ),
    (
        "nl",
        &[
            "de", "het", "een", "van", "en", "is", "dat", "op", "voor", "met", "zijn", "niet",
            "ook", "aan", "worden", "wordt", "bij", "naar",
        ],
    ),
];

/// Each function word that belongs to exactly one language, with that
/// language's index in [`FUNCTION_WORDS`].
fn unique_function_words() -> &'static std::collections::HashMap<&'static str, usize> {
    static WORDS: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> =
        std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut owners: std::collections::HashMap<&'static str, Option<usize>> =
            std::collections::HashMap::new();
        for (index, (_, list)) in FUNCTION_WORDS.iter().enumerate() {
            for word in *list {
                owners
                    .entry(word)
                    .and_modify(|owner| *owner = None)
                    .or_insert(Some(index));
            }
        }
        owners
            .into_iter()
            .filter_map(|(word, owner)| owner.map(|index| (word, index)))
            .collect()
    })
}

/// A sure answer from the script or from function words, or `None` when the
/// text needs the trigram detector.
fn quick_detect(sample: &str) -> Option<&'static str> {
    let (mut arabic, mut latin, mut other, mut persian_or_urdu) = (0usize, 0usize, 0usize, false);
    for c in sample.chars().filter(|c| c.is_alphabetic()) {
        match c {
            'a'..='z' | 'A'..='Z' | '\u{C0}'..='\u{24F}' => latin += 1,
            'پ' | 'چ' | 'ژ' | 'گ' | 'ک' | 'ی' | 'ٹ' | 'ڈ' | 'ڑ' | 'ں' | 'ے' | 'ہ' => {
                arabic += 1;
                persian_or_urdu = true;
            }
            '\u{600}'..='\u{6FF}'
            | '\u{750}'..='\u{77F}'
            | '\u{FB50}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}' => arabic += 1,
            _ => other += 1,
        }
    }
    let letters = arabic + latin + other;
    if letters == 0 {
        return None;
    }
    if arabic * 10 >= letters * 8 {
        return (!persian_or_urdu).then_some("ar");
    }
    if latin * 10 < letters * 8 {
        return None;
    }
    let mut counts = [0usize; FUNCTION_WORDS.len()];
    let mut words = 0;
    let mut lower = String::with_capacity(32);
    for word in sample
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(150)
    {
        words += 1;
        if word.len() > 8 {
            continue; // no function word is that long
        }
        lower.clear();
        lower.extend(word.chars().flat_map(char::to_lowercase));
        // Only a word that belongs to one language is evidence for it.
        if let Some(&index) = unique_function_words().get(lower.as_str()) {
            counts[index] += 1;
        }
    }
    let mut ranked: Vec<(usize, usize)> = counts
        .iter()
        .copied()
        .enumerate()
        .map(|(i, n)| (n, i))
        .collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    let (best, index) = ranked[0];
    let second = ranked[1].0;
    // A clear winner: enough evidence, and far ahead of the runner-up.
    (best >= 4 && best * 20 >= words && best > second * 3).then(|| FUNCTION_WORDS[index].0)
}

/// The two-letter code of a language where ISO 639-1 has one, else its
/// three-letter code (both are valid BCP 47 primary tags).
fn iso_639_1(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Eng => "en",
        Fra => "fr",
        Ara => "ar",
        Spa => "es",
        Deu => "de",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Rus => "ru",
        Ukr => "uk",
        Pol => "pl",
        Tur => "tr",
        Heb => "he",
        Pes => "fa",
        Urd => "ur",
        Hin => "hi",
        Ben => "bn",
        Jpn => "ja",
        Kor => "ko",
        Cmn => "zh",
        Ell => "el",
        Bul => "bg",
        Ces => "cs",
        Slk => "sk",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Ron => "ro",
        Hun => "hu",
        Fin => "fi",
        Est => "et",
        Lav => "lv",
        Lit => "lt",
        Swe => "sv",
        Dan => "da",
        Nob => "nb",
        Cat => "ca",
        Epo => "eo",
        Lat => "la",
        Afr => "af",
        Ind => "id",
        Vie => "vi",
        Tha => "th",
        Tam => "ta",
        Tel => "te",
        Kan => "kn",
        Mal => "ml",
        Mar => "mr",
        Guj => "gu",
        Pan => "pa",
        Ori => "or",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Mya => "my",
        Kat => "ka",
        Hye => "hy",
        Aze => "az",
        Uzb => "uz",
        Tuk => "tk",
        Bel => "be",
        Amh => "am",
        Jav => "jv",
        Tgl => "tl",
        Cym => "cy",
        Zul => "zu",
        Sna => "sn",
        Aka => "ak",
        Yid => "yi",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> (String, usize) {
        let mut warnings = Vec::new();
        let lang = detect_language(text, &[], &Lang::parse("en").unwrap(), &mut warnings);
        (lang.to_string(), warnings.len())
    }

    #[test]
    fn the_five_languages_of_our_releases() {
        assert_eq!(detect("La Fondation annonce aujourd'hui la création d'un fonds destiné à soutenir les tiers-lieux dans les communes rurales.").0, "fr");
        assert_eq!(detect("The board of the Harbour Authority has approved a plan to install shore power connections at six berths.").0, "en");
        assert_eq!(detect("أطلق المركز العربي للطاقة المتجددة اليوم برنامجًا تدريبيًا واسعًا يستهدف ألف مهندس ومهندسة").0, "ar");
        assert_eq!(detect("La Fundación ha inaugurado hoy un centro de formación dedicado a los oficios tradicionales del patrimonio.").0, "es");
        assert_eq!(detect("Die Energiegenossenschaft startet ein Förderprogramm für steckerfertige Solaranlagen in den Berliner Bezirken.").0, "de");
    }

    #[test]
    fn the_quick_path_and_the_trigram_path_agree_on_clear_texts() {
        let texts = [
            (
                "fr",
                "La Fondation annonce aujourd'hui la création d'un fonds destiné à soutenir les tiers-lieux dans les communes rurales et les petites villes de la région.",
            ),
            (
                "en",
                "The board of the Harbour Authority has approved a plan to install shore power connections at six berths, and the work will start in the spring.",
            ),
            (
                "es",
                "La Fundación ha inaugurado hoy un centro de formación dedicado a los oficios tradicionales del patrimonio, con el apoyo de la ciudad y de la región.",
            ),
            (
                "de",
                "Die Energiegenossenschaft startet ein Förderprogramm für steckerfertige Solaranlagen, und die Mieter in den Bezirken erhalten einen Zuschuss von der Stadt.",
            ),
        ];
        for (code, text) in texts {
            assert_eq!(quick_detect(text), Some(code), "{text}");
            let trigrams = whatlang::Detector::with_allowlist(CANDIDATES.to_vec())
                .detect_lang(text)
                .map(iso_639_1);
            assert_eq!(trigrams, Some(code), "{text}");
        }
        assert_eq!(
            quick_detect("أطلق المركز العربي للطاقة المتجددة اليوم برنامجًا تدريبيًا"),
            Some("ar")
        );
        assert_eq!(
            quick_detect("این یک متن فارسی است که باید با روش دیگری تشخیص داده شود"),
            None,
            "Persian letters go to trigrams"
        );
        assert_eq!(
            quick_detect("Xyz qwv plo."),
            None,
            "no evidence, no quick answer"
        );
    }

    #[test]
    fn no_text_falls_back_to_the_default_with_a_warning() {
        assert_eq!(detect("1234 5678"), ("en".to_owned(), 1));
    }
}

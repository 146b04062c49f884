//! Language detection for releases that do not say their language.
//!
//! `whatlang` works on trigrams and needs no model download. We give it the
//! title and the opening paragraphs (a few hundred words are plenty and keep
//! parsing fast) and report its answer as an ISO 639-1 code where one exists.

use crate::error::Warning;
use crate::model::Lang;

/// How much text detection reads, in bytes.
const SAMPLE_BYTES: usize = 2_000;

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
        sample.push_str(paragraph);
    }
    let detected = whatlang::detect(&sample).and_then(|info| {
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
    fn no_text_falls_back_to_the_default_with_a_warning() {
        assert_eq!(detect("1234 5678"), ("en".to_owned(), 1));
    }
}

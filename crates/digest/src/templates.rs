//! The digest's text and HTML bodies and its subject, rendered with
//! `minijinja` from built-in templates that operators may override, as the
//! pages of `pressroom-feeds` are.
//!
//! `digest.txt` is rendered without escaping, `digest.html` with HTML
//! autoescaping (by extension); the subject is a template string of its own,
//! per digest, rendered without escaping and then put on one line. Overrides
//! are compiled and tried on a sample digest when loaded, so that a broken
//! template stops the daemon at start with its name and line.
//!
//! # What templates see
//!
//! `site` (`title`, `base_url`), `digest` (`name`, `description`),
//! `recipient` (`name`, `address`, `lang`, `dir`, `align`), `releases` (each
//! `title`, `url`, `date` (ISO 8601 day or empty), `date_text` (in the
//! release's language), `place`, `dateline`, `summary`, `lang`, `dir`,
//! `align`), `count`, `date_text` (today, in the recipient's language),
//! `unsubscribe_url` (the https link, else the mailto one), `subject` (in
//! the bodies only) and `labels` (`heading`, `new_releases`, `read_more`,
//! `none`, `why`, `unsubscribe`, in the recipient's language). The filter
//! `wrap(width)` breaks text into lines for the text part.

use minijinja::value::Serde;
use minijinja::{Environment, Value};
use pressroom_core::Lang;
pub use pressroom_templates::TemplateError;
use serde::Serialize;

const BUILTIN: [(&str, &str); 2] = [
    ("digest.txt", include_str!("../templates/digest.txt")),
    ("digest.html", include_str!("../templates/digest.html")),
];

/// The subject used when a digest's config gives none.
pub const DEFAULT_SUBJECT: &str = "{{ site.title }}: {{ labels.new_releases }}, {{ date_text }}";

/// The templates digests are rendered with.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Environment<'static>,
}

/// What a digest renders to, before it becomes a message.
pub(crate) struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Templates {
    /// The built-in templates.
    pub fn builtin() -> Templates {
        let mut env = environment();
        for (name, source) in BUILTIN {
            env.add_template(name, source)
                .expect("the built-in templates compile (tested)");
        }
        Templates { env }
    }

    /// The built-in templates with operator overrides: (name, source), names
    /// `digest.txt` and `digest.html` (and any template they extend or
    /// include). Compiles them and renders a sample digest, so that a broken
    /// template is an error now rather than at every send.
    pub fn with_overrides(overrides: Vec<(String, String)>) -> Result<Templates, TemplateError> {
        let mut templates = Templates::builtin();
        pressroom_templates::add_overrides(&mut templates.env, overrides)?;
        templates.render(DEFAULT_SUBJECT, &Context::sample())?;
        Ok(templates)
    }

    /// Checks a digest's subject template: compiles it and renders it for a
    /// sample digest. The daemon calls this when it loads its config.
    pub fn check_subject(&self, subject: &str) -> Result<(), TemplateError> {
        self.subject(subject, Value::from(Serde(Context::sample())))
            .map(drop)
    }

    pub(crate) fn render(
        &self,
        subject: &str,
        context: &Context,
    ) -> Result<Rendered, TemplateError> {
        // Converted once, shared by the three renders.
        let context = Value::from(Serde(context));
        let subject = self.subject(subject, context.clone())?;
        let with_subject = minijinja::context! { subject => subject.as_str(), ..context };
        let text = self.body("digest.txt", with_subject.clone())?;
        let html = self.body("digest.html", with_subject)?;
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }

    fn subject(&self, source: &str, context: Value) -> Result<String, TemplateError> {
        let subject = self
            .env
            .render_str(source, context)
            .map_err(|error| TemplateError::render("subject", error))?;
        Ok(crate::mime::one_line(&subject))
    }

    fn body(&self, name: &str, context: Value) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|error| TemplateError::render(name, error))?;
        template
            .render(context)
            .map_err(|error| TemplateError::render(name, error))
    }
}

/// The shared environment (see `pressroom-templates`), with the `wrap` filter.
fn environment() -> Environment<'static> {
    let mut env = pressroom_templates::environment();
    env.add_filter("wrap", wrap);
    env
}

/// The `wrap(width)` filter: breaks text at spaces into lines of at most
/// `width` characters (longer words stay whole).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width.max(1));
    for (index, paragraph) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let mut line_chars = 0;
        for word in paragraph.split(' ').filter(|word| !word.is_empty()) {
            let chars = word.chars().count();
            if line_chars > 0 && line_chars + 1 + chars > width {
                out.push('\n');
                line_chars = 0;
            }
            if line_chars > 0 {
                out.push(' ');
                line_chars += 1;
            }
            out.push_str(word);
            line_chars += chars;
        }
    }
    out
}

/// Everything a digest's templates see (see the module documentation).
#[derive(Serialize)]
pub(crate) struct Context {
    pub site: SiteContext,
    pub digest: DigestContext,
    pub recipient: RecipientContext,
    pub releases: Vec<ReleaseContext>,
    pub count: usize,
    pub date_text: String,
    pub unsubscribe_url: String,
    pub labels: Labels,
}

#[derive(Serialize)]
pub(crate) struct SiteContext {
    pub title: String,
    pub base_url: String,
}

#[derive(Serialize)]
pub(crate) struct DigestContext {
    pub name: String,
    pub description: String,
}

#[derive(Serialize)]
pub(crate) struct RecipientContext {
    pub name: String,
    pub address: String,
    pub lang: String,
    pub dir: &'static str,
    pub align: &'static str,
}

#[derive(Serialize)]
pub(crate) struct ReleaseContext {
    pub title: String,
    pub url: String,
    pub date: String,
    pub date_text: String,
    pub place: String,
    pub dateline: String,
    pub summary: String,
    pub lang: String,
    pub dir: &'static str,
    pub align: &'static str,
}

/// `left` or `right`: where text starts in `lang`.
pub(crate) fn align(lang: &Lang) -> &'static str {
    if lang.is_rtl() { "right" } else { "left" }
}

/// The words the built-in templates write themselves, in the recipient's
/// language (English for languages not listed).
#[derive(Serialize)]
pub(crate) struct Labels {
    pub heading: &'static str,
    pub new_releases: &'static str,
    pub read_more: &'static str,
    pub none: &'static str,
    pub why: &'static str,
    pub unsubscribe: &'static str,
    /// Between a dateline's place and date.
    pub comma: &'static str,
}

impl Labels {
    pub(crate) fn for_lang(lang: &Lang) -> Labels {
        let [heading, new_releases, read_more, none, why, unsubscribe] = match lang.primary() {
            "fr" => [
                "Communiqués de presse",
                "nouveaux communiqués",
                "Lire le communiqué",
                "Aucun nouveau communiqué.",
                "Vous recevez ce message car vous êtes abonné à ce récapitulatif.",
                "Se désabonner",
            ],
            "es" => [
                "Comunicados de prensa",
                "nuevos comunicados",
                "Leer el comunicado",
                "No hay comunicados nuevos.",
                "Recibe este mensaje porque está suscrito a este resumen.",
                "Darse de baja",
            ],
            "de" => [
                "Pressemitteilungen",
                "neue Pressemitteilungen",
                "Pressemitteilung lesen",
                "Keine neuen Pressemitteilungen.",
                "Sie erhalten diese Nachricht, weil Sie diese Übersicht abonniert haben.",
                "Abbestellen",
            ],
            "ar" => [
                "بيانات صحفية",
                "بيانات صحفية جديدة",
                "اقرأ البيان",
                "لا توجد بيانات صحفية جديدة.",
                "تصلك هذه الرسالة لأنك مشترك في هذه النشرة.",
                "إلغاء الاشتراك",
            ],
            _ => [
                "Press releases",
                "new press releases",
                "Read the release",
                "No new press releases.",
                "You are receiving this message because you subscribed to this digest.",
                "Unsubscribe",
            ],
        };
        Labels {
            heading,
            new_releases,
            read_more,
            none,
            why,
            unsubscribe,
            comma: if lang.primary() == "ar" { "، " } else { ", " },
        }
    }
}

impl Context {
    /// A digest of one release, to try templates on.
    fn sample() -> Context {
        let lang = Lang::parse("en").expect("a valid constant");
        Context {
            site: SiteContext {
                title: "Press releases".to_owned(),
                base_url: "https://press.example.org/".to_owned(),
            },
            digest: DigestContext {
                name: "weekly".to_owned(),
                description: "Weekly digest".to_owned(),
            },
            recipient: RecipientContext {
                name: "Jean Dupont".to_owned(),
                address: "jean@example.org".to_owned(),
                lang: lang.to_string(),
                dir: "ltr",
                align: "left",
            },
            releases: vec![ReleaseContext {
                title: "Sample release".to_owned(),
                url: "https://press.example.org/releases/sample.html".to_owned(),
                date: "2022-03-24".to_owned(),
                date_text: "24 March 2022".to_owned(),
                place: "PARIS".to_owned(),
                dateline: "PARIS, 24 March 2022".to_owned(),
                summary: "A sample.".to_owned(),
                lang: lang.to_string(),
                dir: "ltr",
                align: "left",
            }],
            count: 1,
            date_text: "24 March 2022".to_owned(),
            unsubscribe_url: "https://press.example.org/unsubscribe?token=sample".to_owned(),
            labels: Labels::for_lang(&lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_templates_render_the_sample() {
        let rendered = Templates::builtin()
            .render(DEFAULT_SUBJECT, &Context::sample())
            .expect("renders");
        assert_eq!(
            rendered.subject,
            "Press releases: new press releases, 24 March 2022"
        );
        assert!(rendered.text.contains("Sample release"));
        assert!(
            rendered
                .html
                .contains("href=\"https://press.example.org/releases/sample.html\"")
        );
    }

    #[test]
    fn broken_overrides_are_refused_with_their_name_and_line() {
        let error = Templates::with_overrides(vec![(
            "digest.html".to_owned(),
            "<p>\n{{ releases | nope }}</p>".to_owned(),
        )])
        .expect_err("an unknown filter");
        let message = error.to_string();
        assert!(message.contains("digest.html"), "{message}");
        assert!(message.contains("line 2"), "{message}");
        assert!(Templates::builtin().check_subject("{{ site.title").is_err());
    }

    #[test]
    fn wrap_breaks_at_spaces_within_the_width() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            "averyveryverylongword\nx"
        );
        assert_eq!(wrap("a\n\nb", 10), "a\n\nb");
    }

    #[test]
    fn templates_and_errors_can_cross_threads() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Templates>();
        check::<TemplateError>();
    }
}

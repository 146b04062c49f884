//! The unsubscribe endpoint: where the links in every digest lead.
//!
//! `…/unsubscribe?list=NAME&address=ADDR&lang=LANG&token=TOKEN`. The token
//! is the HMAC of the address and the list's name (see
//! `pressroom_digest::token`), so a link works only for the address it was
//! sent to: a forged token, or a token replayed with another address, is
//! refused (403). `lang` only picks the language of the page.
//!
//! - `POST` is RFC 8058's one-click unsubscribe, sent by the mail client
//!   itself (body `List-Unsubscribe=One-Click`): the address is suppressed
//!   and a short text answers.
//! - `GET` is the same link opened in a browser: the address is suppressed
//!   and a small page in the subscriber's language confirms it.
//!
//! Either way the address goes on the store's suppression list, which every
//! later digest honours. Doing it twice is harmless.

use std::path::PathBuf;

use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use pressroom_digest::{Address, Secret, token};
use pressroom_store::{Store, SuppressionSource};

/// What the endpoint needs from the settings.
#[derive(Debug, Clone)]
pub struct UnsubscribeConfig {
    pub secret: Secret,
    pub store_path: PathBuf,
    /// Where the journal is: unsubscriptions are written there too.
    pub archive: PathBuf,
    pub site_title: String,
    /// The path of the configured unsubscribe URL (`/unsubscribe`).
    pub path: String,
}

impl UnsubscribeConfig {
    pub fn from_settings(settings: &crate::config::Settings) -> Option<UnsubscribeConfig> {
        let email = settings.email.as_ref()?;
        let after_scheme = email
            .unsubscribe_url
            .split_once("://")
            .map_or(email.unsubscribe_url.as_str(), |(_, rest)| rest);
        let path = after_scheme
            .find('/')
            .map_or("/", |start| &after_scheme[start..]);
        Some(UnsubscribeConfig {
            secret: email.secret.clone(),
            store_path: settings.store_path(),
            archive: settings.archive.clone(),
            site_title: settings.site.title.clone(),
            path: path.to_owned(),
        })
    }

    /// Whether a request for `path` is for the endpoint.
    pub fn handles(&self, path: &str) -> bool {
        path == self.path || path == "/unsubscribe"
    }
}

/// The parameters of a link.
#[derive(Debug, Default, PartialEq, Eq)]
struct Link {
    list: String,
    address: String,
    lang: String,
    token: String,
}

fn parse_query(query: &str) -> Link {
    let mut link = Link::default();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = super::serve::percent_decode(&value.replace('+', " ")).unwrap_or_default();
        match key {
            "list" => link.list = value,
            "address" => link.address = value,
            "lang" => link.lang = value,
            "token" => link.token = value,
            _ => {}
        }
    }
    link
}

/// Answers a request for the endpoint.
pub async fn respond(config: UnsubscribeConfig, method: &Method, query: &str) -> Response {
    let link = parse_query(query);
    let words = Words::for_lang(&link.lang);
    if method != Method::GET && method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, POST")],
            "method not allowed\n",
        )
            .into_response();
    }
    let Ok(address) = Address::parse(&link.address) else {
        return page(
            StatusCode::BAD_REQUEST,
            &words,
            &config,
            words.invalid,
            method,
        );
    };
    if link.list.is_empty()
        || !token::verify(&config.secret, address.as_str(), &link.list, &link.token)
    {
        tracing::warn!(address = %address, list = %link.list, "refused an unsubscribe link with an invalid token");
        return page(
            StatusCode::FORBIDDEN,
            &words,
            &config,
            words.invalid,
            method,
        );
    }
    let source = if method == Method::POST {
        SuppressionSource::OneClick
    } else {
        SuppressionSource::Link
    };
    let store_path = config.store_path.clone();
    let archive = config.archive.clone();
    let list = link.list.clone();
    let recorded_address = address.clone();
    let recorded = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&store_path)?;
        crate::digests::record_unsubscribe(
            &archive,
            &mut store,
            &recorded_address,
            Some(&list),
            source,
            Utc::now(),
        )
    })
    .await;
    match recorded {
        Ok(Ok(added)) => {
            if added {
                tracing::info!(address = %address, list = %link.list, "unsubscribed ({})", if method == Method::POST { "one-click" } else { "link" });
            }
            page(StatusCode::OK, &words, &config, words.done, method)
        }
        Ok(Err(error)) => {
            tracing::error!("cannot record an unsubscription of {address}: {error:#}");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                &words,
                &config,
                words.failed,
                method,
            )
        }
        Err(error) => {
            tracing::error!("the unsubscribe task failed: {error}");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                &words,
                &config,
                words.failed,
                method,
            )
        }
    }
}

/// A short page (GET) or plain text (POST, read by mail clients, not people).
fn page(
    status: StatusCode,
    words: &Words,
    config: &UnsubscribeConfig,
    message: &str,
    method: &Method,
) -> Response {
    let message = message.replace("{site}", &config.site_title);
    if method == Method::POST {
        return (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{message}\n"),
        )
            .into_response();
    }
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title}</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;line-height:1.5;color:#222}}</style>\n\
         </head>\n<body>\n<h1>{title}</h1>\n<p>{message}</p>\n</body>\n</html>\n",
        lang = words.lang,
        dir = if words.lang == "ar" { "rtl" } else { "ltr" },
        title = escape(&config.site_title),
        message = escape(&message),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// The page's sentences in one language.
struct Words {
    lang: &'static str,
    done: &'static str,
    invalid: &'static str,
    failed: &'static str,
}

impl Words {
    fn for_lang(tag: &str) -> Words {
        let primary = tag
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Words {
                lang: "fr",
                done: "Votre désinscription est enregistrée : vous ne recevrez plus les lettres d'information de {site}.",
                invalid: "Ce lien de désinscription n'est pas valide. Utilisez le lien du dernier message reçu, ou répondez-y pour demander votre désinscription.",
                failed: "Votre désinscription n'a pas pu être enregistrée pour l'instant. Réessayez dans quelques minutes.",
            },
            "ar" => Words {
                lang: "ar",
                done: "تم إلغاء اشتراكك: لن تصلك بعد الآن النشرات البريدية من {site}.",
                invalid: "رابط إلغاء الاشتراك هذا غير صالح. استخدم الرابط الوارد في آخر رسالة وصلتك، أو رُدّ عليها لطلب إلغاء الاشتراك.",
                failed: "تعذّر تسجيل إلغاء اشتراكك الآن. يُرجى المحاولة بعد بضع دقائق.",
            },
            "es" => Words {
                lang: "es",
                done: "Se ha registrado su baja: ya no recibirá los boletines de {site}.",
                invalid: "Este enlace de baja no es válido. Use el enlace del último mensaje recibido o respóndalo para pedir la baja.",
                failed: "No se ha podido registrar su baja por ahora. Inténtelo de nuevo en unos minutos.",
            },
            "de" => Words {
                lang: "de",
                done: "Ihre Abmeldung ist gespeichert: Sie erhalten keine Newsletter von {site} mehr.",
                invalid: "Dieser Abmeldelink ist ungültig. Verwenden Sie den Link aus der letzten Nachricht oder antworten Sie darauf, um sich abzumelden.",
                failed: "Ihre Abmeldung konnte gerade nicht gespeichert werden. Bitte versuchen Sie es in einigen Minuten erneut.",
            },
            _ => Words {
                lang: "en",
                done: "You are unsubscribed: you will receive no more digests from {site}.",
                invalid: "This unsubscribe link is not valid. Use the link in the latest message you received, or reply to it to ask to be unsubscribed.",
                failed: "Your unsubscription could not be recorded just now. Please try again in a few minutes.",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_read_back_as_written() {
        let link = parse_query("list=daily&address=jean%2Bnews%40example.org&lang=fr&token=abc-_1");
        assert_eq!(
            link,
            Link {
                list: "daily".into(),
                address: "jean+news@example.org".into(),
                lang: "fr".into(),
                token: "abc-_1".into(),
            }
        );
        assert_eq!(parse_query(""), Link::default());
    }

    #[test]
    fn pages_speak_the_subscribers_language() {
        assert_eq!(Words::for_lang("fr-CA").lang, "fr");
        assert_eq!(Words::for_lang("ar").lang, "ar");
        assert_eq!(Words::for_lang("zz").lang, "en");
        assert_eq!(Words::for_lang("").lang, "en");
    }
}

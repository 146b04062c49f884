//! `--serve`: a small HTTP server for `public/`, so that a demo or a small
//! press office needs no web server of its own.
//!
//! It serves files only from `public/`, whatever the request's path holds
//! (`..`, encoded dots, links pointing out), with the media types feed
//! readers expect, validators (ETag, Last-Modified) so that readers polling
//! every few minutes get a `304 Not Modified`, and gzip when asked for.
//! When digests are on, it also answers their unsubscribe links (see
//! `unsubscribe.rs`).

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use pressroom_core::ReleaseId;
use pressroom_feeds::{release_folder_path, release_page_path};

use super::unsubscribe::UnsubscribeConfig;

/// What the server needs to know; a reload replaces it.
#[derive(Debug)]
pub struct ServeState {
    current: std::sync::RwLock<Served>,
}

#[derive(Debug, Clone)]
struct Served {
    public: PathBuf,
    unsubscribe: Option<UnsubscribeConfig>,
}

impl ServeState {
    pub fn new(settings: &crate::config::Settings) -> ServeState {
        ServeState {
            current: std::sync::RwLock::new(Served::from_settings(settings)),
        }
    }

    /// Takes the settings of a reload.
    pub fn update(&self, settings: &crate::config::Settings) {
        let served = Served::from_settings(settings);
        match self.current.write() {
            Ok(mut current) => *current = served,
            Err(poisoned) => *poisoned.into_inner() = served,
        }
    }

    fn get(&self) -> Served {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl Served {
    fn from_settings(settings: &crate::config::Settings) -> Served {
        Served {
            public: settings.public.clone(),
            unsubscribe: UnsubscribeConfig::from_settings(settings),
        }
    }
}

/// The router serving `public/`.
pub fn router(state: Arc<ServeState>) -> Router {
    Router::new().fallback(serve_file).with_state(state)
}

async fn serve_file(State(state): State<Arc<ServeState>>, request: Request<Body>) -> Response {
    let served = state.get();
    if let Some(unsubscribe) = served.unsubscribe
        && unsubscribe.handles(request.uri().path())
    {
        let query = request.uri().query().unwrap_or_default().to_owned();
        return super::unsubscribe::respond(unsubscribe, request.method(), &query).await;
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "method not allowed\n",
        )
            .into_response();
    }
    let head = request.method() == Method::HEAD;
    let raw_path = request.uri().path().to_owned();
    let Some(relative) = safe_relative_path(&raw_path) else {
        return (StatusCode::BAD_REQUEST, "bad path\n").into_response();
    };
    let public = served.public;
    let headers = request.headers().clone();
    match tokio::task::spawn_blocking(move || {
        respond(&public, &relative, &raw_path, &headers, head)
    })
    .await
    {
        Ok(response) => response,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The request path as a relative path with only normal components, after
/// percent-decoding; `None` for anything that tries to leave the folder or
/// reach a hidden file.
pub fn safe_relative_path(raw: &str) -> Option<PathBuf> {
    let decoded = percent_decode(raw)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return None;
    }
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            hidden if hidden.starts_with('.') => return None,
            normal => relative.push(normal),
        }
    }
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(relative)
}

/// Decodes `%XX` escapes; `None` for a broken escape or bytes that are not UTF-8.
pub fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = raw.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Where a release's page lay before pages were files (`releases/<id>/`)
/// leads to its page now (`releases/<id>.html`): links in digests sent,
/// readers and other sites keep working even where the redirect page the
/// upgrade left there is gone (`public/` wiped and rendered again, say).
/// `None` for any other path, or when the folder holds a page of its own.
fn moved_release_page(public: &Path, relative: &Path, raw_path: &str) -> Option<String> {
    let id = ReleaseId::parse(relative.file_name()?.to_str()?).ok()?;
    let (folder, page) = (release_folder_path(&id), release_page_path(&id));
    if relative != Path::new(&folder) || public.join(relative).join("index.html").is_file() {
        return None;
    }
    // The page's address is the folder's with the page's ending (`.html`).
    let ending = page.strip_prefix(folder.as_str())?;
    public
        .join(&page)
        .is_file()
        .then(|| format!("{}{ending}", raw_path.trim_end_matches('/')))
}

fn respond(
    public: &Path,
    relative: &Path,
    raw_path: &str,
    headers: &HeaderMap,
    head: bool,
) -> Response {
    if let Some(location) = moved_release_page(public, relative, raw_path) {
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response();
    }
    let mut path = public.join(relative);
    if path.is_dir() {
        if !raw_path.ends_with('/') {
            let location = format!("{raw_path}/");
            return (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, location)],
            )
                .into_response();
        }
        path = path.join("index.html");
    }
    // Links inside public/ must not lead out of it.
    let (Ok(real), Ok(root)) = (path.canonicalize(), public.canonicalize()) else {
        return not_found();
    };
    if !real.starts_with(&root) {
        return not_found();
    }
    let Ok(metadata) = std::fs::metadata(&real) else {
        return not_found();
    };
    if !metadata.is_file() {
        return not_found();
    }
    let modified = DateTime::<Utc>::from_timestamp(metadata.mtime(), 0).unwrap_or_default();
    let etag = format!(
        "\"{:x}-{:x}{:x}\"",
        metadata.len(),
        metadata.mtime(),
        metadata.mtime_nsec()
    );
    let last_modified = modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let media_type = media_type(&real);
    let gzip = accepts_gzip(headers) && is_compressible(media_type) && metadata.len() > 256;
    let etag = if gzip {
        format!("{}-gzip\"", etag.trim_end_matches('"'))
    } else {
        etag
    };

    let mut response_headers = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            response_headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, media_type);
    set(header::ETAG, &etag);
    set(header::LAST_MODIFIED, &last_modified);
    set(header::CACHE_CONTROL, "public, max-age=60");
    set(header::VARY, "Accept-Encoding");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");

    if not_modified(headers, &etag, modified) {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    let Ok(mut bytes) = std::fs::read(&real) else {
        return not_found();
    };
    if gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        if encoder.write_all(&bytes).is_ok()
            && let Ok(compressed) = encoder.finish()
        {
            bytes = compressed;
            set_header(&mut response_headers, header::CONTENT_ENCODING, "gzip");
        }
    }
    set_header(
        &mut response_headers,
        header::CONTENT_LENGTH,
        &bytes.len().to_string(),
    );
    let body = if head {
        Body::empty()
    } else {
        Body::from(bytes)
    };
    (StatusCode::OK, response_headers, body).into_response()
}

fn set_header(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

/// `If-None-Match` wins over `If-Modified-Since` (RFC 9110 §13.2.2).
fn not_modified(headers: &HeaderMap, etag: &str, modified: DateTime<Utc>) -> bool {
    if let Some(value) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| modified <= since.to_utc())
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|value| {
            value.split(',').any(|coding| {
                let mut parts = coding.split(';').map(str::trim);
                let name = parts.next().unwrap_or_default();
                let refused =
                    parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
                (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
            })
        })
}

fn is_compressible(media_type: &str) -> bool {
    media_type.starts_with("text/") || media_type.contains("xml") || media_type.contains("json")
}

/// The media type of a file in `public/`: the feed types readers expect.
pub fn media_type(path: &Path) -> &'static str {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match name.as_str() {
        "atom.xml" => return "application/atom+xml",
        "rss.xml" => return "application/rss+xml",
        "feed.json" => return "application/feed+json",
        _ => {}
    }
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_public() {
        assert_eq!(
            safe_relative_path("/fr/atom.xml"),
            Some(PathBuf::from("fr/atom.xml"))
        );
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
        for bad in [
            "/../etc/passwd",
            "/fr/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc",
            "/a/%00",
            "/.state",
            "/..%5c..%5cetc",
            "/%zz",
        ] {
            assert_eq!(safe_relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn feeds_have_their_media_types() {
        assert_eq!(
            media_type(Path::new("public/atom.xml")),
            "application/atom+xml"
        );
        assert_eq!(
            media_type(Path::new("public/fr/rss.xml")),
            "application/rss+xml"
        );
        assert_eq!(media_type(Path::new("feed.json")), "application/feed+json");
        assert_eq!(
            media_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
    }

    #[test]
    fn gzip_is_used_only_when_asked_for() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip"),
        );
        assert!(accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&headers));
    }
}

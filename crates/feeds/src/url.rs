//! Absolute links inside release bodies.
//!
//! A release's HTML may hold relative links (`href="annexe.pdf"`,
//! `src="/logo.png"`). They mean nothing in a feed reader, which shows the
//! content away from the site, so every `href`, `src` and `cite` is resolved
//! (RFC 3986) before the HTML goes anywhere: against the release's folder,
//! which holds its attachments (`annexe.pdf` is the one of that name), and a
//! link within the page (`#note-1`) against the page itself.
//!
//! The HTML comes from `ammonia`, so it is well formed; the scanner still
//! accepts any quoting and leaves whatever it does not understand unchanged.

use url::Url;

/// Attributes whose value is a URL, among those the sanitizer keeps.
const URL_ATTRIBUTES: &[&str] = &["href", "src", "cite"];

/// Where a release's relative links lead: `folder` is the base of links
/// to other documents, `page` the document a link within it (`#note-1`,
/// or an empty one) means. Both are absolute URLs.
pub(crate) struct LinkBase<'a> {
    pub folder: &'a str,
    pub page: &'a str,
}

/// The parsed [`LinkBase`].
struct Bases {
    folder: Url,
    page: Url,
}

/// `html` with every relative link made absolute against `base`. Returns
/// `html` unchanged if the base is not made of absolute URLs.
pub(crate) fn absolutize_html(html: &str, base: &LinkBase<'_>) -> String {
    let (Ok(folder), Ok(page)) = (Url::parse(base.folder), Url::parse(base.page)) else {
        return html.to_owned();
    };
    let base = Bases { folder, page };
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").map_or(rest.len(), |i| 4 + i + 3);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if rest[1..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            rest = copy_start_tag(rest, &base, &mut out);
        } else {
            out.push('<');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Copies the start tag at the beginning of `tag` into `out`, rewriting URL
/// attributes, and returns what follows it.
fn copy_start_tag<'a>(tag: &'a str, base: &Bases, out: &mut String) -> &'a str {
    let name_end = tag[1..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .map_or(tag.len(), |i| i + 1);
    out.push_str(&tag[..name_end]);
    let mut rest = &tag[name_end..];
    loop {
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        out.push_str(&rest[..rest.len() - trimmed.len()]);
        rest = trimmed;
        if rest.is_empty() {
            return rest;
        }
        if let Some(after) = rest.strip_prefix('>') {
            out.push('>');
            return after;
        }
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(rest.len())
            .max(1);
        let name = &rest[..name_len];
        let after_name = &rest[name_len..];
        let after_spaces = after_name.trim_start();
        let Some(after_equals) = after_spaces.strip_prefix('=') else {
            // An attribute without a value.
            out.push_str(name);
            rest = after_name;
            continue;
        };
        let value_start = after_equals.trim_start();
        let (raw, after_value) = match value_start.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let inner = &value_start[1..];
                match inner.find(quote) {
                    Some(end) => (&inner[..end], &inner[end + 1..]),
                    None => (inner, ""),
                }
            }
            _ => {
                let end = value_start
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(value_start.len());
                (&value_start[..end], &value_start[end..])
            }
        };
        if URL_ATTRIBUTES.iter().any(|a| a.eq_ignore_ascii_case(name)) {
            let url = resolve(base, &decode_entities(raw));
            out.push_str(name);
            out.push_str("=\"");
            out.push_str(&escape_attribute(&url));
            out.push('"');
        } else {
            out.push_str(&rest[..rest.len() - after_value.len()]);
        }
        rest = after_value;
    }
}

/// `href` resolved against `base`; absolute URLs (any scheme) are kept as
/// they are, and a link that cannot be resolved is left alone.
fn resolve(base: &Bases, href: &str) -> String {
    let href = href.trim();
    let against = if href.is_empty() || href.starts_with('#') {
        &base.page
    } else {
        &base.folder
    };
    match Url::parse(href) {
        Ok(_) => href.to_owned(),
        Err(url::ParseError::RelativeUrlWithoutBase) => against
            .join(href)
            .map_or_else(|_| href.to_owned(), String::from),
        Err(_) => href.to_owned(),
    }
}

/// Decodes the character references that can appear in an attribute value.
/// Unknown named references are kept as written.
fn decode_entities(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let name = &rest[1..semi];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .map_or_else(
                        || name.strip_prefix('#').and_then(|d| d.parse::<u32>().ok()),
                        |hex| u32::from_str_radix(hex, 16).ok(),
                    )
                    .and_then(char::from_u32),
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: LinkBase<'static> = LinkBase {
        folder: "https://press.example.org/releases/2022-03-24-le-chef/",
        page: "https://press.example.org/releases/2022-03-24-le-chef.html",
    };

    fn check(html: &str, expected: &str) {
        assert_eq!(
            absolutize_html(html, &BASE),
            expected,
            "absolutizing {html:?}"
        );
    }

    #[test]
    fn relative_links_resolve_against_the_release_folder_and_fragments_against_its_page() {
        check(
            r#"<a href="annexe.pdf">annexe</a>"#,
            r#"<a href="https://press.example.org/releases/2022-03-24-le-chef/annexe.pdf">annexe</a>"#,
        );
        check(
            r#"<img src="../../media/logo.png" alt="Logo">"#,
            r#"<img src="https://press.example.org/media/logo.png" alt="Logo">"#,
        );
        check(
            r#"<a href="/contact/">c</a>"#,
            r#"<a href="https://press.example.org/contact/">c</a>"#,
        );
        check(
            r##"<a href="#note-1">1</a>"##,
            r##"<a href="https://press.example.org/releases/2022-03-24-le-chef.html#note-1">1</a>"##,
        );
        check(
            r#"<a href="">here</a>"#,
            r#"<a href="https://press.example.org/releases/2022-03-24-le-chef.html">here</a>"#,
        );
        check(
            r#"<blockquote cite="//example.com/q">q</blockquote>"#,
            r#"<blockquote cite="https://example.com/q">q</blockquote>"#,
        );
    }

    #[test]
    fn absolute_links_are_kept_as_written() {
        check(
            r#"<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">x</a>"#,
            r#"<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">x</a>"#,
        );
        check(
            r#"<a href="mailto:press@example.org">m</a>"#,
            r#"<a href="mailto:press@example.org">m</a>"#,
        );
        check(
            r#"<a href="tel:+33123456789">t</a>"#,
            r#"<a href="tel:+33123456789">t</a>"#,
        );
    }

    #[test]
    fn entities_in_relative_links_survive_resolution() {
        check(
            r#"<a href="search?q=a&amp;lang=fr">s</a>"#,
            r#"<a href="https://press.example.org/releases/2022-03-24-le-chef/search?q=a&amp;lang=fr">s</a>"#,
        );
    }

    #[test]
    fn any_quoting_is_understood_and_normalised() {
        check(
            "<a href='a.pdf' title=x>t</a><IMG SRC=b.png>",
            r#"<a href="https://press.example.org/releases/2022-03-24-le-chef/a.pdf" title=x>t</a><IMG SRC="https://press.example.org/releases/2022-03-24-le-chef/b.png">"#,
        );
    }

    #[test]
    fn text_comments_and_other_attributes_are_untouched() {
        check(
            r#"<p class="x">href="a" &lt;b&gt; 3 < 4</p><!-- <a href="c"> --><br/>"#,
            r#"<p class="x">href="a" &lt;b&gt; 3 < 4</p><!-- <a href="c"> --><br/>"#,
        );
    }

    #[test]
    fn truncated_markup_does_not_panic() {
        for html in [
            "<a href=",
            "<a href=\"x",
            "<a",
            "<",
            "<a href='x' ",
            "<!--",
            "<a b c=>",
        ] {
            let _ = absolutize_html(html, &BASE);
        }
    }

    #[test]
    fn an_unusable_base_leaves_the_html_alone() {
        assert_eq!(
            absolutize_html(
                r#"<a href="x">x</a>"#,
                &LinkBase {
                    folder: "not a url",
                    page: "not a url either"
                }
            ),
            r#"<a href="x">x</a>"#
        );
    }
}

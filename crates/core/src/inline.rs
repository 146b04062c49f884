//! Inline text with its formatting, as Word runs and HTML elements give it,
//! rendered to plain text and to HTML.
//!
//! Whitespace collapses as a browser collapses it, so that text split over
//! many runs or elements reads as written. The HTML is safe by construction:
//! text is escaped, the only elements are `strong`, `em`, `a` and `br`, and
//! link targets are `http`, `https` or `mailto` (see [`safe_href`]).

use crate::body::push_escaped_html;
use crate::decode::clean_text;

/// The formatting of a piece of text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Style {
    pub bold: bool,
    pub italic: bool,
    pub link: Option<Link>,
}

/// A link target. Pieces of one link (a Word hyperlink split over several
/// runs) share its `id`, so that they make one `<a>`; two links side by side
/// stay two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: usize,
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String, Style),
    Break,
}

/// The inline content of one paragraph, heading or list item, as it is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inline {
    pieces: Vec<Piece>,
}

/// An [`Inline`] rendered: plain text (line breaks as `\n`) and inline HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub html: String,
}

impl Inline {
    pub fn push_text(&mut self, text: &str, style: &Style) {
        if text.is_empty() {
            return;
        }
        let text = clean_text(text);
        match self.pieces.last_mut() {
            Some(Piece::Text(last, last_style)) if last_style == style => last.push_str(&text),
            _ => self.pieces.push(Piece::Text(text, style.clone())),
        }
    }

    pub fn push_break(&mut self) {
        self.pieces.push(Piece::Break);
    }

    /// Whether there is no text at all, only spaces and breaks.
    pub fn is_blank(&self) -> bool {
        self.pieces.iter().all(|piece| match piece {
            Piece::Text(text, _) => text.chars().all(is_collapsible),
            Piece::Break => true,
        })
    }

    /// Renders the whole content.
    pub fn render(&self) -> Rendered {
        self.render_from(0)
    }

    /// Renders the content without the first `skip` bytes of its rendered
    /// text (a dateline prefix), the formatting of the rest kept.
    pub fn render_from(&self, skip: usize) -> Rendered {
        let mut renderer = Renderer {
            text: String::new(),
            html: String::new(),
            open: Style::default(),
            skip,
            counted: 0,
            pending_space: false,
            line_start: true,
        };
        for piece in &self.pieces {
            match piece {
                Piece::Text(text, style) => {
                    for c in text.chars() {
                        renderer.char(c, style);
                    }
                }
                Piece::Break => renderer.line_break(),
            }
        }
        renderer.finish()
    }
}

/// The whitespace HTML collapses (not the no-break spaces French typography uses).
fn is_collapsible(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{C}')
}

struct Renderer {
    text: String,
    html: String,
    /// The formatting whose tags are open in `html`.
    open: Style,
    /// How many bytes of text to leave out, and how many were left out so far.
    skip: usize,
    counted: usize,
    pending_space: bool,
    line_start: bool,
}

impl Renderer {
    fn char(&mut self, c: char, style: &Style) {
        if is_collapsible(c) {
            if !self.line_start {
                self.pending_space = true;
            }
            return;
        }
        if self.pending_space {
            self.pending_space = false;
            // The space sits outside the formatting that ends or starts at
            // it: `the <strong>Trust</strong> website`.
            self.line_start = false;
            if !self.skipping(1) {
                self.close_for(style);
                self.text.push(' ');
                self.html.push(' ');
            }
        }
        self.emit(c, style);
    }

    fn line_break(&mut self) {
        self.pending_space = false;
        if self.text.is_empty() && self.counted == 0 {
            return;
        }
        self.line_start = true;
        if self.skipping(1) {
            return;
        }
        self.text.push('\n');
        self.html.push_str("<br>\n");
    }

    /// Counts `len` bytes against the prefix to leave out; true while in it.
    fn skipping(&mut self, len: usize) -> bool {
        if self.counted >= self.skip {
            return false;
        }
        self.counted += len;
        if self.counted >= self.skip {
            // What follows the prefix starts as a paragraph does.
            self.line_start = true;
        }
        true
    }

    fn emit(&mut self, c: char, style: &Style) {
        self.line_start = false;
        if self.skipping(c.len_utf8()) {
            return;
        }
        self.close_for(style);
        self.open_for(style);
        self.text.push(c);
        let mut buffer = [0; 4];
        push_escaped_html(&mut self.html, c.encode_utf8(&mut buffer));
    }

    /// Closes the open tags `style` does not continue (inner ones first:
    /// the nesting is always `<a><strong><em>`).
    fn close_for(&mut self, style: &Style) {
        let link_changes = self.open.link != style.link;
        let bold_changes = link_changes || self.open.bold != style.bold;
        let italic_changes = bold_changes || self.open.italic != style.italic;
        if italic_changes && self.open.italic {
            self.html.push_str("</em>");
            self.open.italic = false;
        }
        if bold_changes && self.open.bold {
            self.html.push_str("</strong>");
            self.open.bold = false;
        }
        if link_changes && self.open.link.is_some() {
            self.html.push_str("</a>");
            self.open.link = None;
        }
    }

    /// Opens the tags `style` needs, after [`Self::close_for`].
    fn open_for(&mut self, style: &Style) {
        if self.open.link.is_none()
            && let Some(link) = &style.link
        {
            self.html.push_str("<a href=\"");
            push_escaped_html(&mut self.html, &link.href);
            self.html.push_str("\">");
        }
        if style.bold && !self.open.bold {
            self.html.push_str("<strong>");
        }
        if style.italic && !self.open.italic {
            self.html.push_str("<em>");
        }
        self.open = style.clone();
    }

    fn finish(mut self) -> Rendered {
        self.close_for(&Style::default());
        while let Some(stripped) = self.html.strip_suffix("<br>\n") {
            self.html.truncate(stripped.len());
        }
        let text_end = self.text.trim_end_matches('\n').len();
        self.text.truncate(text_end);
        Rendered {
            text: self.text,
            html: self.html,
        }
    }
}

/// A link target the release may keep: `http`, `https` or `mailto`, trimmed;
/// anything else (`javascript:`, `file:`, relative paths) is refused.
pub fn safe_href(target: &str) -> Option<String> {
    let target = target.trim();
    let (scheme, rest) = target.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let allowed = matches!(scheme.as_str(), "http" | "https" | "mailto");
    (allowed && !rest.is_empty() && !target.contains(char::is_control)).then(|| target.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> Style {
        Style::default()
    }

    fn bold() -> Style {
        Style {
            bold: true,
            ..Style::default()
        }
    }

    fn link(id: usize, bold: bool) -> Style {
        Style {
            bold,
            italic: false,
            link: Some(Link {
                id,
                href: "https://example.org/?a=1&b=2".to_owned(),
            }),
        }
    }

    #[test]
    fn whitespace_collapses_across_pieces() {
        let mut inline = Inline::default();
        inline.push_text("  Le   site ", &plain());
        inline.push_text(" de\tla ", &bold());
        inline.push_text("Fondation  ", &plain());
        let rendered = inline.render();
        assert_eq!(rendered.text, "Le site de la Fondation");
        assert_eq!(rendered.html, "Le site <strong>de la</strong> Fondation");
    }

    #[test]
    fn a_link_split_over_pieces_is_one_link() {
        let mut inline = Inline::default();
        inline.push_text("See ", &plain());
        inline.push_text("the ", &link(1, false));
        inline.push_text("Trust's", &link(1, true));
        inline.push_text(" website", &link(1, false));
        inline.push_text(".", &plain());
        assert_eq!(
            inline.render().html,
            "See <a href=\"https://example.org/?a=1&amp;b=2\">the <strong>Trust&#39;s</strong> website</a>."
        );
    }

    #[test]
    fn a_prefix_is_left_out_with_its_formatting() {
        let mut inline = Inline::default();
        inline.push_text("PARIS, 3 mars 2023 – La ", &plain());
        inline.push_text("Fondation", &bold());
        inline.push_text(" annonce.", &plain());
        let text = inline.render().text;
        let rest = "La Fondation annonce.";
        let rendered = inline.render_from(text.len() - rest.len());
        assert_eq!(rendered.text, rest);
        assert_eq!(rendered.html, "La <strong>Fondation</strong> annonce.");
    }

    #[test]
    fn breaks_become_lines_and_trailing_ones_go() {
        let mut inline = Inline::default();
        inline.push_break();
        inline.push_text("Marie", &plain());
        inline.push_break();
        inline.push_text(" marie@x.fr ", &plain());
        inline.push_break();
        let rendered = inline.render();
        assert_eq!(rendered.text, "Marie\nmarie@x.fr");
        assert_eq!(rendered.html, "Marie<br>\nmarie@x.fr");
    }

    #[test]
    fn only_web_and_mail_links_are_kept() {
        assert_eq!(
            safe_href(" https://a.example/x ").as_deref(),
            Some("https://a.example/x")
        );
        assert!(safe_href("mailto:press@a.example").is_some());
        for bad in [
            "javascript:alert(1)",
            "JavaScript:x",
            "file:///etc/passwd",
            "/relative",
            "data:text/html,x",
            "https:",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }
}

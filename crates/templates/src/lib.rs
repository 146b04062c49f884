//! The template engine as Pressroom's HTML pages and digest emails use it.
//!
//! Operators may override the built-in templates of the pages
//! (`pressroom-feeds`) and of the digests (`pressroom-digest`). Both must
//! escape HTML alike and report a broken template alike, with the
//! template's name and line; neither crate may depend on the other, so what
//! they share lives here: the [`environment`] they start from, and
//! [`TemplateError`].
//!
//! The environment is minijinja's, with two changes. Block tags on lines of
//! their own leave no blank lines behind. And HTML autoescaping (on for
//! template names ending in `.html`) writes the five characters that matter
//! as entities and leaves the rest alone: minijinja's own escaping also
//! writes `/` as `&#x2f;`, valid but making every URL unreadable in the
//! source of a page or an email.

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, escape_formatter};

/// A new environment, without templates, as pages and digests render with.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            write_escaped_html(out, text)?;
            Ok(())
        }
        _ => escape_formatter(out, state, value),
    });
    env
}

/// Adds the operator's templates, (name, source), to `env`, replacing
/// built-in ones of the same name. Each is compiled now: a syntax error is
/// [`TemplateError::Compile`], naming the template and line.
pub fn add_overrides(
    env: &mut Environment<'static>,
    overrides: Vec<(String, String)>,
) -> Result<(), TemplateError> {
    for (name, source) in overrides {
        env.add_template_owned(name.clone(), source)
            .map_err(|error| TemplateError::compile(&name, error))?;
    }
    Ok(())
}

/// Writes `text` escaped for HTML content and quoted attribute values: the
/// runs between special characters go out whole.
fn write_escaped_html(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(index) = rest
        .bytes()
        .position(|byte| matches!(byte, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        out.write_str(&rest[..index])?;
        out.write_str(match rest.as_bytes()[index] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        })?;
        rest = &rest[index + 1..];
    }
    out.write_str(rest)
}

/// A template that cannot be compiled or rendered: an operator's override
/// most of the time, so the message names the template and the line.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A template has a syntax error (found when it is loaded).
    #[error("template '{name}'{}: {message}", line_suffix(*.line))]
    Compile {
        name: String,
        line: Option<usize>,
        message: String,
        /// minijinja's own error. Its text is already in `message`, so it is
        /// not reported as the source: `{:#}` chains would say it twice.
        error: minijinja::Error,
    },
    /// A template failed while rendering: it extends or includes a template
    /// that does not exist, calls an unknown filter, and so on.
    #[error("cannot render template '{name}'{}: {message}", line_suffix(*.line))]
    Render {
        name: String,
        line: Option<usize>,
        message: String,
        /// minijinja's own error (see `Compile`).
        error: minijinja::Error,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|line| format!(" line {line}")).unwrap_or_default()
}

impl TemplateError {
    /// `error` from compiling the template `name`.
    pub fn compile(name: &str, error: minijinja::Error) -> Self {
        let (name, line, message) = describe(name, &error);
        TemplateError::Compile {
            name,
            line,
            message,
            error,
        }
    }

    /// `error` from rendering the template `name`; an error in a template it
    /// includes is reported at the include, naming the included template.
    pub fn render(name: &str, error: minijinja::Error) -> Self {
        let (name, line, message) = describe(name, &error);
        TemplateError::Render {
            name,
            line,
            message,
            error,
        }
    }
}

/// The template the error is in (the one being rendered if minijinja does
/// not say), its line, and the message without minijinja's own location.
fn describe(fallback: &str, error: &minijinja::Error) -> (String, Option<usize>, String) {
    let name = error.name().unwrap_or(fallback).to_owned();
    let message = match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    };
    (name, error.line(), message)
}

#[cfg(test)]
mod tests {
    use minijinja::Value;

    use super::*;

    fn render(name: &str, source: &str, value: &str) -> String {
        let mut env = environment();
        env.add_template_owned(name.to_owned(), source.to_owned())
            .unwrap();
        env.get_template(name)
            .unwrap()
            .render(minijinja::context! { value => value, safe => Value::from_safe_string(value.to_owned()) })
            .unwrap()
    }

    #[test]
    fn html_templates_escape_five_characters_and_leave_urls_readable() {
        assert_eq!(
            render(
                "a.html",
                "{{ value }}",
                "«Énergie» & الرياض <b class=\"x\">'/"
            ),
            "«Énergie» &amp; الرياض &lt;b class=&quot;x&quot;&gt;&#39;/"
        );
        assert_eq!(
            render(
                "a.html",
                "<a href=\"{{ value }}\">",
                "https://example.org/a?b=1&c=2"
            ),
            "<a href=\"https://example.org/a?b=1&amp;c=2\">"
        );
        assert_eq!(render("a.html", "{{ value }}", ""), "");
    }

    #[test]
    fn safe_values_and_text_templates_are_not_escaped() {
        assert_eq!(render("a.html", "{{ safe }}", "<p>Body</p>"), "<p>Body</p>");
        assert_eq!(render("a.txt", "{{ value }}", "a < b & c"), "a < b & c");
    }

    #[test]
    fn block_tags_on_their_own_lines_leave_no_blank_lines() {
        let source = "<ul>\n  {% for x in [1, 2] %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n";
        assert_eq!(
            render("list.html", source, ""),
            "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>"
        );
    }

    #[test]
    fn a_broken_override_names_its_template_and_line() {
        let mut env = environment();
        let error = add_overrides(
            &mut env,
            vec![(
                "release.html".to_owned(),
                "<h1>{{ title }}</h1>\n{% if %}\n".to_owned(),
            )],
        )
        .unwrap_err();
        assert!(matches!(
            error,
            TemplateError::Compile { line: Some(2), .. }
        ));
        let message = error.to_string();
        assert!(
            message.starts_with("template 'release.html' line 2: syntax error"),
            "{message}"
        );
    }

    #[test]
    fn a_render_error_names_the_template_and_line() {
        let mut env = environment();
        add_overrides(
            &mut env,
            vec![
                (
                    "part.html".to_owned(),
                    "\n{{ value | no_such_filter }}".to_owned(),
                ),
                (
                    "page.html".to_owned(),
                    "{% include \"part.html\" %}".to_owned(),
                ),
            ],
        )
        .expect("both compile: filters are looked up at render");
        let render = |name: &str| {
            env.get_template(name)
                .unwrap()
                .render(minijinja::context! { value => 1 })
                .map_err(|error| TemplateError::render(name, error))
                .unwrap_err()
                .to_string()
        };
        let message = render("part.html");
        assert!(
            message.starts_with("cannot render template 'part.html' line 2: unknown filter"),
            "{message}"
        );
        // Through an include: the line of the include, and the included name.
        let message = render("page.html");
        assert!(
            message.starts_with("cannot render template 'page.html' line 1:"),
            "{message}"
        );
        assert!(message.contains("part.html"), "{message}");
    }
}

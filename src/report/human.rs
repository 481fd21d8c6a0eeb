//! Human output: rustc-quality diagnostics with code frames (miette), then one summary line.

use crate::findings::{Finding, Outcome, Severity};
use crate::location::Location;
use crate::sources::Sources;
use crate::wording::counted;
use clap::ValueEnum;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
            }
        }
    }
}

/// One diagnostic as miette renders it.
#[derive(Debug)]
struct Rendered {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)) as Box<dyn Iterator<Item = _>>)
    }
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

/// Text from the checked tree as a terminal shows it: a control character (an escape sequence
/// that would recolour, move the cursor or clear what was printed) becomes `?`, one byte for each
/// of its bytes, so that spans into a source text still fit. Newlines and tabs stay.
fn inert(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => "?".repeat(c.len_utf8()),
            c => c.to_string(),
        })
        .collect()
}

/// A diagnostic pointing at `location`, with a code frame when the file can be read.
fn at(
    location: &Location,
    label: Option<&str>,
    sources: &Sources,
    severity: miette::Severity,
    message: String,
) -> Rendered {
    let text: Option<Arc<str>> = sources.get(location.path);
    let header = format!("{}:{}:{}", inert(&location.path), location.line, location.column);
    let (source, labels) = match text {
        Some(text) if location.end_byte as usize <= text.len() && location.line > 0 => {
            let length = (location.end_byte.saturating_sub(location.start_byte)) as usize;
            let span = SourceSpan::new((location.start_byte as usize).into(), length);
            let label = LabeledSpan::new_with_span(label.map(inert), span);
            (Some(NamedSource::new(inert(&location.path), inert(&text))), vec![label])
        }
        _ => (None, Vec::new()),
    };
    // A problem of the run itself (an option, the tree as a whole) has no place to show.
    let message = inert(&message);
    let message = if source.is_some() || location.path.is_empty() { message } else { format!("{header}: {message}") };
    Rendered { message, code: None, severity, help: None, source, labels, related: Vec::new() }
}

fn finding(finding: &Finding, sources: &Sources) -> Rendered {
    let mut rendered = at(&finding.location, None, sources, miette_severity(finding.severity), finding.message.clone());
    rendered.code = Some(finding.rule.clone());
    rendered.help = finding.help.as_deref().map(inert);
    for related in &finding.related {
        // Related places in the same file are labels in the same code frame.
        let same_file = related.location.path == finding.location.path && rendered.source.is_some();
        let mut extra =
            at(&related.location, Some(&related.message), sources, miette::Severity::Advice, related.message.clone());
        if same_file {
            rendered.labels.append(&mut extra.labels);
        } else {
            rendered.related.push(extra);
        }
    }
    rendered
}

/// Renders every finding and problem, then a summary line.
pub fn render_human(outcome: &Outcome, sources: &Sources, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    // Lines break at spaces only: a route like `/orders/{id}` or a path is never cut in two.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_break_words(false);
    let mut out = String::new();
    let rendered = outcome.findings.iter().map(|f| finding(f, sources)).chain(outcome.problems.iter().map(|p| {
        let mut r = at(&p.location, None, sources, miette::Severity::Error, p.message.clone());
        r.code = Some("guardrail::error".into());
        r
    }));
    let notes = outcome.notes.iter().map(|n| {
        let mut r = at(&n.location, None, sources, miette::Severity::Advice, n.message.clone());
        r.labels.clear();
        r.source = None;
        r.message = inert(&format!("{}: {}", n.location.path, n.message));
        r
    });
    for diagnostic in rendered.chain(notes) {
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &diagnostic);
        out.push('\n');
    }
    for left_out in &outcome.left_out {
        out.push_str(&format!("left out: {}\n", left_out.line()));
    }
    out.push_str(&summary(outcome));
    out.push('\n');
    out
}

fn summary(outcome: &Outcome) -> String {
    let count = |severity: Severity| outcome.findings.iter().filter(|f| f.severity == severity).count();
    let files = counted(outcome.files, "file");
    let mut parts = Vec::new();
    if outcome.findings.is_empty() {
        parts.push(format!("guardrail: no findings in {files}"));
    } else {
        parts.push(format!(
            "guardrail: {}, {}, {} in {files}",
            counted(count(Severity::Error), "error"),
            counted(count(Severity::Warning), "warning"),
            counted(count(Severity::Note), "note"),
        ));
    }
    if outcome.suppressed > 0 {
        parts.push(format!("{} suppressed", outcome.suppressed));
    }
    if outcome.baselined > 0 {
        parts.push(format!("{} hidden by the baseline", outcome.baselined));
    }
    if !outcome.problems.is_empty() {
        parts.push(format!("{} that could not be checked", counted(outcome.problems.len(), "problem")));
    }
    if !outcome.notes.is_empty() {
        parts.push(format!("{} about the run", counted(outcome.notes.len(), "note")));
    }
    parts.join("; ")
}

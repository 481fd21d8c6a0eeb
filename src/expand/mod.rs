//! Expand: Helm charts and kustomizations turned into the objects they deploy, by the tools
//! that own them (`helm template`, `kubectl kustomize`), run on a private copy of the files
//! they need ([`crate::scratch`]). Each rendered text is checked as a Kubernetes file of its
//! own, and a finding in it is reported at the line of the template or manifest it came from,
//! with the rendered line as a related location.

mod helm;
mod kustomize;
mod source_line;

use crate::discover::{Config, Discovery};
use crate::file_kind::FileKind;
use crate::findings::{Finding, Related};
use crate::location::Location;
use crate::problem::Problem;
use crate::sources::Sources;
use crate::symbol::Symbol;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long one `helm template` or `kubectl kustomize` may take.
const RENDER_TIME_LIMIT: Duration = Duration::from_secs(60);

/// One rendered text and where it came from.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The name it is checked under: the source's path and the tool, e.g.
    /// `deploy/chart/templates/deployment.yaml (helm template)`.
    pub shown: Symbol,
    /// The template or manifest it was rendered from.
    pub source: Symbol,
    /// The lines of `source` it came from (1-based, inclusive); the whole file when `None`.
    pub source_lines: Option<(u32, u32)>,
    pub text: Arc<str>,
    /// What rendered it, as the related location says: `helm template`.
    pub tool: &'static str,
}

/// What expanding charts and kustomizations produced.
#[derive(Debug, Default)]
pub struct Expansions {
    pub documents: Vec<Rendered>,
    /// Files checked through their rendering instead of as they are: templates of rendered
    /// charts, resources of rendered kustomizations, and kustomize patches (never whole objects).
    pub replaced: HashSet<Symbol>,
    /// Templates of charts `helm template` could not render: read as written instead
    /// ([`crate::extract::extract_template_as_written`]).
    pub as_written: HashSet<Symbol>,
    /// Why something was not rendered, one note per cause.
    pub notes: Vec<Problem>,
    /// Mistakes in `guardrail.toml`'s `[[helm]]` tables.
    pub problems: Vec<Problem>,
}

impl Expansions {
    /// The rendered texts as inputs to extract.
    pub fn inputs(&self) -> impl Iterator<Item = (Symbol, FileKind, &str)> {
        self.documents.iter().map(|d| (d.shown, FileKind::Kubernetes, &*d.text))
    }

    /// Makes the rendered texts available to code frames.
    pub fn show_in(&self, sources: &Sources) {
        for document in &self.documents {
            sources.insert(document.shown, document.text.clone());
        }
    }

    /// Moves findings and problems found in rendered texts to the lines of their sources, with
    /// the rendered line as a related location. One finding per rule and source line: a base
    /// two overlays render is reported once.
    pub fn remap(&self, findings: &mut Vec<Finding>, problems: &mut [Problem], sources: &Sources) {
        if self.documents.is_empty() {
            return;
        }
        let by_shown: HashMap<Symbol, &Rendered> = self.documents.iter().map(|d| (d.shown, d)).collect();
        let mut seen = HashSet::new();
        findings.retain_mut(|finding| {
            let Some(rendered) = by_shown.get(&finding.location.path) else { return true };
            let rendered_at = finding.location.clone();
            finding.location = source_line::locate(rendered, &rendered_at, sources);
            for related in &mut finding.related {
                if let Some(other) = by_shown.get(&related.location.path) {
                    related.location = source_line::locate(other, &related.location, sources);
                }
            }
            finding
                .related
                .push(Related { location: rendered_at, message: format!("as `{}` renders it", rendered.tool) });
            seen.insert((finding.rule.clone(), finding.location.path, finding.location.line, finding.location.column))
        });
        for problem in problems {
            if let Some(rendered) = by_shown.get(&problem.location.path) {
                problem.message = format!("the output of `{}`: {}", rendered.tool, problem.message);
                problem.location = Location::file(rendered.source);
            }
        }
    }
}

/// Renders every chart and kustomization the walk found, with the tools `allowed` lets it start
/// (`helm`, `kubectl`; one not allowed is as if not installed).
pub fn expand(root: &Path, discovery: &Discovery, config: &Config, allowed: &dyn Fn(&str) -> bool) -> Expansions {
    let mut expansions = Expansions::default();
    helm::render_charts(root, discovery, &config.helm, allowed("helm"), &mut expansions);
    kustomize::render_kustomizations(root, discovery, allowed("kubectl"), &mut expansions);
    expansions
}

/// The first line of what a tool said when it failed, without its `Error: ` prefix.
fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("WARNING")).unwrap_or("");
    line.strip_prefix("Error: ").or_else(|| line.strip_prefix("error: ")).unwrap_or(line).to_owned()
}

/// The directory of a file shown as `path` ("" at the root).
fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `relative` joined to `dir`, with `.` and `..` resolved; `None` when it climbs above the root.
fn join(dir: &str, relative: &str) -> Option<String> {
    let path = crate::paths::join(dir, relative);
    (path != ".." && !path.starts_with("../")).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_within_the_root_only() {
        assert_eq!(join("deploy/overlays/prod", "../../base").as_deref(), Some("deploy/base"));
        assert_eq!(join("", "./base/deployment.yaml").as_deref(), Some("base/deployment.yaml"));
        assert_eq!(join("deploy", "../../etc/passwd"), None);
    }

    #[test]
    fn a_tools_error_is_its_first_line_that_is_not_a_warning() {
        let stderr = b"WARNING: kubeconfig is group-readable\nError: chart requires kubeVersion >= 1.30\n  more\n";
        assert_eq!(first_line(stderr), "chart requires kubeVersion >= 1.30");
    }
}

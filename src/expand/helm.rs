//! Helm charts: every `Chart.yaml` that is not another chart's subchart is rendered with
//! `helm template`, once per `[[helm]]` table of guardrail.toml that names it (with its values
//! files), else once with the chart's defaults. helm runs on a copy of the chart in a scratch
//! directory, with its own configuration homes there (no repositories, no plugins).

use super::{dir_of, first_line, Expansions, Rendered, RENDER_TIME_LIMIT};
use crate::discover::{Discovery, HelmChart};
use crate::file_kind::FileKind;
use crate::location::Location;
use crate::problem::Problem;
use crate::scratch::{program, run_with_limit, Home, ScratchDir};
use crate::symbol::Symbol;
use std::path::Path;

/// A chart larger than this is not copied (a chart is kilobytes; this is vendored data).
const MAX_CHART_BYTES: u64 = 64 << 20;
/// A file of a chart larger than this is not copied.
const MAX_CHART_FILE: u64 = 16 << 20;

/// Why a chart was not rendered.
enum Failure {
    /// helm is not on PATH: every chart keeps the note its templates get.
    NotInstalled,
    /// A reason for this chart alone.
    Failed(String),
}

/// Renders the charts of `discovery` into `expansions`.
pub fn render_charts(
    root: &Path,
    discovery: &Discovery,
    configured: &[HelmChart],
    helm_allowed: bool,
    expansions: &mut Expansions,
) {
    let all: Vec<&str> = discovery.charts.iter().map(|chart| dir_of(chart.shown.as_str())).collect();
    // A subchart sits in the `charts/` directory of another chart, which renders it.
    let is_subchart = |dir: &str| {
        all.iter().any(|parent| {
            let prefix = if parent.is_empty() { "charts/".to_owned() } else { format!("{parent}/charts/") };
            dir.starts_with(&prefix)
        })
    };
    let charts: Vec<&str> = all.iter().copied().filter(|dir| !is_subchart(dir)).collect();
    for table in configured.iter().filter(|table| !charts.contains(&table.chart.as_str())) {
        let message = format!("[[helm]] names `{}`, which holds no Chart.yaml", table.chart);
        expansions.problems.push(Problem { location: table.location.clone(), message });
    }
    let mut helm_missing = !helm_allowed;
    let mut read_as_written = 0;
    let mut first_read_as_written = None;
    for chart in charts {
        let tables: Vec<&HelmChart> = configured.iter().filter(|table| table.chart == chart).collect();
        let runs: Vec<Option<&HelmChart>> =
            if tables.is_empty() { vec![None] } else { tables.into_iter().map(Some).collect() };
        let under = |path: &str| chart.is_empty() || path.starts_with(&format!("{chart}/"));
        let files = discovery.files.iter().filter(|(file, _)| under(&file.shown));
        let mut rendered = false;
        for table in runs {
            if helm_missing {
                break;
            }
            match render_chart(root, chart, table, discovery, expansions) {
                Ok(documents) => {
                    expansions.documents.extend(documents);
                    rendered = true;
                }
                Err(Failure::NotInstalled) => helm_missing = true,
                // The run cannot be trusted: an error. What the templates write outright is
                // still checked.
                Err(Failure::Failed(reason)) => {
                    let shown = if chart.is_empty() { "." } else { chart };
                    let message = format!(
                        "Helm chart `{shown}` was not rendered: `helm template` failed: {reason}; its templates were \
                         checked as written, with every template expression read as a placeholder"
                    );
                    let location = Location::file(Symbol::from(join_chart(chart, "Chart.yaml")));
                    expansions.problems.push(Problem { location, message });
                }
            }
        }
        if rendered {
            expansions.replaced.extend(files.map(|(file, _)| file.shown));
        } else {
            let templates = files.filter(|(file, kind)| *kind == FileKind::Kubernetes && is_template_file(&file.shown));
            let before = expansions.as_written.len();
            expansions.as_written.extend(templates.map(|(file, _)| file.shown));
            if helm_missing && expansions.as_written.len() > before {
                read_as_written += 1;
                first_read_as_written.get_or_insert(Symbol::from(join_chart(chart, "Chart.yaml")));
            }
        }
    }
    if let Some(first) = first_read_as_written {
        let message = format!(
            "{read_as_written} Helm chart{} read as written: helm is not on PATH, so every template expression \
             was read as a placeholder and what only values decide was taken to be there (install helm to check \
             the charts as they render)",
            if read_as_written == 1 { " was" } else { "s were" }
        );
        expansions.notes.push(Problem { location: Location::file(first), message });
    }
}

/// Whether a file of a chart is one of its (or a subchart's) templates.
fn is_template_file(path: &str) -> bool {
    path.starts_with("templates/") || path.contains("/templates/")
}

fn join_chart(chart: &str, relative: &str) -> String {
    if chart.is_empty() {
        relative.to_owned()
    } else {
        format!("{chart}/{relative}")
    }
}

/// The rendered texts of one chart, one per template file of the tree that produced objects.
fn render_chart(
    root: &Path,
    chart: &str,
    table: Option<&HelmChart>,
    discovery: &Discovery,
    expansions: &mut Expansions,
) -> Result<Vec<Rendered>, Failure> {
    let scratch = ScratchDir::new("helm").map_err(|error| Failure::Failed(format!("no scratch directory: {error}")))?;
    copy_chart(root, chart, &scratch)?;
    let mut command = program("helm", &scratch, Home::Scratch, &[]);
    command.args(["template", "--skip-tests"]);
    for (home, dir) in [("HELM_CACHE_HOME", "cache"), ("HELM_CONFIG_HOME", "config"), ("HELM_DATA_HOME", "data")] {
        command.env(home, scratch.path().join(".helm").join(dir));
    }
    command.env("KUBECONFIG", scratch.path().join("none"));
    let mut label = String::from("helm template");
    for (n, values) in table.map_or(&[][..], |t| &t.values[..]).iter().enumerate() {
        let read = crate::tree::inside(root, Path::new(values))
            .ok_or_else(|| "it is not a path inside the checked tree".to_owned())
            .and_then(|path| crate::tree::read_under(root, &path, MAX_CHART_FILE).map_err(|e| e.to_string()));
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(error) => {
                let location = table.map_or_else(|| Location::file(Symbol::default()), |t| t.location.clone());
                let message = format!("[[helm]] values file `{values}` cannot be read: {error}");
                expansions.problems.push(Problem { location, message });
                return Ok(Vec::new());
            }
        };
        let copy = format!("values/{n}.yaml");
        scratch.write(&copy, &bytes).map_err(|error| Failure::Failed(error.to_string()))?;
        command.arg(format!("--values=./{copy}"));
        label.push_str(&format!(" -f {}", values.rsplit('/').next().unwrap_or(values)));
    }
    // The release name is checked as Helm checks it (in guardrail.toml, or made from the
    // directory's name); it and the chart come after `--`, where no option is read.
    let release = table.and_then(|t| t.release.clone()).unwrap_or_else(|| release_name(chart));
    command.args(["--", &release, "./chart"]);
    let output = run_with_limit(command, RENDER_TIME_LIMIT).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => Failure::NotInstalled,
        _ => Failure::Failed(error.to_string()),
    })?;
    if !output.status.success() {
        return Err(Failure::Failed(scratch.unmention(&first_line(&output.stderr))));
    }
    let exists = |path: &str| discovery.files.iter().any(|(file, _)| file.shown.as_str() == path);
    Ok(by_source(&String::from_utf8_lossy(&output.stdout))
        .into_iter()
        .filter_map(|(written, text)| {
            // `# Source: <chart name>/templates/…`: the chart's own name, not its directory's.
            let relative = written.split_once('/').map_or(written.as_str(), |(_, rest)| rest);
            let source = join_chart(chart, relative);
            // Templates of packaged dependencies (`charts/*.tgz`) are not this repository's.
            exists(&source).then(|| Rendered {
                shown: Symbol::from(format!("{source} ({label})")),
                source: Symbol::from(source),
                source_lines: None,
                text: text.into(),
                tool: "helm template",
            })
        })
        .collect())
}

/// A release name from the chart's directory: lower case, digits and dashes.
fn release_name(chart: &str) -> String {
    let base = chart.rsplit('/').next().filter(|b| !b.is_empty()).unwrap_or("release");
    let name: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    name.trim_matches('-').to_owned()
}

/// Copies the regular files of the chart under `root` into `scratch/chart`, through
/// [`crate::tree`] (no link out of the tree is followed).
fn copy_chart(root: &Path, chart: &str, scratch: &ScratchDir) -> Result<(), Failure> {
    let dir = root.join(chart);
    let mut total = 0u64;
    let walk = ignore::WalkBuilder::new(&dir).standard_filters(false).follow_links(false).build();
    for entry in walk {
        let entry = entry.map_err(|error| Failure::Failed(error.to_string()))?;
        if entry.file_type().is_none_or(|t| t.is_dir()) || entry.path().components().any(|c| c.as_os_str() == ".git") {
            continue;
        }
        let relative = crate::discover::config::relative_display(&dir, entry.path());
        let bytes = crate::tree::read_under(root, entry.path(), MAX_CHART_FILE)
            .map_err(|error| Failure::Failed(format!("{}/{relative}: {error}", chart.trim_end_matches('/'))))?;
        total += bytes.len() as u64;
        if total > MAX_CHART_BYTES {
            return Err(Failure::Failed(format!("the chart holds more than {} MiB", MAX_CHART_BYTES >> 20)));
        }
        scratch.write(&format!("chart/{relative}"), &bytes).map_err(|error| Failure::Failed(error.to_string()))?;
    }
    Ok(())
}

/// helm's output split by the template each document came from (`# Source:`), in order.
fn by_source(output: &str) -> Vec<(String, String)> {
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut document = String::new();
    let mut source: Option<String> = None;
    let mut flush = |source: &mut Option<String>, document: &mut String| {
        if let Some(written) = source.take() {
            match sources.iter_mut().find(|(known, _)| *known == written) {
                Some((_, text)) => text.push_str(document),
                None => sources.push((written, std::mem::take(document))),
            }
        }
        document.clear();
    };
    for line in output.lines() {
        if line == "---" {
            flush(&mut source, &mut document);
        } else if let Some(written) = line.strip_prefix("# Source: ") {
            source = Some(written.trim().to_owned());
        }
        document.push_str(line);
        document.push('\n');
    }
    flush(&mut source, &mut document);
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_grouped_by_the_template_it_came_from() {
        let output = "---\n# Source: api/templates/service.yaml\nkind: Service\n---\n# Source: api/templates/deployment.yaml\nkind: Deployment\n---\n# Source: api/templates/service.yaml\nkind: Service\n";
        let grouped = by_source(output);
        assert_eq!(
            grouped,
            [
                (
                    "api/templates/service.yaml".to_owned(),
                    "---\n# Source: api/templates/service.yaml\nkind: Service\n---\n# Source: api/templates/service.yaml\nkind: Service\n".to_owned()
                ),
                ("api/templates/deployment.yaml".to_owned(), "---\n# Source: api/templates/deployment.yaml\nkind: Deployment\n".to_owned()),
            ]
        );
    }

    #[test]
    fn release_names_are_what_helm_accepts() {
        assert_eq!(release_name("deploy/My_Chart"), "my-chart");
        assert_eq!(release_name(""), "release");
    }
}

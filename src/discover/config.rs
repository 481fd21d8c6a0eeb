//! `guardrail.toml`: read with spans, so that every mistake points into the file.

use super::architecture::{Architecture, RawArchitecture};
use crate::findings::Severity;
use crate::location::{LineIndex, Location};
use crate::problem::Problem;
use crate::symbol::Symbol;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const FILE_NAME: &str = "guardrail.toml";

/// A rule's level: off, or reported at a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

/// `[rules.<id>]`: the level and the policy's own parameters, each with where it was written.
#[derive(Debug, Clone, Default)]
pub struct RuleConfig {
    pub level: Option<Level>,
    /// `enabled = true` runs a preview rule; `false` turns any rule off.
    pub enabled: Option<bool>,
    /// Parameter name → (value, location of the key).
    pub params: BTreeMap<String, (toml::Value, Location)>,
    /// Where `[rules.<id>]` was written.
    pub location: Option<Location>,
}

/// Limits for policy evaluation (`[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time one policy may take.
    pub policy_timeout_ms: u64,
    /// Rhai operations one policy may run.
    pub policy_max_operations: u64,
    /// Findings one policy may report; the rest are dropped with a note.
    pub policy_max_findings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { policy_timeout_ms: 1_000, policy_max_operations: 20_000_000, policy_max_findings: 10_000 }
    }
}

/// `[[service]]`: an explicit join of a binary to its deployment, winning over heuristics.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    pub name: String,
    /// The bin target's name.
    pub bin: Option<String>,
    /// Dockerfile path relative to the root.
    pub dockerfile: Option<String>,
    /// Compose service name.
    pub compose: Option<String>,
    /// Kubernetes workload names (`metadata.name`).
    pub k8s: Vec<String>,
    pub location: Location,
}

/// The validated configuration of a run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, relative to the root, if any.
    pub path: Option<Symbol>,
    pub exclude: Vec<String>,
    /// Directories of user policies, relative to the root, each with where it was written.
    pub policy_dirs: Vec<(PathBuf, Location)>,
    /// Directories of policy fixtures, relative to the root: `guardrail test` runs them, and
    /// they are never part of the checked workspace (their findings are deliberate).
    pub fixture_dirs: Vec<PathBuf>,
    pub rules: BTreeMap<String, RuleConfig>,
    pub limits: Limits,
    pub services: Vec<ServiceConfig>,
    pub architecture: Architecture,
    /// How to render Helm charts: `[[helm]]` tables, each a chart with its values files.
    pub helm: Vec<HelmChart>,
    /// Files larger than this are skipped with a note (generated code, vendored blobs).
    pub max_file_size: u64,
    /// `preview = true`: run the built-in rules still in preview too.
    pub preview: bool,
}

/// Default [`Config::max_file_size`]: far above hand-written source, far below a vendored blob.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 << 20;

/// The most `max_file_size` may be raised to: parsing takes tens of times a file's size in
/// memory, so this bounds what one file can make a run allocate.
pub const MAX_FILE_SIZE_BOUND: u64 = 16 << 20;

/// A configuration larger than this is not one.
const MAX_CONFIG_SIZE: u64 = 1 << 20;

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            exclude: Vec::new(),
            policy_dirs: Vec::new(),
            fixture_dirs: Vec::new(),
            rules: BTreeMap::new(),
            limits: Limits::default(),
            services: Vec::new(),
            architecture: Architecture::default(),
            helm: Vec::new(),
            preview: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    policies: Vec<Spanned<String>>,
    #[serde(default)]
    fixtures: Vec<String>,
    #[serde(default)]
    preview: bool,
    #[serde(default)]
    limits: Option<RawLimits>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<RawRule>>,
    #[serde(default, rename = "service")]
    services: Vec<Spanned<RawService>>,
    #[serde(default)]
    architecture: Option<RawArchitecture>,
    max_file_size: Option<Spanned<u64>>,
    #[serde(default)]
    helm: Vec<Spanned<RawHelm>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHelm {
    chart: String,
    #[serde(default)]
    values: Vec<String>,
    release: Option<Spanned<String>>,
}

/// The longest release name Helm accepts.
const MAX_RELEASE_NAME: usize = 53;

/// Whether Helm accepts `name` as a release name (DNS labels joined by dots, as `helm` checks
/// it): anything else never reaches `helm template`, where `--post-renderer=…` would be an option.
fn is_release_name(name: &str) -> bool {
    let label = |label: &str| {
        let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        edge(label.chars().next())
            && edge(label.chars().last())
            && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    name.len() <= MAX_RELEASE_NAME && name.split('.').all(label)
}

/// `[[helm]]`: a chart (the directory of its `Chart.yaml`, relative to the root) rendered with
/// these values files (relative to the root) instead of its defaults alone. A chart may be
/// listed more than once, once per environment.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmChart {
    pub chart: String,
    pub values: Vec<String>,
    /// The release name `helm template` is given; the chart's name when absent.
    pub release: Option<String>,
    /// Where the table is written, for errors about it.
    pub location: Location,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: String,
    bin: Option<String>,
    dockerfile: Option<String>,
    compose: Option<String>,
    #[serde(default)]
    k8s: Vec<String>,
}

/// `[rules.<id>]`: `severity` and the policy's parameters, all kept with their spans.
type RawRule = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    policy_timeout_ms: Option<Spanned<u64>>,
    policy_max_operations: Option<Spanned<u64>>,
    policy_max_findings: Option<Spanned<u64>>,
}

/// The range each limit may be set in: a configuration can come from the pull request being
/// checked, so it may tighten the sandbox but not remove it.
const LIMIT_RANGES: [(&str, u64, u64); 3] = [
    ("policy_timeout_ms", 1, 60_000),
    ("policy_max_operations", 1_000, 1_000_000_000),
    ("policy_max_findings", 1, 100_000),
];

impl Config {
    /// Loads `explicit` (a path given on the command line) or `<root>/guardrail.toml` if it
    /// exists. Problems are returned alongside whatever could still be understood.
    pub fn load(root: &Path, explicit: Option<&Path>) -> (Config, Vec<Problem>) {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None if root.join(FILE_NAME).is_file() => root.join(FILE_NAME),
            None => return (Config::default(), Vec::new()),
        };
        let shown = Symbol::from(relative_display(root, &path));
        // A file named on the command line is the user's own; the one in the tree is not.
        let text = match explicit {
            Some(_) => crate::tree::read_regular(&path, MAX_CONFIG_SIZE),
            None => crate::tree::read_under(root, &path, MAX_CONFIG_SIZE),
        };
        match crate::tree::text(text) {
            Ok(text) => Config::parse(shown, &text),
            Err(error) => {
                let problem = Problem {
                    location: Location::file(shown),
                    message: format!("cannot read the configuration: {error}"),
                };
                (Config { path: Some(shown), ..Config::default() }, vec![problem])
            }
        }
    }

    /// Parses the text of a configuration file shown as `path`.
    pub fn parse(path: Symbol, text: &str) -> (Config, Vec<Problem>) {
        let index = LineIndex::new(text);
        let at = |span: std::ops::Range<usize>| index.location_of_bytes(path, span.start, span.end);
        let mut config = Config { path: Some(path), ..Config::default() };
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(error) => {
                let location = error.span().map_or_else(|| Location::file(path), at);
                let message = format!("invalid configuration: {}", error.message());
                return (config, vec![Problem { location, message }]);
            }
        };
        let mut problems = Vec::new();
        config.exclude = raw.exclude;
        config.preview = raw.preview;
        config.fixture_dirs = raw.fixtures.into_iter().map(PathBuf::from).collect();
        config.max_file_size = match raw.max_file_size {
            None => DEFAULT_MAX_FILE_SIZE,
            Some(size) if (1..=MAX_FILE_SIZE_BOUND).contains(size.get_ref()) => *size.get_ref(),
            Some(size) => {
                let message = format!("max_file_size must be between 1 and {MAX_FILE_SIZE_BOUND} bytes");
                problems.push(Problem { location: at(size.span()), message });
                DEFAULT_MAX_FILE_SIZE
            }
        };
        config.policy_dirs =
            raw.policies.into_iter().map(|dir| (PathBuf::from(dir.get_ref()), at(dir.span()))).collect();
        if let Some(limits) = raw.limits {
            let defaults = Limits::default();
            let mut bounded = |value: Option<Spanned<u64>>, (name, min, max): (&str, u64, u64), default: u64| {
                let Some(value) = value else { return default };
                if (min..=max).contains(value.get_ref()) {
                    return *value.get_ref();
                }
                let message = format!("{name} must be between {min} and {max}; the default {default} applies");
                problems.push(Problem { location: at(value.span()), message });
                default
            };
            config.limits = Limits {
                policy_timeout_ms: bounded(limits.policy_timeout_ms, LIMIT_RANGES[0], defaults.policy_timeout_ms),
                policy_max_operations: bounded(
                    limits.policy_max_operations,
                    LIMIT_RANGES[1],
                    defaults.policy_max_operations,
                ),
                policy_max_findings: bounded(
                    limits.policy_max_findings,
                    LIMIT_RANGES[2],
                    defaults.policy_max_findings as u64,
                ) as usize,
            };
        }
        if let Some(architecture) = raw.architecture {
            config.architecture = architecture.resolve(at);
        }
        config.services = raw
            .services
            .into_iter()
            .map(|service| {
                let location = at(service.span());
                let service = service.into_inner();
                ServiceConfig {
                    name: service.name,
                    bin: service.bin,
                    dockerfile: service.dockerfile,
                    compose: service.compose,
                    k8s: service.k8s,
                    location,
                }
            })
            .collect();
        config.helm = raw
            .helm
            .into_iter()
            .map(|helm| {
                let location = at(helm.span());
                let helm = helm.into_inner();
                let chart = helm.chart.trim_end_matches('/').to_owned();
                let release = helm.release.and_then(|release| {
                    if is_release_name(release.get_ref()) {
                        return Some(release.into_inner());
                    }
                    let message = format!(
                        "release must be a name Helm accepts: at most {MAX_RELEASE_NAME} lower-case letters, digits, \
                         `-` and `.`, starting and ending with a letter or digit"
                    );
                    problems.push(Problem { location: at(release.span()), message });
                    None
                });
                HelmChart { chart, values: helm.values, release, location }
            })
            .collect();
        for (id, table) in raw.rules {
            let mut rule = RuleConfig { location: Some(at(id.span())), ..RuleConfig::default() };
            for (key, value) in table.into_inner() {
                if key.get_ref() == "severity" {
                    match parse_level(value.get_ref()) {
                        Ok(level) => rule.level = Some(level),
                        Err(message) => problems.push(Problem { location: at(value.span()), message }),
                    }
                } else if key.get_ref() == "enabled" {
                    match value.get_ref().as_bool() {
                        Some(enabled) => rule.enabled = Some(enabled),
                        None => problems.push(Problem {
                            location: at(value.span()),
                            message: format!("enabled must be true or false, not {}", value.get_ref()),
                        }),
                    }
                } else {
                    rule.params.insert(key.get_ref().clone(), (value.into_inner(), at(key.span())));
                }
            }
            config.rules.insert(id.into_inner(), rule);
        }
        (config, problems)
    }
}

fn parse_level(value: &toml::Value) -> Result<Level, String> {
    let expected = format!("severity must be \"off\", {}", Severity::NAMES);
    match value.as_str() {
        Some("off") => Ok(Level::Off),
        Some(name) => name.parse().map(Level::On).map_err(|_| format!("{expected}, not \"{name}\"")),
        None => Err(format!("{expected}, not {value}")),
    }
}

/// `path` relative to `root` with `/` separators when it is inside, else as given.
pub fn relative_display(root: &Path, path: &Path) -> String {
    let shown = path.strip_prefix(root).unwrap_or(path);
    shown.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Config, Vec<(u32, u32, String)>) {
        let (config, problems) = Config::parse(Symbol::intern("guardrail.toml"), text);
        let problems = problems.into_iter().map(|p| (p.location.line, p.location.column, p.message)).collect();
        (config, problems)
    }

    #[test]
    fn reads_rules_params_and_limits() {
        let (config, problems) = parse(
            "exclude = [\"gen/**\"]\n[limits]\npolicy_timeout_ms = 50\n[rules.unbounded-channel]\nseverity = \"warning\"\ninclude_tests = true\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.exclude, ["gen/**"]);
        assert_eq!(config.limits.policy_timeout_ms, 50);
        let rule = &config.rules["unbounded-channel"];
        assert_eq!(rule.level, Some(Level::On(Severity::Warning)));
        let (value, location) = &rule.params["include_tests"];
        assert_eq!((value.as_bool(), location.line, location.column), (Some(true), 6, 1));
    }

    #[test]
    fn mistakes_point_into_the_file() {
        let (_, problems) = parse("[rules.x]\nseverity = \"fatal\"\n");
        assert_eq!(
            problems,
            [(2, 12, "severity must be \"off\", \"error\", \"warning\" or \"note\", not \"fatal\"".into())]
        );
        let (_, problems) = parse("exclude = []\nexclud = 1\n");
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].0, problems[0].1), (2, 1));
        assert!(problems[0].2.contains("unknown field `exclud`"), "{}", problems[0].2);
        let (_, problems) = parse("[rules\n");
        assert_eq!(problems[0].0, 1);
    }

    #[test]
    fn a_helm_release_is_a_name_helm_accepts_never_an_option() {
        for bad in ["--post-renderer=/bin/sh", "--set-file=x=/proc/self/environ", "-o", "API", "a_b", "a.", "-a", ""] {
            let (config, problems) = parse(&format!("[[helm]]\nchart = \"deploy/chart\"\nrelease = {bad:?}\n"));
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert_eq!((problems[0].0, problems[0].1), (3, 11), "{bad}");
            assert!(problems[0].2.starts_with("release must be a name Helm accepts"), "{problems:?}");
            assert_eq!(config.helm[0].release, None);
        }
        for good in ["api", "api-prod", "api.v2", "a1"] {
            let (config, problems) = parse(&format!("[[helm]]\nchart = \"c\"\nrelease = {good:?}\n"));
            assert!(problems.is_empty(), "{good}: {problems:?}");
            assert_eq!(config.helm[0].release.as_deref(), Some(good));
        }
        assert!(!is_release_name(&"a".repeat(MAX_RELEASE_NAME + 1)));
    }
}

//! The command line: parse arguments, call the library, map outcomes to exit codes
//! (0 ok, 1 findings at or above --fail-on, 2 usage, configuration or policy errors).

use clap::{Parser, Subcommand, ValueEnum};
use guardrail::arch::render::{render, GraphFormat};
use guardrail::check::{check, collect, CheckOptions};
use guardrail::discover::Config;
use guardrail::engine::{Origin, PolicySet};
use guardrail::facts::arch_graph::Level;
use guardrail::file_kind::FileKind;
use guardrail::findings::Severity;
use guardrail::fixtures;
use guardrail::native::NATIVE_RULES;
use guardrail::report::{self, ColorChoice, Format, Listed, RenderOptions};
use guardrail::scaffold;
use guardrail::shard::Shard;
use guardrail::workflow_commands::log_line;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

// A run makes millions of small allocations from several threads (facts, syntax trees, script
// values); mimalloc makes them several times cheaper than the system allocator. Its version 2
// (the `v2` feature) holds less memory than version 3 for guardrail's mix and is no slower
// (BENCHMARKS.md). It counts what each thread holds, which bounds a policy's memory.
#[global_allocator]
static ALLOCATOR: guardrail::alloc::Counting = guardrail::alloc::Counting(mimalloc::MiMalloc);

#[derive(Parser)]
#[command(
    name = "guardrail",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("GUARDRAIL_COMMIT"), ")"),
    about = "Policy-as-code linter for the architecture of Rust services",
    after_help = "Exit codes, for every command:\n  0  nothing at or above --fail-on\n  1  findings at or above --fail-on\n  2  the run could not be trusted: a usage or configuration error, a file a target compiles that\n     could not be read, a policy that failed"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
}

impl From<FailOn> for Severity {
    fn from(value: FailOn) -> Self {
        match value {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Note => Severity::Note,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FactsFormat {
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ServicesFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check a workspace against every enabled policy.
    #[command(
        after_help = "Examples:\n  guardrail check\n  guardrail check examples/shop --format json\n  guardrail check --fail-on warning --color never\n  helm template api ./chart | guardrail check --k8s-stdin"
    )]
    Check {
        /// A directory to check; or files, to report only on them (pre-commit passes the staged
        /// files): the root is then the nearest ancestor with guardrail.toml or a workspace Cargo.toml.
        paths: Vec<PathBuf>,
        /// How to print the report: terminal diagnostics, or a format for tools and CI.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also write FORMAT to FILE, e.g. `--output sarif=guardrail.sarif`; repeatable.
        #[arg(long, value_name = "FORMAT=FILE")]
        output: Vec<String>,
        /// Exit 1 when a finding has at least this severity.
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
        /// Configuration file (default: <root>/guardrail.toml when it exists).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Colour in human output (auto: when stdout is a terminal and NO_COLOR is unset).
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        /// Also read Kubernetes manifests from stdin (e.g. `helm template … | guardrail check --k8s-stdin`).
        #[arg(long)]
        k8s_stdin: bool,
        /// Hide the findings recorded in this baseline (see `guardrail baseline`).
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Report only findings on lines changed since the merge-base of REF and HEAD.
        #[arg(long, value_name = "REF")]
        diff_base: Option<String>,
        /// The SARIF category (automationDetails.id), to tell jobs or shards apart in code scanning.
        #[arg(long, default_value = "guardrail")]
        category: String,
        /// Print where the time went (phases, policies, slowest files) to stderr.
        #[arg(long)]
        timings: bool,
        /// Prepend this to paths in SARIF and GitHub annotations (e.g. `services/api/` when
        /// checking a sub-directory of the repository).
        #[arg(long, default_value = "")]
        path_prefix: String,
        /// Neither read nor write the facts cache.
        #[arg(long)]
        no_cache: bool,
        /// Where unchanged files' facts are kept between runs, outside the checked tree
        /// [default: $XDG_CACHE_HOME/guardrail, else ~/.cache/guardrail].
        #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
        cache_dir: Option<PathBuf>,
        /// Check part K of N of the workspace, cut along packages, for a CI job matrix: the N
        /// shards together report what one run does. SARIF categories get `-shard-K-of-N`.
        #[arg(long, value_name = "K/N")]
        shard: Option<Shard>,
        /// Also run the built-in rules still in preview (`guardrail list` shows each rule's tier).
        #[arg(long)]
        preview: bool,
        /// Also run the policies of this directory (repeatable): one outside the tree, which
        /// guardrail.toml may not name.
        #[arg(long = "policies", value_name = "DIR")]
        policy_dirs: Vec<PathBuf>,
    },
    /// Record today's findings so that `check --baseline` reports only new ones.
    #[command(
        after_help = "Example:\n  guardrail baseline && git add guardrail-baseline.json\n  guardrail check --baseline guardrail-baseline.json"
    )]
    Baseline {
        /// A directory of the project (its root is found from there, as `check` finds it).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Where to write it (default: <path>/guardrail-baseline.json).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Configuration file (default: <root>/guardrail.toml when it exists).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Also record the findings of the built-in rules still in preview (as `check --preview`).
        #[arg(long)]
        preview: bool,
    },
    /// Print the facts model as JSON, to see what policies can query.
    #[command(after_help = "Example:\n  guardrail facts | jq '.files[].rust.calls[] | select(.name == \"spawn\")'")]
    Facts {
        /// A directory of the project (its root is found from there, as `check` finds it).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The only format facts come in.
        #[arg(long, value_enum, default_value_t = FactsFormat::Json)]
        format: FactsFormat,
        /// Configuration file (default: <root>/guardrail.toml when it exists).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Show how each binary was joined to its Dockerfile, compose service and Kubernetes
    /// workloads, and the evidence for each link.
    #[command(after_help = "Example:\n  guardrail services --format json")]
    Services {
        /// A directory of the project (its root is found from there, as `check` finds it).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Configuration file (default: <root>/guardrail.toml when it exists).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Human-readable blocks, or JSON.
        #[arg(long, value_enum, default_value_t = ServicesFormat::Human)]
        format: ServicesFormat,
    },
    /// Draw the architecture: layers, dependencies, and the edges that break a rule in red.
    #[command(
        after_help = "Examples:\n  guardrail graph > architecture.mmd\n  guardrail graph --level module --format dot | dot -Tsvg > architecture.svg"
    )]
    Graph {
        /// A directory of the project (its root is found from there, as `check` finds it).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Configuration file (default: <root>/guardrail.toml when it exists).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Mermaid (renders on GitHub) or Graphviz dot.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Draw crates, or the modules inside them.
        #[arg(long, value_enum, default_value_t = Level::Crate)]
        level: Level,
    },
    /// Run policies against fixture workspaces with `expect:`/`ok:` markers.
    #[command(
        after_help = "Layout: DIR/<policy-id>/<case>/ holds a small workspace.\nWithout DIR: the project's `fixtures` directories and `policies` from guardrail.toml, \nas `guardrail new-policy` sets them up.\nExample:\n  guardrail test\n  guardrail test fixtures --policies my-policies"
    )]
    Test {
        /// Fixture directory [default: the `fixtures` of guardrail.toml, else ./fixtures].
        dir: Option<PathBuf>,
        /// Directories of policies to test besides those guardrail.toml names.
        #[arg(long)]
        policies: Vec<PathBuf>,
    },
    /// List the rules: id, default severity, origin, summary.
    #[command(after_help = "Example:\n  guardrail list | grep error")]
    List {
        /// A root whose guardrail.toml adds user policies.
        /// A directory of the project (its root is found from there, as `check` finds it).
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Start using guardrail: a commented guardrail.toml with the workspace's crates, and a
    /// GitHub workflow. Prints the pre-commit entry to add.
    #[command(after_help = "Example:\n  guardrail init && git add guardrail.toml .github/workflows/guardrail.yml")]
    Init {
        /// The project's root, where guardrail.toml and .github/workflows/guardrail.yml go.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Overwrite files that exist.
        #[arg(long)]
        force: bool,
    },
    /// Start a policy: <dir>/<id>.rhai and two fixtures that already pass `guardrail test`.
    #[command(
        after_help = "Example:\n  guardrail new-policy no-todo --dir policies --fixtures fixtures\n  guardrail test fixtures --policies policies"
    )]
    NewPolicy {
        /// The rule's id: lowercase words joined by `-`, not taken by another rule.
        id: String,
        /// Where the policy goes.
        #[arg(long, default_value = "policies")]
        dir: PathBuf,
        /// Where its fixtures go.
        #[arg(long, default_value = "fixtures")]
        fixtures: PathBuf,
        /// Overwrite the policy and fixture files if they exist.
        #[arg(long)]
        force: bool,
    },
    /// Print a rule's documentation.
    #[command(after_help = "Example:\n  guardrail explain probe-route")]
    Explain {
        /// The rule's id, as `guardrail list` shows it.
        id: String,
        /// A directory of the project whose own policies to include.
        #[arg(long, default_value = ".")]
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    let code = match Cli::parse().command {
        Command::Check {
            paths,
            format,
            output,
            fail_on,
            config,
            color,
            k8s_stdin,
            baseline,
            diff_base,
            category,
            timings,
            path_prefix,
            no_cache,
            cache_dir,
            shard,
            preview,
            policy_dirs,
        } => {
            let (root, only_paths) = match resolve_targets(&paths) {
                Ok(targets) => targets,
                Err(message) => return usage_error(&message),
            };
            let mut outputs = Vec::new();
            for spec in &output {
                match spec.split_once('=').map(|(f, file)| (Format::from_str(f, true), file)) {
                    Some((Ok(format), file)) => outputs.push((format, PathBuf::from(file))),
                    _ => {
                        return usage_error(&format!(
                            "--output takes FORMAT=FILE with a format of --format, not `{spec}`"
                        ))
                    }
                }
            }
            let mut extra_inputs = Vec::new();
            if k8s_stdin {
                let mut text = String::new();
                if let Err(error) = std::io::stdin().read_to_string(&mut text) {
                    return usage_error(&format!("cannot read manifests from stdin: {error}"));
                }
                extra_inputs.push((
                    guardrail::symbol::Symbol::intern("<stdin>"),
                    FileKind::Kubernetes,
                    Arc::from(text),
                ));
            }
            if cache_dir.as_deref().is_some_and(|dir| guardrail::tree::is_within(&root, dir)) {
                return usage_error(
                    "--cache-dir must be outside the checked tree: a pull request could commit a cache there",
                );
            }
            let cache = (!no_cache).then(|| cache_dir.unwrap_or_else(guardrail::cache::default_home));
            let options = CheckOptions {
                config,
                extra_inputs,
                baseline,
                diff_base,
                only_paths,
                cache,
                shard,
                preview,
                policy_dirs: policy_dirs.iter().map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone())).collect(),
                ..CheckOptions::default()
            };
            let progress = Progress::start(format == Format::Human);
            let run = check(&root, &options);
            drop(progress);
            let started = std::time::Instant::now();
            let category = match shard {
                Some(Shard { index, count }) => format!("{category}-shard-{index}-of-{count}"),
                None => category,
            };
            let render_options = RenderOptions { color: color.enabled(), category, path_prefix };
            print!("{}", report::render(format, &run, &render_options));
            if timings {
                run.timings.render(10).lines().for_each(|line| eprintln!("{}", log_line(line)));
                eprintln!("  {:<28} {:>9.1} ms", "report", started.elapsed().as_secs_f64() * 1e3);
            }
            for (format, file) in outputs {
                let plain = RenderOptions { color: false, ..render_options.clone() };
                if let Err(error) = write_atomically(&file, &report::render_plain(format, &run, &plain)) {
                    eprintln!("error: cannot write {}: {error}", file.display());
                    return ExitCode::from(2);
                }
            }
            let code = run.outcome.exit_code(fail_on.into());
            // The process ends here: freeing a million facts one by one takes longer than the
            // kernel takes to reclaim them.
            std::mem::forget(run);
            code
        }
        Command::Baseline { path, output, config, preview } => {
            let path = project_root(&path);
            let run = check(&path, &CheckOptions { config, preview, ..CheckOptions::default() });
            let file = output.unwrap_or_else(|| path.join("guardrail-baseline.json"));
            if let Err(error) = write_atomically(&file, &guardrail::filter::baseline::write(&run.outcome.findings)) {
                eprintln!("error: cannot write {}: {error}", file.display());
                return ExitCode::from(2);
            }
            println!("wrote {} findings to {}", run.outcome.findings.len(), file.display());
            report_problems(&run.outcome.problems)
        }
        Command::Facts { path, config, format: FactsFormat::Json } => {
            let path = project_root(&path);
            // Every fact, the module references the graph is built from included.
            let options = CheckOptions { config, architecture_graph: true, ..CheckOptions::default() };
            let collected = collect(&path, &options);
            let (facts, problems) = (collected.facts, collected.problems);
            println!("{}", serde_json::to_string_pretty(&facts).expect("facts serialise"));
            report_problems(&problems)
        }
        Command::Services { path, config, format } => {
            let path = project_root(&path);
            let collected = collect(&path, &CheckOptions { config, ..CheckOptions::default() });
            let (facts, problems) = (collected.facts, collected.problems);
            match format {
                ServicesFormat::Human => print!("{}", report::render_services(&facts.services)),
                ServicesFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&facts.services).expect("services serialise"))
                }
            }
            report_problems(&problems)
        }
        Command::Graph { path, config, format, level } => {
            let path = project_root(&path);
            let options = CheckOptions { config, architecture_graph: true, ..CheckOptions::default() };
            let collected = collect(&path, &options);
            let (config, facts, problems) = (collected.config, collected.facts, collected.problems);
            let (violations, _) = guardrail::arch::unexcused(&facts.arch, &config.architecture);
            print!("{}", render(&facts.arch, &config.architecture, level, &violations, format));
            report_problems(&problems)
        }
        Command::Test { dir, policies } => {
            let root = match std::env::current_dir() {
                Ok(cwd) => guardrail::discover::find_root(&cwd),
                Err(error) => return usage_error(&error.to_string()),
            };
            let (config, problems) = Config::load(&root, None);
            if !problems.is_empty() {
                return ExitCode::from(report_problems(&problems) as u8);
            }
            // The project's own policies and fixtures, as new-policy set them up.
            let mut policy_dirs: Vec<PathBuf> =
                policies.iter().map(|d| std::path::absolute(d).unwrap_or(d.clone())).collect();
            for (dir, _) in &config.policy_dirs {
                let dir = std::path::absolute(root.join(dir)).unwrap_or_else(|_| root.join(dir));
                if !policy_dirs.contains(&dir) {
                    policy_dirs.push(dir);
                }
            }
            let dir = dir.unwrap_or_else(|| {
                config.fixture_dirs.first().map_or_else(|| PathBuf::from("fixtures"), |d| root.join(d))
            });
            run_fixtures(&dir, policy_dirs)
        }
        Command::Init { path, force } => {
            let facts = collect(&path, &CheckOptions::default()).facts;
            let crates: Vec<String> = facts.packages.iter().map(|p| p.name.to_string()).collect();
            match scaffold::write_all(&scaffold::init(&path, &crates), force) {
                Ok(()) => {
                    println!("wrote guardrail.toml and .github/workflows/guardrail.yml");
                    println!(
                        "to run guardrail before each commit, add to .pre-commit-config.yaml:\n{}",
                        scaffold::PRE_COMMIT_SNIPPET
                    );
                    0
                }
                Err(message) => return usage_error(&message),
            }
        }
        Command::NewPolicy { id, dir, fixtures, force } => {
            if !scaffold::valid_id(&id) {
                return usage_error(&format!("`{id}` is not a rule id: use lowercase words joined by `-`"));
            }
            let root = match std::env::current_dir() {
                Ok(cwd) => guardrail::discover::find_root(&cwd),
                Err(error) => return usage_error(&error.to_string()),
            };
            let (policies, problems) = load_policies(&root);
            let taken = policies.policies.iter().find(|p| p.doc.id == id).map(|p| p.path.to_string());
            let taken = taken.or_else(|| NATIVE_RULES.iter().any(|r| r.id == id).then(|| "a native rule".to_owned()));
            if let Some(by) = taken {
                return usage_error(&format!("rule id `{id}` is taken (by {by}): choose another"));
            }
            if !problems.is_empty() {
                return ExitCode::from(report_problems(&problems) as u8);
            }
            let config_path = root.join(guardrail::discover::config::FILE_NAME);
            let current = std::fs::read_to_string(&config_path).ok();
            let shown = |path: &std::path::Path| path.to_string_lossy().trim_end_matches('/').to_owned();
            let config = scaffold::with_directory(current.as_deref(), "policies", &shown(&dir));
            let config = scaffold::with_directory(Some(&config), "fixtures", &shown(&fixtures));
            let files = scaffold::new_policy(&root.join(&dir), &root.join(&fixtures), &id);
            if let Err(message) = scaffold::write_all(&files, force) {
                return usage_error(&message);
            }
            if current.as_deref() != Some(config.as_str()) {
                if let Err(error) = write_atomically(&config_path, &config) {
                    return usage_error(&format!("cannot update {}: {error}", config_path.display()));
                }
            }
            println!("wrote {}/{id}.rhai and fixtures in {}/{id}/", dir.display(), fixtures.display());
            println!(
                "guardrail.toml runs the policies in {} and keeps {} out of checks",
                dir.display(),
                fixtures.display()
            );
            println!("next: edit the policy and its fixtures, then `guardrail test` and `guardrail check`");
            0
        }
        Command::List { path } => {
            let (policies, problems) = load_policies(&project_root(&path));
            let mut rules: Vec<Listed> =
                policies.policies.iter().map(listed).chain(NATIVE_RULES.iter().map(native)).collect();
            rules.sort_by(|a, b| a.doc.id.cmp(&b.doc.id));
            print!("{}", report::render_list(&rules));
            report_problems(&problems)
        }
        Command::Explain { id, path } => {
            let (policies, problems) = load_policies(&project_root(&path));
            let rule =
                policies.policies.iter().map(listed).chain(NATIVE_RULES.iter().map(native)).find(|r| r.doc.id == id);
            match rule {
                Some(rule) => {
                    let params: Vec<(String, String)> = policies
                        .policies
                        .iter()
                        .find(|p| p.doc.id == id)
                        .into_iter()
                        .flat_map(|p| p.params.iter().map(|(name, default)| (name.clone(), default.to_string())))
                        .collect();
                    print!("{}", report::render_explain(&rule, &params));
                    report_problems(&problems)
                }
                None => {
                    let ids = policies
                        .policies
                        .iter()
                        .map(|p| p.doc.id.as_str())
                        .chain(NATIVE_RULES.iter().map(|d| d.id.as_str()));
                    let nearest = ids
                        .min_by_key(|known| edit_distance(known, &id))
                        .filter(|known| edit_distance(known, &id) <= 3);
                    let hint = nearest.map_or(String::new(), |known| format!(" (did you mean `{known}`?)"));
                    eprintln!("error: no rule \"{id}\"{hint}; `guardrail list` shows the rules");
                    2
                }
            }
        }
    };
    ExitCode::from(code as u8)
}

/// A line on stderr that says the run is still going, for long runs in a terminal; never in
/// CI, when stderr is not a terminal, or for machine-readable output.
struct Progress {
    done: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    const QUIET_FOR: std::time::Duration = std::time::Duration::from_millis(800);

    fn start(human: bool) -> Progress {
        use std::io::IsTerminal;
        let wanted = human && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if !wanted {
            return Progress { done: None, thread: None };
        }
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            if !matches!(finished.recv_timeout(Self::QUIET_FOR), Err(std::sync::mpsc::RecvTimeoutError::Timeout)) {
                return;
            }
            let tick = std::time::Duration::from_millis(250);
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(tick) {
                eprint!("\rguardrail: checking… {:.1} s", started.elapsed().as_secs_f64());
            }
            eprint!("\r\x1b[K");
        });
        Progress { done: Some(done), thread: Some(thread) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Levenshtein distance, for suggesting the rule id a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {}", log_line(message));
    ExitCode::from(2)
}

/// Writes through a temporary file and a rename, so a reader never sees half a report.
fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

/// The project a path belongs to, found the same way by every command: the nearest ancestor
/// (the path itself included) with guardrail.toml or a workspace Cargo.toml.
fn project_root(path: &std::path::Path) -> PathBuf {
    guardrail::discover::find_root(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The root to check and the files or directories to report on, from the paths given. A
/// directory inside a project is checked with the project's root, configuration and policies,
/// and reported on alone.
fn resolve_targets(paths: &[PathBuf]) -> Result<(PathBuf, Vec<String>), String> {
    match paths {
        [] => Ok((guardrail::discover::find_root(&std::env::current_dir().map_err(|e| e.to_string())?), Vec::new())),
        [dir] if dir.is_dir() => {
            let root = project_root(dir);
            let absolute = std::path::absolute(dir).map_err(|e| e.to_string())?;
            let within = guardrail::discover::config::relative_display(&root, &absolute);
            Ok((root, if within.is_empty() { Vec::new() } else { vec![within] }))
        }
        files => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            let root = guardrail::discover::find_root(&cwd);
            let mut only = Vec::new();
            for file in files {
                if !file.is_file() {
                    return Err(format!("{} is neither a directory to check nor a file to report on", file.display()));
                }
                let absolute = std::path::absolute(file).map_err(|e| e.to_string())?;
                only.push(guardrail::discover::config::relative_display(&root, &absolute));
            }
            Ok((root, only))
        }
    }
}

/// A policy as `list` and `explain` show it: built-in ones with their tier.
fn listed(policy: &guardrail::engine::Policy) -> Listed<'_> {
    if policy.origin == Origin::Builtin {
        let id = &policy.doc.id;
        let tier = Some((guardrail::measured::tier(id), guardrail::measured::measured(id)));
        Listed { doc: &policy.doc, origin: "built-in", tier }
    } else {
        Listed { doc: &policy.doc, origin: "user", tier: None }
    }
}

fn native(doc: &guardrail::rule::RuleDoc) -> Listed<'_> {
    Listed { doc, origin: "native", tier: None }
}

fn load_policies(root: &std::path::Path) -> (PolicySet, Vec<guardrail::problem::Problem>) {
    let (config, mut problems) = Config::load(root, None);
    let (policies, policy_problems) = PolicySet::load(root, &config, &[]);
    problems.extend(policy_problems);
    (policies, problems)
}

fn report_problems(problems: &[guardrail::problem::Problem]) -> i32 {
    for p in problems {
        let at = &p.location;
        let place = if at.path.is_empty() { String::new() } else { format!("{}:{}:{}: ", at.path, at.line, at.column) };
        eprintln!("{}", log_line(&format!("{place}{}", p.message)));
    }
    if problems.is_empty() {
        0
    } else {
        2
    }
}

fn run_fixtures(dir: &std::path::Path, policy_dirs: Vec<PathBuf>) -> i32 {
    let suite = match fixtures::Suite::load(dir, &policy_dirs) {
        Ok(suite) => suite,
        Err(error) => {
            eprintln!("error: cannot read fixtures in {}: {error}", dir.display());
            return 2;
        }
    };
    if !suite.problems.is_empty() {
        return report_problems(&suite.problems);
    }
    let mut failed = 0;
    for case in &suite.cases {
        let result = suite.run(case);
        if result.passed() {
            println!("ok    {}", case.display());
        } else {
            failed += 1;
            println!("FAIL  {}\n{}", case.display(), fixtures::describe(&result));
        }
    }
    let gaps = suite.coverage_gaps();
    for gap in &gaps {
        println!("gap   {gap}");
    }
    println!("{} passed, {} failed", suite.cases.len() - failed, failed + gaps.len());
    if failed + gaps.len() == 0 {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn every_option_and_argument_has_help_text() {
        let command = Cli::command();
        for sub in command.get_subcommands() {
            assert!(sub.get_about().is_some(), "`{}` has no description", sub.get_name());
            for arg in sub.get_arguments().filter(|a| !matches!(a.get_id().as_str(), "help" | "version")) {
                assert!(arg.get_help().is_some(), "`guardrail {} {}` has no help text", sub.get_name(), arg.get_id());
            }
        }
    }
}

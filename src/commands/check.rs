//! `guardrail check`: run the rules over a workspace and report.

use super::progress::Progress;
use super::{project_root, usage_error, write_atomically};
use clap::ValueEnum;
use guardrail::check::{check, CheckOptions};
use guardrail::file_kind::FileKind;
use guardrail::findings::Severity;
use guardrail::report::{self, ColorChoice, Format, RenderOptions};
use guardrail::shard::Shard;
use guardrail::symbol::Symbol;
use guardrail::workflow_commands::log_line;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    /// A directory, or files (pre-commit passes the staged files) [default: .]: the project they
    /// are in — the nearest ancestor with guardrail.toml or a workspace Cargo.toml — is checked
    /// with its configuration, and only what is inside them is reported.
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

pub fn run(args: Args) -> ExitCode {
    let (root, only_paths) = match resolve_targets(&args.paths) {
        Ok(targets) => targets,
        Err(message) => return usage_error(&message),
    };
    let mut outputs = Vec::new();
    for spec in &args.output {
        match spec.split_once('=').map(|(f, file)| (Format::from_str(f, true), file)) {
            Some((Ok(format), file)) => outputs.push((format, PathBuf::from(file))),
            _ => return usage_error(&format!("--output takes FORMAT=FILE with a format of --format, not `{spec}`")),
        }
    }
    let mut extra_inputs = Vec::new();
    if args.k8s_stdin {
        let mut text = String::new();
        if let Err(error) = std::io::stdin().read_to_string(&mut text) {
            return usage_error(&format!("cannot read manifests from stdin: {error}"));
        }
        extra_inputs.push((Symbol::intern("<stdin>"), FileKind::Kubernetes, Arc::from(text)));
    }
    if args.cache_dir.as_deref().is_some_and(|dir| guardrail::tree::is_within(&root, dir)) {
        return usage_error("--cache-dir must be outside the checked tree: a pull request could commit a cache there");
    }
    let cache = (!args.no_cache).then(|| args.cache_dir.unwrap_or_else(guardrail::cache::default_home));
    let options = CheckOptions {
        config: args.config,
        extra_inputs,
        baseline: args.baseline,
        diff_base: args.diff_base,
        only_paths,
        cache,
        shard: args.shard,
        preview: args.preview,
        policy_dirs: args.policy_dirs.iter().map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone())).collect(),
        ..CheckOptions::default()
    };
    let progress = Progress::start(args.format == Format::Human);
    let run = check(&root, &options);
    drop(progress);
    let started = std::time::Instant::now();
    let category = match args.shard {
        Some(Shard { index, count }) => format!("{}-shard-{index}-of-{count}", args.category),
        None => args.category,
    };
    let render_options = RenderOptions { color: args.color.enabled(), category, path_prefix: args.path_prefix };
    print!("{}", report::render(args.format, &run, &render_options));
    if args.timings {
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
    let code = run.outcome.exit_code(args.fail_on.into());
    // The process ends here: freeing a million facts one by one takes longer than the kernel
    // takes to reclaim them.
    std::mem::forget(run);
    ExitCode::from(code as u8)
}

/// The root to check and the files or directories to report on, from the paths given. A
/// directory inside a project is checked with the project's root, configuration and policies,
/// and reported on alone.
fn resolve_targets(paths: &[PathBuf]) -> Result<(PathBuf, Vec<String>), String> {
    match paths {
        // `check` is `check .`: in a sub-directory of a project, both report on that directory.
        [] => resolve_targets(&[PathBuf::from(".")]),
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

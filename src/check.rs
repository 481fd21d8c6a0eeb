//! The pipeline of one run: discover → extract (parallel) ‖ cargo metadata → link →
//! evaluate (parallel) → filter. Reporting is left to the caller.

use crate::arch;
use crate::cache::{Cache, ContentHash};
use crate::discover::{self, Config, SourceFile};
use crate::engine::{resolve_settings, Origin, PolicySet};
use crate::expand::{self, Expansions};
use crate::extract;
use crate::facts::ArchGraph;
use crate::facts::{Facts, FileFacts, LinkedFile};
use crate::file_kind::FileKind;
use crate::filter;
use crate::findings::{Checked, LeftOut, Outcome};
use crate::link;
use crate::location::Location;
use crate::problem::Problem;
use crate::rule::RuleDoc;
use crate::shard::{Plan, Shard};
use crate::sources::Sources;
use crate::symbol::Symbol;
use crate::timings::Timings;
use foldhash::HashMap;
use rayon::prelude::*;
use remembered::Remembered;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod remembered;

/// What a run needs to know beyond the tree itself.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// A configuration file other than `<root>/guardrail.toml`.
    pub config: Option<PathBuf>,
    /// Policy directories in addition to those the configuration names.
    pub policy_dirs: Vec<PathBuf>,
    /// Inputs that are not files under the root, as (shown path, kind, text): rendered Helm
    /// output given on stdin.
    pub extra_inputs: Vec<(Symbol, FileKind, Arc<str>)>,
    /// Hide the findings this baseline file records.
    pub baseline: Option<PathBuf>,
    /// Report only findings on lines changed since the merge-base of this git reference and HEAD.
    pub diff_base: Option<String>,
    /// Report only findings in these files or directories (relative to the root); all when empty.
    pub only_paths: Vec<String>,
    /// Build the architecture graph even when `guardrail.toml` declares no architecture.
    pub architecture_graph: bool,
    /// Reuse the facts of unchanged files from the cache in this home (outside the tree), and
    /// record new ones.
    pub cache: Option<PathBuf>,
    /// Check one part of the workspace, for CI job matrices.
    pub shard: Option<Shard>,
    /// Run the built-in rules still in preview too.
    pub preview: bool,
    /// The renderers (`helm`, `kubectl`) a run may start; `None`: whichever is on PATH. The
    /// fixture runner chooses, so that a case does not depend on the machine.
    pub renderers: Option<Vec<String>>,
}

/// Everything a run produced, with what reporting needs.
pub struct Run {
    pub outcome: Outcome,
    pub facts: Arc<Facts>,
    pub sources: Sources,
    /// The documentation of every rule that ran, for formats that describe rules (SARIF).
    pub rules: Vec<RuleDoc>,
    pub config: Config,
    pub timings: Timings,
}

/// Stack for the worker threads: parsing and walking deeply nested (hostile) input recurses.
const WORKER_STACK: usize = 64 << 20;

/// Runs `f` on a thread pool whose threads have [`WORKER_STACK`] of stack.
fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// What reading the tree produced.
pub struct Collected {
    pub config: Config,
    pub facts: Facts,
    pub problems: Vec<Problem>,
    /// What the run should mention without failing: a cache it could not write.
    pub notes: Vec<Problem>,
    pub timings: Timings,
    /// What this shard reports on, under `--shard`.
    pub plan: Option<Plan>,
    /// The configuration is broken or there is nothing to check: nothing the run would report
    /// could be trusted, so it reports only `problems`.
    pub stop: bool,
    /// The rendered Helm charts and kustomizations, whose findings move to their sources.
    pub expansions: Expansions,
    /// What the walk left out (`exclude`, fixture directories, `.gitignore`).
    pub left_out: Vec<LeftOut>,
    /// cargo did not run to its end for some workspace (its packages were read from the
    /// manifests): a later run may get its answer, so this run's result is not one to remember.
    pub cargo_unfinished: bool,
}

/// Reads the tree under `root` into facts: discover, extract, link.
pub fn collect(root: &Path, options: &CheckOptions) -> Collected {
    in_pool(|| collect_in_pool(root, options))
}

fn collect_in_pool(root: &Path, options: &CheckOptions) -> Collected {
    let mut timings = Timings::default();
    let (config, problems) = timings.phase("configuration", || Config::load(root, options.config.as_deref()));
    if !problems.is_empty() {
        return Collected::stopped(config, problems, timings);
    }
    let walked = timings.phase("walk", || discover::walk(root, &config));
    collect_walked(root, options, config, walked, None, timings)
}

impl Collected {
    fn stopped(config: Config, problems: Vec<Problem>, timings: Timings) -> Collected {
        Collected {
            config,
            facts: Facts::default(),
            problems,
            notes: Vec::new(),
            timings,
            plan: None,
            stop: true,
            expansions: Expansions::default(),
            left_out: Vec::new(),
            cargo_unfinished: false,
        }
    }
}

/// Reads the tree under `root` with a configuration already loaded and the walk done;
/// `content_hashes` are the hashes of files already read (see [`Remembered`]), by which cached
/// facts are taken without reading a file again.
fn collect_walked(
    root: &Path,
    options: &CheckOptions,
    config: Config,
    (discovery, walk_problems): (discover::Discovery, Vec<Problem>),
    content_hashes: Option<&HashMap<Symbol, ContentHash>>,
    mut timings: Timings,
) -> Collected {
    let mut problems = walk_problems;
    if discovery.files.is_empty() && discovery.manifests.is_empty() && options.extra_inputs.is_empty() {
        let message = format!(
            "nothing to check under {}: no Rust source, Cargo manifest, Kubernetes manifest, Dockerfile or compose file",
            root.display()
        );
        problems.push(Problem { location: Location::file(Symbol::default()), message });
        return Collected::stopped(config, problems, timings);
    }
    let mut notes = Vec::new();
    let expansions = if discovery.charts.is_empty() && discovery.kustomizations.is_empty() {
        Expansions::default()
    } else {
        timings.phase("render charts and kustomizations", || {
            let allowed = |tool: &str| options.renderers.as_ref().is_none_or(|tools| tools.iter().any(|t| t == tool));
            expand::expand(root, &discovery, &config, &allowed)
        })
    };
    let cache = options.cache.as_deref().and_then(|home| {
        let opened = if crate::tree::is_within(root, home) {
            Err(format!("the cache in {} is not used: it is inside the checked tree", home.display()))
        } else {
            Cache::open(home, root)
        };
        opened.map_err(|message| notes.push(Problem { location: Location::file(Symbol::default()), message })).ok()
    });
    // The module graph follows every reference in the code: build it only when it is used, and
    // without it, skip each file's references (a seventh of the facts), or drop them once they
    // are cached for a run that does use them.
    let graph_needed = options.architecture_graph || !config.architecture.is_empty();
    let needs = extract::Needs { module_paths: graph_needed || cache.is_some() };
    let extract_files = |files: Vec<&(SourceFile, FileKind)>| {
        let max_size = config.max_file_size;
        let timed = files.into_par_iter().filter_map(|(file, kind)| {
            let start = Instant::now();
            let as_written = expansions.as_written.contains(&file.shown);
            let known = content_hashes.and_then(|hashes| hashes.get(&file.shown));
            let mut facts = read_and_extract(file, *kind, max_size, (cache.as_ref(), known), needs, as_written)?;
            if !graph_needed {
                facts.rust.paths = Vec::new();
            }
            Some((facts, start.elapsed()))
        });
        timed.collect::<Vec<_>>()
    };
    let extra_inputs = || {
        let given = options.extra_inputs.iter().map(|(shown, kind, text)| (*shown, *kind, &**text));
        given.chain(expansions.inputs()).filter_map(|(shown, kind, text)| {
            extract::extract(shown, kind, text.as_bytes()).map(|facts| (facts, Duration::ZERO))
        })
    };
    let mut plan = None;
    let (loaded, extracted) = match options.shard {
        None => timings.phase("extract ‖ cargo metadata", || {
            rayon::join(
                || link::load_packages(root, &discovery, cache.as_ref()),
                || {
                    let mut files = extract_files(discovery.files.iter().collect());
                    files.extend(extra_inputs());
                    files
                },
            )
        }),
        Some(shard) => timings.phase("plan shard, extract", || {
            // The partition needs the packages and the deployment files before any Rust is read.
            let loaded = link::load_packages(root, &discovery, cache.as_ref());
            let (rust, deployment): (Vec<_>, Vec<_>) = discovery.files.iter().partition(|(_, k)| *k == FileKind::Rust);
            let mut files = extract_files(deployment);
            files.extend(extra_inputs());
            let deployment_facts: Vec<FileFacts> = files.iter().map(|(facts, _)| facts.clone()).collect();
            let (services, _) = link::map_services(&config.services, &loaded.packages, &deployment_facts);
            let sizes: Vec<(Symbol, u64)> = rust
                .iter()
                .map(|(file, _)| (file.shown, std::fs::metadata(&file.path).map_or(0, |m| m.len())))
                .collect();
            let deployment = (&deployment_facts[..], &services[..]);
            let partition =
                Plan::new(shard, &loaded.packages, &discovery.manifests, &sizes, deployment, &config.architecture);
            files.extend(extract_files(rust.into_iter().filter(|(file, _)| partition.reads(&file.shown)).collect()));
            plan = Some(partition);
            (loaded, files)
        }),
    };
    timings.files = extracted.iter().map(|(facts, duration)| (facts.path, *duration)).collect();
    let mut files: Vec<FileFacts> = extracted.into_iter().map(|(facts, _)| facts).collect();
    // What a expansions checks is not checked again as written; suppressions stay with the file.
    for file in files.iter_mut().filter(|f| expansions.replaced.contains(&f.path)) {
        file.kubernetes.clear();
        file.problems.clear();
        file.notes.clear();
    }
    notes.extend(expansions.notes.iter().cloned());
    problems.extend(expansions.problems.iter().cloned());
    timings.cache = cache.as_ref().map(Cache::stats);
    let link::Packages { packages, notes: cargo_notes, problems: manifest_problems, cargo_unfinished } = loaded;
    notes.extend(cargo_notes);
    problems.extend(manifest_problems);
    // Writing the cache is file I/O the link does not wait for: it runs beside it.
    let phase = if cache.is_some() { "link ‖ save cache" } else { "link" };
    let ((mut facts, link_problems), saved) = timings.phase(phase, || {
        std::thread::scope(|scope| {
            let saving = cache.map(|cache| scope.spawn(|| cache.save()));
            let linked = link::link(packages, &discovery.manifests, files, &config.services);
            (linked, saving.map(|saving| saving.join().unwrap_or_else(|_| Err("writing the cache failed".to_owned()))))
        })
    });
    if let Some(Err(message)) = saved {
        notes.push(Problem { location: Location::file(Symbol::default()), message });
    }
    problems.extend(link_problems);
    let (uncompiled, compiled): (Vec<&Arc<LinkedFile>>, Vec<&Arc<LinkedFile>>) = facts
        .files
        .iter()
        .filter(|f| !f.facts.problems.is_empty())
        .partition(|f| f.facts.kind == FileKind::Rust && (!f.info.compiled || is_test_data(&f.info.path)));
    problems.extend(compiled.iter().flat_map(|f| f.facts.problems.iter().cloned()));
    notes.extend(unread_test_data(&uncompiled));
    facts.development = crate::facts::development_files(&facts.files, &discovery.foreign_projects);
    if graph_needed {
        let (graph, graph_problems) =
            timings.phase("architecture graph", || ArchGraph::build(&facts, &config.architecture));
        facts.arch = graph;
        problems.extend(graph_problems);
    }
    let left_out = crate::left_out::from_walk(&discovery);
    Collected { config, facts, problems, notes, timings, plan, stop: false, expansions, left_out, cargo_unfinished }
}

/// Whether a Rust file lies in a crate kept as test data (`tests/crates/build-failure/`,
/// `fixtures/`): compiled by its own package, which exists for a test to build — often to fail.
fn is_test_data(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let test_dir = |dir: &&str| matches!(*dir, "tests" | "test" | "testdata" | "test-data" | "test_data" | "fixtures");
    // A test directory holding another crate's `src/`: not a crate's own `src/tests/` module.
    parts.iter().position(test_dir).is_some_and(|at| parts[at + 1..].contains(&"src"))
}

/// One note for the Rust files no target compiles, or only a crate kept as test data, that could
/// not be read (a parser's test data, templates, a crate a test builds to see it fail): they are
/// not part of what is deployed, so they cannot make the run untrustworthy.
fn unread_test_data(files: &[&Arc<LinkedFile>]) -> Option<Problem> {
    let first = files.first()?;
    let named: Vec<&str> = files.iter().take(3).map(|f| f.info.path.as_str()).collect();
    let more =
        if files.len() > named.len() { format!(" and {} more", files.len() - named.len()) } else { String::new() };
    let message = format!(
        "{} Rust file{} that no target's module tree includes could not be read, so {} not checked: {}{more}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        if files.len() == 1 { "it was" } else { "they were" },
        named.join(", "),
    );
    Some(Problem { location: Location::file(first.info.path), message })
}

/// Reads and extracts one file; with a cache, a Rust file's facts come from it when they were
/// extracted from the same bytes — known by the hash `known` of the file's bytes without
/// reading it, when the run already hashed it.
fn read_and_extract(
    file: &SourceFile,
    kind: FileKind,
    max_size: u64,
    (cache, known): (Option<&Cache>, Option<&ContentHash>),
    needs: extract::Needs,
    template_as_written: bool,
) -> Option<FileFacts> {
    let cache = cache.filter(|_| kind == FileKind::Rust && !template_as_written);
    if let Some(facts) = cache.zip(known).and_then(|(cache, hash)| cache.load_hashed(file.shown, hash)) {
        return Some(facts);
    }
    let problem = |message: String| {
        let mut facts = FileFacts::new(file.shown, kind);
        facts.problems.push(Problem { location: Location::file(file.shown), message });
        Some(facts)
    };
    let bytes = match crate::tree::read_regular(&file.path, max_size) {
        Ok(bytes) => bytes,
        Err(crate::tree::Refused::TooLarge(size)) => {
            let mut facts = FileFacts::new(file.shown, kind);
            let message =
                format!("skipped: {size} bytes is over the max_file_size of {max_size} bytes in guardrail.toml");
            let problem = Problem { location: Location::file(file.shown), message };
            // Rust code a target compiles cannot go unchecked unseen (padding a main.rs would
            // hide its findings): that is an error once link knows it is compiled. A data file
            // named like a manifest is only a note.
            if kind == FileKind::Rust {
                facts.problems.push(problem);
            } else {
                facts.notes.push(problem);
            }
            return Some(facts);
        }
        Err(error) => return problem(format!("cannot read: {error}; the file was not checked")),
    };
    if template_as_written {
        return Some(extract::extract_template_as_written(file.shown, &bytes));
    }
    if let Some(facts) = cache.filter(|_| known.is_none()).and_then(|cache| cache.load(file.shown, &bytes)) {
        return Some(facts);
    }
    // A bug in an extractor must cost one file, not the run.
    match catch_unwind(AssertUnwindSafe(|| extract::extract_what(file.shown, kind, &bytes, needs))) {
        Ok(facts) => {
            if let (Some(cache), Some(facts)) = (cache, &facts) {
                cache.store(facts, &bytes);
            }
            facts
        }
        Err(_) => problem("internal error: guardrail panicked while reading this file; it was not checked".to_owned()),
    }
}

/// What the options name, read before anything is checked: a baseline or diff base that cannot
/// be read stops the run (printing every finding instead would flood a pull request).
struct Narrowing {
    baseline: Option<filter::baseline::Baseline>,
    diff: Option<filter::diff::Diff>,
}

impl Narrowing {
    fn read(root: &Path, options: &CheckOptions) -> Result<Narrowing, Vec<Problem>> {
        let mut problems = Vec::new();
        let baseline = options.baseline.as_ref().and_then(|path| {
            let shown = crate::discover::config::relative_display(root, path);
            filter::baseline::load(root, path, &shown).map_err(|problem| problems.push(problem)).ok()
        });
        let diff = options.diff_base.as_ref().and_then(|base| {
            let message = |error: String| {
                format!(
                    "--diff-base {base}: {error}; in a shallow clone (actions/checkout's default) the base is \
                     missing: check out with `fetch-depth: 0`"
                )
            };
            filter::diff::changed_lines(root, base)
                .map_err(|error| {
                    problems.push(Problem { location: Location::file(Symbol::default()), message: message(error) })
                })
                .ok()
        });
        if problems.is_empty() {
            Ok(Narrowing { baseline, diff })
        } else {
            Err(problems)
        }
    }

    /// Narrows the report to what was asked: not in the baseline, part of the change, in the
    /// files given. Returns how many findings the baseline hid, how many diff mode did, and how
    /// many lay outside the paths given.
    fn apply(
        self,
        root: &Path,
        findings: &mut Vec<crate::findings::Finding>,
        notes: &mut Vec<Problem>,
        options: &CheckOptions,
    ) -> (usize, usize, usize) {
        let mut baselined = 0;
        if let Some(baseline) = self.baseline {
            let (hidden, stale) = filter::baseline::apply(findings, baseline);
            baselined = hidden;
            notes.extend(stale);
        }
        let before_diff = findings.len();
        if let Some(diff) = &self.diff {
            narrow_to_change(root, diff, findings, notes, options);
        }
        let outside_diff = before_diff - findings.len();
        let before_paths = findings.len();
        if !options.only_paths.is_empty() {
            let within = |path: &str, only: &str| {
                path == only || path.strip_prefix(only).is_some_and(|rest| rest.starts_with('/'))
            };
            findings.retain(|f| options.only_paths.iter().any(|p| within(&f.location.path, p)));
        }
        (baselined, outside_diff, before_paths - findings.len())
    }
}

/// Keeps the findings that belong to the change: one of their locations (the finding's or a
/// related one) is on a changed line, or the base revision did not have them.
fn narrow_to_change(
    root: &Path,
    diff: &filter::diff::Diff,
    findings: &mut Vec<crate::findings::Finding>,
    notes: &mut Vec<Problem>,
    options: &CheckOptions,
) {
    let touches = |location: &Location| {
        let whole_file = location.line == 1 && location.start_byte == location.end_byte;
        filter::diff::is_changed(&diff.changed, &location.path, location.line, whole_file)
    };
    let (on_change, elsewhere): (Vec<_>, Vec<_>) = std::mem::take(findings)
        .into_iter()
        .partition(|f| touches(&f.location) || f.related.iter().any(|r| touches(&r.location)));
    *findings = on_change;
    if elsewhere.is_empty() {
        return;
    }
    match base_findings(root, diff, options) {
        Ok(base) => findings.extend(elsewhere.into_iter().filter(|f| !base.contains(&finding_key(f)))),
        Err(error) => notes.push(Problem {
            location: Location::file(Symbol::default()),
            message: format!(
                "--diff-base: the base revision could not be checked ({error}), so findings this change made on \
                 lines it did not touch were not reported"
            ),
        }),
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

fn finding_key(finding: &crate::findings::Finding) -> (String, Symbol, String) {
    (finding.rule.clone(), finding.location.path, finding.fingerprint.clone())
}

/// The findings of the change's base revision, checked out of git into a scratch directory and
/// checked with the same command line.
fn base_findings(
    root: &Path,
    diff: &filter::diff::Diff,
    options: &CheckOptions,
) -> Result<std::collections::HashSet<(String, Symbol, String)>, String> {
    let wanted = |path: &str| {
        let name = path.rsplit('/').next().unwrap_or(path);
        discover::is_read(path) || name == discover::config::FILE_NAME || name.ends_with(".rhai")
    };
    let tree = filter::diff::base_tree(root, &diff.merge_base, wanted)?;
    let base_options = CheckOptions {
        config: options.config.clone(),
        policy_dirs: options.policy_dirs.clone(),
        architecture_graph: options.architecture_graph,
        preview: options.preview,
        ..CheckOptions::default()
    };
    let run = check_in_pool(tree.path(), &base_options);
    Ok(run.outcome.findings.iter().map(finding_key).collect())
}

/// The whole check of the tree under `root`.
pub fn check(root: &Path, options: &CheckOptions) -> Run {
    in_pool(|| check_in_pool(root, options))
}

fn sort_problems(problems: &mut [Problem]) {
    problems.sort_by(|a, b| {
        let key = |p: &Problem| (p.location.path, p.location.line, p.location.column, p.message.clone());
        key(a).cmp(&key(b))
    });
}

/// A run that stopped before checking anything: what it reports cannot be trusted, so it
/// reports only why.
fn stopped(root: &Path, mut problems: Vec<Problem>, config: Config, facts: Arc<Facts>, timings: Timings) -> Run {
    sort_problems(&mut problems);
    let outcome = Outcome { problems, ..Outcome::default() };
    Run { outcome, facts, sources: Sources::new(root), rules: Vec::new(), config, timings }
}

fn check_in_pool(root: &Path, options: &CheckOptions) -> Run {
    let narrowing = match Narrowing::read(root, options) {
        Ok(narrowing) => narrowing,
        Err(problems) => return stopped(root, problems, Config::default(), Arc::default(), Timings::default()),
    };
    // Every mistake of the configuration — its syntax and values, unknown rules and parameters —
    // is reported at once, and then nothing else: a run without the configuration it names
    // reports what nobody asked for.
    let mut timings = Timings::default();
    let (config, mut mistakes) = timings.phase("configuration", || Config::load(root, options.config.as_deref()));
    let (policies, policy_problems) = PolicySet::load(root, &config, &options.policy_dirs);
    let (settings, settings_problems) =
        resolve_settings(&config, &policies.policies, &crate::native::NATIVE_RULES, options.preview);
    mistakes.extend(settings_problems);
    if !mistakes.is_empty() {
        return stopped(root, mistakes, config, Arc::default(), timings);
    }
    let walked = timings.phase("walk", || discover::walk(root, &config));
    let sources = Sources::new(root);
    for policy in &policies.policies {
        sources.insert(policy.path, policy.source.clone());
    }
    for (shown, _, text) in &options.extra_inputs {
        sources.insert(*shown, text.clone());
    }
    let remembered =
        timings.phase("hash inputs", || Remembered::open(root, options, &config, &policies.policies, &walked));
    let previous =
        remembered.as_ref().and_then(|remembered| timings.phase("read the previous result", || remembered.load()));
    let (mut checked, facts, config, timings) = match previous {
        Some(checked) => (checked, Arc::default(), config, Timings { remembered: true, ..timings }),
        None => {
            let Collected {
                config,
                facts,
                mut problems,
                mut notes,
                mut timings,
                plan,
                stop,
                expansions,
                mut left_out,
                cargo_unfinished,
            } = collect_walked(root, options, config, walked, remembered.as_ref().map(|r| &r.content_hashes), timings);
            if stop {
                return stopped(root, problems, config, Arc::new(facts), timings);
            }
            let facts = Arc::new(facts);
            problems.extend(policy_problems);
            let evaluation = timings.phase("evaluate", || policies.evaluate(&facts, &settings));
            let mut findings = evaluation.findings;
            timings.policies = evaluation.times;
            problems.extend(evaluation.problems);
            findings.extend(arch::check(&facts.arch, &config.architecture, &settings));
            expansions.show_in(&sources);
            expansions.remap(&mut findings, &mut problems, &sources);
            let (mut findings, suppressed) =
                timings.phase("filter", || filter::apply(findings, &facts, &settings, &sources));
            let chart_notes = facts.files.iter().flat_map(|f| f.facts.notes.iter().cloned()).collect();
            notes.extend(extract::one_note_per_chart(chart_notes));
            if let Some(plan) = &plan {
                findings.retain(|f| plan.owns(&f.location.path));
                problems.retain(|p| !plan.owned_elsewhere(&p.location.path));
                notes.retain(|n| !plan.owned_elsewhere(&n.location.path));
            }
            left_out.extend(crate::left_out::from_facts(&facts));
            let files = facts.files.len();
            let mut checked = Checked { findings, problems, notes, files, suppressed, left_out };
            let remember = remembered.as_ref().filter(|_| !cargo_unfinished);
            if let Some(Err(message)) = remember.map(|remembered| remembered.store(&checked)) {
                checked.notes.push(Problem { location: Location::file(Symbol::default()), message });
            }
            (checked, facts, config, timings)
        }
    };
    let (baselined, outside_diff, outside_paths) =
        narrowing.apply(root, &mut checked.findings, &mut checked.notes, options);
    let Checked { findings, mut problems, notes, files, suppressed, mut left_out } = checked;
    sort_problems(&mut problems);
    left_out.extend(crate::left_out::from_config(&config));
    let preview_off = policies.policies.iter().filter(|p| {
        let off_by_config = config
            .rules
            .get(&p.doc.id)
            .is_some_and(|r| r.level == Some(crate::discover::Level::Off) || r.enabled == Some(false));
        p.origin == Origin::Builtin
            && crate::engine::is_preview(&p.doc.id)
            && settings.get(&p.doc.id).is_some_and(|s| s.severity.is_none())
            && !off_by_config
    });
    left_out.extend(crate::left_out::from_preview(preview_off.map(|p| p.doc.id.clone()).collect()));
    let outside_paths = (outside_paths, options.only_paths.as_slice());
    left_out.extend(crate::left_out::from_filters(suppressed, baselined, outside_diff, outside_paths));
    let outcome = Outcome { findings, problems, files, suppressed, baselined, notes, left_out };
    let rules =
        policies.policies.iter().map(|p| p.doc.clone()).chain(crate::native::NATIVE_RULES.iter().cloned()).collect();
    Run { outcome, facts, sources, rules, config, timings }
}

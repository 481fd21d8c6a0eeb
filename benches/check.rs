//! `cargo bench --bench check`: guardrail end to end against the floor of reading and parsing
//! the same files with syn, on the same threads, in one run:
//!
//! - the parse-only floor: read + `syn::parse_file` of every `.rs` file, in parallel, with the
//!   allocator the binary uses;
//! - the `guardrail` binary's `check`, end to end, cold (`--no-cache`) with every built-in
//!   policy, on all threads and on one, and its peak memory (the largest of the runs);
//! - `check` with the facts cache: the run that fills it, then warm runs (nothing changed: the
//!   remembered result), then warm runs with one file changed (the facts cache)
//!   and their peak memory;
//! - ast-grep and Semgrep running one unbounded-channel rule over the same tree, when
//!   `scripts/install-bench-peers.sh` has installed them under `target/tools`.
//!
//! `GUARDRAIL_BENCH_LINES` sizes the generated workspace (default 1,000,000 lines);
//! `GUARDRAIL_BENCH_DIR=/path` measures a directory of your own instead.

mod generate;

use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 5;
/// Runs of ast-grep, and of Semgrep, which takes minutes on a million lines.
const PEER_RUNS: [usize; 2] = [3, 1];

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
/// Bump when the generator changes, so an old generated tree is not measured as a new one.
const GENERATOR_VERSION: u32 = 2;

fn rust_files(root: &Path) -> Vec<PathBuf> {
    let walker = ignore::WalkBuilder::new(root).hidden(false).require_git(false).build();
    walker.filter_map(Result::ok).map(|e| e.into_path()).filter(|p| p.extension().is_some_and(|e| e == "rs")).collect()
}

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    middle(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn middle(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn parse_floor(files: &[PathBuf]) {
    files.par_iter().for_each(|path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let _ = std::hint::black_box(syn::parse_file(&text));
        proc_macro2::extra::invalidate_current_thread_spans();
    });
}

/// Runs `command` `runs` times: the median wall time, the peak memory of the last run when
/// GNU time is there to tell it, and the last run's stdout.
fn measure(runs: usize, command: impl Fn() -> Command) -> Option<(Duration, Option<u64>, String)> {
    let memory_file = std::env::temp_dir().join(format!("guardrail-bench-rss-{}", std::process::id()));
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mut last = String::new();
    let mut failed = false;
    let time = median(runs, || {
        let command = command();
        let mut run = if gnu_time {
            let mut wrapped = Command::new("/usr/bin/time");
            wrapped.args(["-f", "%M", "-o"]).arg(&memory_file).arg(command.get_program()).args(command.get_args());
            wrapped.envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))));
            wrapped
        } else {
            command
        };
        match run.output() {
            Ok(output) => last = String::from_utf8_lossy(&output.stdout).into_owned(),
            Err(error) => {
                eprintln!("cannot run {:?}: {error}", run.get_program());
                failed = true;
            }
        }
    });
    let memory = std::fs::read_to_string(&memory_file).ok().and_then(|t| t.lines().last()?.trim().parse().ok());
    let _ = std::fs::remove_file(&memory_file);
    (!failed).then_some((time, memory, last))
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours is ignored.
    let root = match std::env::var_os("GUARDRAIL_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let lines: usize =
                std::env::var("GUARDRAIL_BENCH_LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
            // Outside this repository, whose .gitignore would hide a workspace under target/.
            let root = std::env::temp_dir().join(format!("guardrail-bench-v{GENERATOR_VERSION}-{lines}"));
            if !root.join("Cargo.toml").exists() {
                let written = generate::generate(&root, lines).expect("generate the workspace");
                eprintln!("generated {written} lines in {}", root.display());
            }
            root
        }
    };
    let files = rust_files(&root);
    let lines: usize = files.iter().map(|p| std::fs::read_to_string(p).map_or(0, |t| t.lines().count())).sum();
    let bytes: u64 = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let threads = rayon::current_num_threads();
    println!(
        "workspace: {} ({} Rust files, {lines} lines, {:.1} MiB), {threads} threads, median of {RUNS} runs",
        root.display(),
        files.len(),
        bytes as f64 / 1048576.0
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |d: Duration, base: Duration| d.as_secs_f64() / base.as_secs_f64();

    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
    let guardrail = |extra: &[&str], threads: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_guardrail"));
        // Every built-in rule, the preview tier too: the join is measured with its findings.
        command.arg("check").arg(&root).args(["--format", "json", "--preview"]).args(extra);
        if let Some(threads) = threads {
            command.env("RAYON_NUM_THREADS", threads);
        }
        command
    };
    let findings = |json: &str| {
        serde_json::from_str::<serde_json::Value>(json).ok().and_then(|r| Some(r["findings"].as_array()?.len()))
    };
    // The floor and the cold check take turns, run by run: on a shared machine both meet the
    // same neighbours, and their ratio holds steadier than either time.
    let (mut floors, mut colds, mut peaks, mut last_cold) = (Vec::new(), Vec::new(), Vec::new(), None);
    for _ in 0..RUNS {
        floors.push(pool.install(|| median(1, || parse_floor(&files))));
        let Some((cold, memory, out)) = measure(1, || guardrail(&["--no-cache"], None)) else { return };
        colds.push(cold);
        peaks.extend(memory);
        last_cold = Some(out);
    }
    let (floor, cold) = (middle(floors), middle(colds));
    // The largest of the runs: a limit holds for every run, not the typical one.
    let memory = peaks.into_iter().max();
    let Some(out) = last_cold else { return };
    println!("parse-only floor (read + syn::parse_file)   {:>9.1} ms", ms(floor));
    let found = findings(&out);
    println!(
        "check, cold, all built-in policies          {:>9.1} ms  {:>5.2}x floor  ({} findings)",
        ms(cold),
        ratio(cold, floor),
        found.map_or("?".to_owned(), |n| n.to_string())
    );
    if let Some((single, _, _)) = measure(RUNS, || guardrail(&["--no-cache"], Some("1"))) {
        println!(
            "check, cold, 1 thread                       {:>9.1} ms  speed-up {threads} threads vs 1: {:.2}x",
            ms(single),
            ratio(single, cold)
        );
    }

    let cache_dir = std::env::temp_dir().join(format!("guardrail-bench-cache-{}", std::process::id()));
    let cached = cache_dir.display().to_string();
    let _ = std::fs::remove_dir_all(&cache_dir);
    if let Some((filling, _, _)) = measure(1, || guardrail(&["--cache-dir", &cached], None)) {
        println!(
            "check, filling the cache                    {:>9.1} ms  {:>5.2}x floor",
            ms(filling),
            ratio(filling, floor)
        );
    }
    let mut warm_memory = None;
    if let Some((warm, memory, out)) = measure(RUNS, || guardrail(&["--cache-dir", &cached], None)) {
        assert_eq!(findings(&out), found, "a warm run reports what a cold one does");
        println!(
            "check, warm (nothing changed)               {:>9.1} ms  {:>5.1}% of cold",
            ms(warm),
            100.0 * ratio(warm, cold)
        );
        warm_memory = memory;
    }
    // A commit's worth of change: one Rust file differs from the previous run (a comment added),
    // so the remembered result does not apply and that file alone is extracted again.
    let edited = &files[files.len() / 2];
    if let Ok(original) = std::fs::read(edited) {
        let edits = std::cell::Cell::new(0);
        let edit_then_check = || {
            edits.set(edits.get() + 1);
            let mut text = original.clone();
            text.extend_from_slice(format!("\n// edit {}\n", edits.get()).as_bytes());
            std::fs::write(edited, text).expect("edit a file of the benchmark tree");
            guardrail(&["--cache-dir", &cached], None)
        };
        if let Some((changed, _, out)) = measure(RUNS, edit_then_check) {
            assert_eq!(findings(&out), found, "a comment changes no finding");
            println!(
                "check, warm (one file changed)              {:>9.1} ms  {:>5.1}% of cold",
                ms(changed),
                100.0 * ratio(changed, cold)
            );
        }
        std::fs::write(edited, original).expect("restore the edited file");
    }
    let _ = std::fs::remove_dir_all(&cache_dir);

    for (run, peak) in
        [(format!("cold check (largest of {RUNS} runs)"), memory), ("warm check".to_owned(), warm_memory)]
    {
        let Some(peak) = peak else { continue };
        println!(
            "peak memory of a {run}: {:.1} MiB, {:.1} MiB per 100k lines, {:.2}x the {:.1} MiB of source read",
            peak as f64 / 1024.0,
            peak as f64 / 1024.0 / (lines as f64 / 100_000.0),
            (peak * 1024) as f64 / bytes as f64,
            bytes as f64 / 1048576.0
        );
    }

    peers(&root, floor);
    if let Ok(output) = guardrail(&["--no-cache", "--timings"], None).output() {
        println!("\nphases of a cold run:\n{}", String::from_utf8_lossy(&output.stderr));
    }
}

/// ast-grep and Semgrep, one unbounded-channel rule each, over the same tree.
fn peers(root: &Path, floor: Duration) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tools = repo.join("target/tools");
    let rules = repo.join("benches/peers");
    let threads = rayon::current_num_threads().to_string();
    let ast_grep = tools.join("ast-grep/node_modules/.bin/ast-grep");
    let semgrep = tools.join("bench-venv/bin/semgrep");
    let ast_grep_command = || {
        let mut command = Command::new(&ast_grep);
        command.arg("scan").arg("--rule").arg(rules.join("unbounded-channel.ast-grep.yml"));
        command.args(["--json=compact", "--threads", &threads]).arg(root);
        command
    };
    let semgrep_command = || {
        let mut command = Command::new(&semgrep);
        command.arg("scan").arg("--config").arg(rules.join("unbounded-channel.semgrep.yml"));
        // Without --disable-version-check an offline Semgrep waits ~96 s for a lookup to fail.
        command.args(["--json", "--metrics=off", "--disable-version-check", "--jobs", &threads]);
        command.arg(root);
        command
    };
    let commands: [(&str, &Path, &dyn Fn() -> Command, usize); 2] = [
        ("ast-grep", &ast_grep, &ast_grep_command, PEER_RUNS[0]),
        ("semgrep", &semgrep, &semgrep_command, PEER_RUNS[1]),
    ];
    if !ast_grep.exists() && !semgrep.exists() {
        println!("peers: not installed (bash scripts/install-bench-peers.sh), skipped");
    }
    for (name, binary, command, runs) in commands {
        if !binary.exists() {
            continue;
        }
        let Some((time, memory, out)) = measure(runs, command) else { continue };
        let matches = serde_json::from_str::<serde_json::Value>(&out).ok().map(|json| match json.get("results") {
            Some(results) => results.as_array().map_or(0, Vec::len),
            None => json.as_array().map_or(0, Vec::len),
        });
        println!(
            "{name:<9} one rule                         {:>9.1} ms  {:>5.2}x floor  ({} matches, peak {})",
            time.as_secs_f64() * 1e3,
            time.as_secs_f64() / floor.as_secs_f64(),
            matches.map_or("?".to_owned(), |m| m.to_string()),
            memory.map_or("?".to_owned(), |kib| format!("{:.0} MiB", kib as f64 / 1024.0)),
        );
    }
}

//! `cargo bench --bench check`: guardrail end to end against the floor of reading and parsing
//! the same files with syn, on the same threads. Set `GUARDRAIL_BENCH_LINES` (default 200000)
//! or `GUARDRAIL_BENCH_DIR` to measure a directory of your own instead.

mod generate;

use guardrail::check::{check, CheckOptions};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn rust_files(root: &Path) -> Vec<PathBuf> {
    let walker = ignore::WalkBuilder::new(root).hidden(false).require_git(false).build();
    walker.filter_map(Result::ok).map(|e| e.into_path()).filter(|p| p.extension().is_some_and(|e| e == "rs")).collect()
}

/// The median of `RUNS` timings of `f`.
fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn parse_floor(files: &[PathBuf]) {
    files.par_iter().for_each(|path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let _ = std::hint::black_box(syn::parse_file(&text));
        proc_macro2::extra::invalidate_current_thread_spans();
    });
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours is ignored.
    let root = match std::env::var_os("GUARDRAIL_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let lines: usize =
                std::env::var("GUARDRAIL_BENCH_LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
            // Outside this repository, whose .gitignore would hide a workspace under target/.
            let root = std::env::temp_dir().join(format!("guardrail-bench-{lines}"));
            if !root.join("Cargo.toml").exists() {
                let written = generate::generate(&root, lines).expect("generate the workspace");
                eprintln!("generated {written} lines in {}", root.display());
            }
            root
        }
    };
    let files = rust_files(&root);
    let lines: usize = files.iter().map(|p| std::fs::read_to_string(p).map_or(0, |t| t.lines().count())).sum();
    let threads = rayon::current_num_threads();
    println!(
        "workspace: {} ({} files, {lines} lines), {threads} threads, median of {RUNS} runs",
        root.display(),
        files.len()
    );

    let floor = median(|| parse_floor(&files));
    let mut findings = 0;
    let mut timings = String::new();
    let full = median(|| {
        let run = check(&root, &CheckOptions::default());
        findings = run.outcome.findings.len();
        timings = run.timings.render(5);
    });
    println!("parse-only floor (read + syn::parse_file): {:>8.1} ms", floor.as_secs_f64() * 1e3);
    println!("guardrail check (all built-in policies):   {:>8.1} ms  ({findings} findings)", full.as_secs_f64() * 1e3);
    println!("ratio check / floor: {:.2}x", full.as_secs_f64() / floor.as_secs_f64());
    println!("\nphases of the last run:\n{timings}");
}

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

/// VmHWM from /proc: the process's peak resident memory.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
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

    let pool = |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
    let floor = pool(threads).install(|| median(|| parse_floor(&files)));
    let mut findings = 0;
    let mut timings = String::new();
    let full = median(|| {
        let run = check(&root, &CheckOptions::default());
        findings = run.outcome.findings.len();
        timings = run.timings.render(5);
    });
    // `check` builds its pool on each run, sized by RAYON_NUM_THREADS.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let single = median(|| drop(check(&root, &CheckOptions::default())));
    std::env::remove_var("RAYON_NUM_THREADS");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("parse-only floor (read + syn::parse_file):  {:>8.1} ms", ms(floor));
    println!("guardrail check (all built-in policies):    {:>8.1} ms  ({findings} findings)", ms(full));
    println!("guardrail check on 1 thread:                {:>8.1} ms", ms(single));
    println!("ratio check / floor: {:.2}x", full.as_secs_f64() / floor.as_secs_f64());
    println!("speed-up {threads} threads vs 1: {:.2}x", single.as_secs_f64() / full.as_secs_f64());
    if let Some(peak) = peak_memory_kib() {
        let bytes: u64 = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
        println!(
            "peak memory (whole process): {:.0} MiB, {:.1} MiB per 100k lines, {:.1}x the source read ({:.1} MiB)",
            peak as f64 / 1024.0,
            peak as f64 / 1024.0 / (lines as f64 / 100_000.0),
            (peak * 1024) as f64 / bytes as f64,
            bytes as f64 / 1048576.0
        );
    }
    println!("\nphases of the last run:\n{timings}");
}

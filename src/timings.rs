//! `--timings`: where a run spent its time, per phase, per policy, and the slowest files.

use crate::cache::CacheStats;
use crate::symbol::Symbol;
use std::fmt::Write;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Timings {
    /// Each phase with its wall time and the peak resident memory of the process at its end.
    pub phases: Vec<(&'static str, Duration, Option<u64>)>,
    pub policies: Vec<(String, Duration)>,
    pub files: Vec<(Symbol, Duration)>,
    /// Set when the run used the facts cache.
    pub cache: Option<CacheStats>,
    /// The run reported the previous run's result: nothing it reads had changed.
    pub remembered: bool,
}

impl Timings {
    /// Runs `f` and records its wall time as `phase`.
    pub fn phase<R>(&mut self, phase: &'static str, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let result = f();
        self.phases.push((phase, start.elapsed(), peak_resident_bytes()));
        result
    }

    pub fn render(&self, slowest: usize) -> String {
        let ms = |d: &Duration| d.as_secs_f64() * 1e3;
        let mut out = String::from("guardrail timings (wall clock; peak resident memory so far)\n");
        for (phase, duration, peak) in &self.phases {
            let _ = write!(out, "  {phase:<28} {:>9.1} ms", ms(duration));
            if let Some(peak) = peak {
                let _ = write!(out, "  {:>6.1} MiB", *peak as f64 / 1048576.0);
            }
            out.push('\n');
        }
        let mut policies: Vec<_> = self.policies.iter().collect();
        policies.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (id, duration) in policies {
            let _ = writeln!(out, "    policy {id:<21} {:>9.1} ms", ms(duration));
        }
        if let Some(CacheStats { hits, misses }) = self.cache {
            let _ = writeln!(out, "  cache: {hits} files reused, {misses} extracted");
        }
        if self.remembered {
            let _ = writeln!(out, "  cache: the previous run's result, as nothing it reads changed");
        }
        if self.files.is_empty() {
            return out;
        }
        let mut files: Vec<_> = self.files.iter().collect();
        files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = writeln!(out, "  slowest files (read + extract)");
        for (path, duration) in files.into_iter().take(slowest) {
            let _ = writeln!(out, "    {:>9.1} ms  {path}", ms(duration));
        }
        out
    }
}

/// The process's peak resident set so far, where the platform tells it (Linux's `VmHWM`).
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

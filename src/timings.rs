//! `--timings`: where a run spent its time, per phase, per policy, and the slowest files.

use crate::cache::CacheStats;
use crate::facts::Symbol;
use std::fmt::Write;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Timings {
    pub phases: Vec<(&'static str, Duration)>,
    pub policies: Vec<(String, Duration)>,
    pub files: Vec<(Symbol, Duration)>,
    /// Set when the run used the facts cache.
    pub cache: Option<CacheStats>,
}

impl Timings {
    /// Runs `f` and records its wall time as `phase`.
    pub fn phase<R>(&mut self, phase: &'static str, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let result = f();
        self.phases.push((phase, start.elapsed()));
        result
    }

    pub fn render(&self, slowest: usize) -> String {
        let ms = |d: &Duration| d.as_secs_f64() * 1e3;
        let mut out = String::from("guardrail timings (wall clock)\n");
        for (phase, duration) in &self.phases {
            let _ = writeln!(out, "  {phase:<28} {:>9.1} ms", ms(duration));
        }
        let mut policies: Vec<_> = self.policies.iter().collect();
        policies.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (id, duration) in policies {
            let _ = writeln!(out, "    policy {id:<21} {:>9.1} ms", ms(duration));
        }
        if let Some(CacheStats { hits, misses }) = self.cache {
            let _ = writeln!(out, "  cache: {hits} files reused, {misses} extracted");
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

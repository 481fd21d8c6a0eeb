//! Line-insensitive fingerprints: a finding keeps its fingerprint when lines are added above
//! it, so baselines and code scanning can follow it.

use crate::findings::Finding;
use crate::location::LineIndex;
use crate::sources::Sources;
use std::collections::HashMap;

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The fingerprint of a finding whose line reads `line_text`, the `occurrence`-th finding of
/// the same rule on an identical line of the same file.
pub fn fingerprint(rule: &str, path: &str, line_text: &str, occurrence: usize) -> String {
    let normalized: String = line_text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{:016x}", fnv1a(&[rule, path, &normalized, &occurrence.to_string()]))
}

/// Sets the fingerprint of every finding; `findings` must be in report order.
pub fn assign(findings: &mut [Finding], sources: &Sources) {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for same_file in findings.chunk_by_mut(|a, b| a.location.path == b.location.path) {
        let path = same_file[0].location.path;
        let text = sources.get(path);
        let index = text.as_deref().map(LineIndex::new);
        for finding in same_file {
            let line_text = index.as_ref().map_or("", |i| i.line_text(finding.location.line));
            let occurrence = seen.entry((finding.rule.clone(), line_text.to_owned())).or_default();
            finding.fingerprint = fingerprint(&finding.rule, &path, line_text, *occurrence);
            *occurrence += 1;
        }
        seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_indentation_but_not_content() {
        let a = fingerprint("r", "a.rs", "    let (tx, rx) = unbounded_channel();", 0);
        assert_eq!(a, fingerprint("r", "a.rs", "let (tx, rx) =  unbounded_channel();", 0));
        assert_ne!(a, fingerprint("r", "a.rs", "let (tx, rx) = unbounded_channel();", 1));
        assert_ne!(a, fingerprint("r", "b.rs", "let (tx, rx) = unbounded_channel();", 0));
    }
}

//! Diff mode: the lines changed since the merge-base of a reference and HEAD (plus uncommitted
//! and untracked files), so a pull request is judged on what it changes. Facts still come from
//! the whole workspace; only the report is narrowed.

use std::collections::HashMap;
use std::path::Path;

/// Changed line ranges (inclusive) per file, relative to `root`; a file with an empty list
/// is new or changed as a whole.
pub type ChangedLines = HashMap<String, Vec<(u32, u32)>>;

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    crate::git::git(root, args).map(|output| String::from_utf8_lossy(&output).into_owned())
}

/// The lines changed since `merge-base(base, HEAD)` in the repository holding `root`.
pub fn changed_lines(root: &Path, base: &str) -> Result<ChangedLines, String> {
    let merge_base = git(root, &["merge-base", "--end-of-options", base, "HEAD"])?;
    let diff = git(
        root,
        &["diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", "--relative", merge_base.trim()],
    )?;
    let mut changed = parse_diff(&diff);
    for untracked in git(root, &["ls-files", "--others", "--exclude-standard"])?.lines() {
        changed.insert(untracked.to_owned(), Vec::new());
    }
    Ok(changed)
}

/// Parses `git diff --unified=0` output into the new side's changed line ranges.
pub fn parse_diff(diff: &str) -> ChangedLines {
    let mut changed = ChangedLines::new();
    let mut current: Option<String> = None;
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            current = path.strip_prefix("b/").map(str::to_owned);
            if let Some(path) = &current {
                changed.entry(path.clone()).or_default();
            }
        } else if let (Some(hunk), Some(path)) = (line.strip_prefix("@@ "), &current) {
            let Some(new) = hunk.split_whitespace().find(|part| part.starts_with('+')) else { continue };
            let (start, count) = match new[1..].split_once(',') {
                Some((start, count)) => (start.parse().unwrap_or(0), count.parse().unwrap_or(0)),
                None => (new[1..].parse().unwrap_or(0), 1),
            };
            if count > 0 {
                changed.entry(path.clone()).or_default().push((start, start + count - 1));
            }
        }
    }
    changed
}

/// Whether a finding at `path:line` is on a changed line; a finding about a whole file (line 1,
/// no width) counts when the file changed at all.
pub fn is_changed(changed: &ChangedLines, path: &str, line: u32, whole_file: bool) -> bool {
    match changed.get(path) {
        None => false,
        Some(ranges) => whole_file || ranges.is_empty() || ranges.iter().any(|(a, b)| (*a..=*b).contains(&line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_new_side_of_hunks() {
        let diff = "diff --git a/src/a.rs b/src/a.rs\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -3,0 +4,2 @@ fn x\n+a\n+b\n@@ -10 +12 @@\n-x\n+y\n@@ -20,3 +21,0 @@\n--- a/gone.rs\n+++ /dev/null\n";
        let changed = parse_diff(diff);
        assert_eq!(changed["src/a.rs"], [(4, 5), (12, 12)]);
        assert!(!changed.contains_key("gone.rs"));
        assert!(is_changed(&changed, "src/a.rs", 5, false));
        assert!(!is_changed(&changed, "src/a.rs", 6, false));
        assert!(is_changed(&changed, "src/a.rs", 1, true));
    }
}

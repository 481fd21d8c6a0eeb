//! Diff mode: the lines changed since the merge-base of a reference and HEAD (plus uncommitted
//! and untracked files), so a pull request is judged on what it changes. Facts still come from
//! the whole workspace; only the report is narrowed. A finding belongs to the change when one
//! of its locations is on a changed line, or when the base revision did not have it (renaming a
//! route in code makes a finding on the manifest's unchanged probe line): the base is checked
//! out of git into a scratch directory ([`base_tree`]) and checked as well.

use crate::scratch::ScratchDir;
use std::collections::HashMap;
use std::path::Path;

/// Changed line ranges (inclusive) per file, relative to `root`; a file with an empty list
/// is new or changed as a whole.
pub type ChangedLines = HashMap<String, Vec<(u32, u32)>>;

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    crate::git::git(root, args).map(|output| String::from_utf8_lossy(&output).into_owned())
}

/// What a change is: its lines, and the commit it started from.
pub struct Diff {
    pub changed: ChangedLines,
    pub merge_base: String,
}

/// The lines changed since `merge-base(base, HEAD)` in the repository holding `root`.
pub fn changed_lines(root: &Path, base: &str) -> Result<Diff, String> {
    let merge_base = git(root, &["merge-base", "--end-of-options", base, "HEAD"])?;
    let diff = git(
        root,
        &["diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", "--relative", merge_base.trim()],
    )?;
    let mut changed = parse_diff(&diff);
    for untracked in git(root, &["ls-files", "--others", "--exclude-standard"])?.lines() {
        changed.insert(untracked.to_owned(), Vec::new());
    }
    Ok(Diff { changed, merge_base: merge_base.trim().to_owned() })
}

/// The most of a commit's files read in one `git cat-file`: its output has a bound.
const BATCH_BYTES: u64 = crate::scratch::MAX_OUTPUT / 2;

/// The files of `commit` under `root` that `reads` wants, written to a scratch directory as the
/// tree was at that commit.
pub fn base_tree(root: &Path, commit: &str, reads: impl Fn(&str) -> bool) -> Result<ScratchDir, String> {
    let scratch = ScratchDir::new("base").map_err(|error| format!("no scratch directory: {error}"))?;
    let files: Vec<crate::git::TreeFile> =
        crate::git::files_at(root, commit)?.into_iter().filter(|file| reads(&file.path)).collect();
    let mut batch: Vec<&crate::git::TreeFile> = Vec::new();
    let mut batch_bytes = 0;
    let flush = |batch: &mut Vec<&crate::git::TreeFile>| -> Result<(), String> {
        let objects: Vec<&str> = batch.iter().map(|file| file.object.as_str()).collect();
        for (file, bytes) in batch.iter().zip(crate::git::contents(root, &objects)?) {
            scratch.write(&file.path, &bytes).map_err(|error| format!("cannot write {}: {error}", file.path))?;
        }
        batch.clear();
        Ok(())
    };
    for file in files.iter().filter(|file| file.size < BATCH_BYTES) {
        if batch_bytes + file.size > BATCH_BYTES {
            flush(&mut batch)?;
            batch_bytes = 0;
        }
        batch_bytes += file.size;
        batch.push(file);
    }
    flush(&mut batch)?;
    Ok(scratch)
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

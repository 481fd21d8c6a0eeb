//! git, run as every program guardrail starts ([`crate::scratch`]): from a scratch directory,
//! with a cleared environment but for the user's home (where CI records which checkouts git may
//! trust), and with the settings that would make git run a program turned off on the command
//! line, where they win over any repository's configuration.

use crate::scratch::{program, run_with_input, Home, ScratchDir};
use std::path::Path;
use std::time::Duration;

/// How long one git command may take.
const GIT_TIME_LIMIT: Duration = Duration::from_secs(120);

/// `git -C root args…`: what it printed, or why it failed.
pub fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    git_with_input(root, args, None)
}

/// [`git`] with `input` on its standard input.
pub fn git_with_input(root: &Path, args: &[&str], input: Option<Vec<u8>>) -> Result<Vec<u8>, String> {
    let scratch = ScratchDir::new("git").map_err(|error| format!("cannot run git: {error}"))?;
    let mut command = program("git", &scratch, Home::User, &["XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL"]);
    command.arg("-C").arg(root);
    // A directory of the tree laid out as a bare repository would otherwise be one, with a
    // configuration the pull request wrote.
    for setting in ["core.fsmonitor=false", "core.hooksPath=/dev/null", "safe.bareRepository=explicit"] {
        command.args(["-c", setting]);
    }
    command.args(args).env("GIT_OPTIONAL_LOCKS", "0");
    let output = run_with_input(command, input, GIT_TIME_LIMIT).map_err(|error| format!("cannot run git: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("git {} failed: {}", args.join(" "), stderr.trim()));
    }
    Ok(output.stdout)
}

/// The files git tracks under `root`, relative to it with `/`; `None` outside a git checkout
/// (or without git).
pub fn tracked_files(root: &Path) -> Option<Vec<String>> {
    let listing = git(root, &["ls-files", "-z", "--cached"]).ok()?;
    let paths = listing.split(|byte| *byte == 0).filter(|path| !path.is_empty());
    Some(paths.map(|path| String::from_utf8_lossy(path).into_owned()).collect())
}

/// One file of a commit's tree.
pub struct TreeFile {
    /// Relative to the directory git ran in, with `/`.
    pub path: String,
    pub object: String,
    pub size: u64,
}

/// The regular files of `commit` under `root` (links and submodules are left out).
pub fn files_at(root: &Path, commit: &str) -> Result<Vec<TreeFile>, String> {
    let listing = git(root, &["ls-tree", "-r", "-z", "-l", "--end-of-options", commit, "--", "."])?;
    let mut files = Vec::new();
    for entry in listing.split(|byte| *byte == 0).filter(|entry| !entry.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else { continue };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        if let [mode, "blob", object, size] = fields[..] {
            if mode.starts_with("100") {
                files.push(TreeFile {
                    path: path.to_owned(),
                    object: object.to_owned(),
                    size: size.parse().unwrap_or(0),
                });
            }
        }
    }
    Ok(files)
}

/// The contents of `objects`, in order, read in one `git cat-file --batch`.
pub fn contents(root: &Path, objects: &[&str]) -> Result<Vec<Vec<u8>>, String> {
    let input: Vec<u8> = objects.iter().flat_map(|object| format!("{object}\n").into_bytes()).collect();
    let output = git_with_input(root, &["cat-file", "--batch"], Some(input))?;
    let mut rest = &output[..];
    let mut found = Vec::with_capacity(objects.len());
    for object in objects {
        let header_end = rest.iter().position(|b| *b == b'\n').ok_or("git cat-file ended early")?;
        let header = String::from_utf8_lossy(&rest[..header_end]).into_owned();
        let size: usize = match header.split_whitespace().collect::<Vec<_>>()[..] {
            [id, _, size] if id == *object => size.parse().map_err(|_| format!("git cat-file: {header}"))?,
            _ => return Err(format!("git cat-file: {header}")),
        };
        let body = rest.get(header_end + 1..header_end + 1 + size).ok_or("git cat-file ended early")?;
        found.push(body.to_vec());
        rest = rest.get(header_end + 2 + size..).unwrap_or_default();
    }
    Ok(found)
}

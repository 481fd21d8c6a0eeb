//! git, run as every program guardrail starts ([`crate::scratch`]): from a scratch directory,
//! with a cleared environment but for the user's home (where CI records which checkouts git may
//! trust), and with the settings that would make git run a program turned off on the command
//! line, where they win over any repository's configuration.

use crate::scratch::{program, run_with_limit, Home, ScratchDir};
use std::path::Path;
use std::time::Duration;

/// How long one git command may take.
const GIT_TIME_LIMIT: Duration = Duration::from_secs(120);

/// `git -C root args…`: what it printed, or why it failed.
pub fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let scratch = ScratchDir::new("git").map_err(|error| format!("cannot run git: {error}"))?;
    let mut command = program("git", &scratch, Home::User, &["XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL"]);
    command.arg("-C").arg(root);
    // A directory of the tree laid out as a bare repository would otherwise be one, with a
    // configuration the pull request wrote.
    for setting in ["core.fsmonitor=false", "core.hooksPath=/dev/null", "safe.bareRepository=explicit"] {
        command.args(["-c", setting]);
    }
    command.args(args).env("GIT_OPTIONAL_LOCKS", "0");
    let output = run_with_limit(command, GIT_TIME_LIMIT).map_err(|error| format!("cannot run git: {error}"))?;
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

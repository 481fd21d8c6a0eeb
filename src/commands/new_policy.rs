//! `guardrail new-policy`: a policy and two fixtures that already pass `guardrail test`, and
//! guardrail.toml pointed at them.

use super::{current_root, load_policies, report_problems, usage_error, write_atomically};
use guardrail::engine::Origin;
use guardrail::native::NATIVE_RULES;
use guardrail::scaffold;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The rule's id: lowercase words joined by `-`, not taken by another rule.
    id: String,
    /// Where the policy goes.
    #[arg(long, default_value = "policies")]
    dir: PathBuf,
    /// Where its fixtures go.
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    /// Overwrite the policy and fixture files if they exist.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> ExitCode {
    let Args { id, dir, fixtures, force } = args;
    if !scaffold::valid_id(&id) {
        return usage_error(&format!("`{id}` is not a rule id: use lowercase words joined by `-`"));
    }
    let root = match current_root() {
        Ok(root) => root,
        Err(code) => return code,
    };
    let (policies, problems) = load_policies(&root);
    let taken = policies.policies.iter().find(|p| p.doc.id == id).map(|p| match p.origin {
        Origin::Builtin => "a built-in rule".to_owned(),
        Origin::User => p.path.to_string(),
    });
    let taken = taken.or_else(|| NATIVE_RULES.iter().any(|r| r.id == id).then(|| "a native rule".to_owned()));
    if let Some(by) = taken {
        return usage_error(&format!("rule id `{id}` is taken (by {by}): choose another"));
    }
    if !problems.is_empty() {
        return report_problems(&problems);
    }
    let config_path = root.join(guardrail::discover::config::FILE_NAME);
    let current = std::fs::read_to_string(&config_path).ok();
    let shown = |path: &Path| path.to_string_lossy().trim_end_matches('/').to_owned();
    let config = scaffold::with_directory(current.as_deref(), "policies", &shown(&dir));
    let config = scaffold::with_directory(Some(&config), "fixtures", &shown(&fixtures));
    let files = scaffold::new_policy(&root.join(&dir), &root.join(&fixtures), &id);
    if let Err(message) = scaffold::write_all(&files, force) {
        return usage_error(&message);
    }
    if current.as_deref() != Some(config.as_str()) {
        if let Err(error) = write_atomically(&config_path, &config) {
            return usage_error(&format!("cannot update {}: {error}", config_path.display()));
        }
    }
    println!("wrote {}/{id}.rhai and fixtures in {}/{id}/", dir.display(), fixtures.display());
    println!("guardrail.toml runs the policies in {} and keeps {} out of checks", dir.display(), fixtures.display());
    println!("next: edit the policy and its fixtures, then `guardrail test` and `guardrail check`");
    ExitCode::SUCCESS
}

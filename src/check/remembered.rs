//! When a run may reuse the previous run's result ([`crate::cache::Results`]), and the digest of
//! everything it reads: the options that change what is checked, the configuration, every
//! policy's source, what the walk found and the bytes of each file it found, and which cargo
//! would answer. Not remembered: runs that render Helm charts or kustomizations (the output
//! depends on tools and chart repositories outside the tree), runs that build the architecture
//! graph (reports draw it from the facts, which a remembered run does not have), and runs whose
//! walk already had problems.

use super::CheckOptions;
use crate::cache::{Cache, Inputs, Results};
use crate::discover::{Config, Discovery};
use crate::engine::Policy;
use crate::problem::Problem;
use rayon::prelude::*;
use std::path::Path;

pub struct Remembered {
    results: Results,
    inputs: Inputs,
}

impl Remembered {
    /// The remembered result of this run's inputs, when the run may have one.
    pub fn open(
        root: &Path,
        options: &CheckOptions,
        config: &Config,
        policies: &[Policy],
        (discovery, walk_problems): &(Discovery, Vec<Problem>),
    ) -> Option<Remembered> {
        let home = options.cache.as_deref().filter(|home| !crate::tree::is_within(root, home))?;
        let renders = !discovery.charts.is_empty() || !discovery.kustomizations.is_empty();
        let draws_graph = options.architecture_graph || !config.architecture.is_empty();
        if renders || draws_graph || !walk_problems.is_empty() {
            return None;
        }
        let results = Cache::results(home, root).ok()?;
        Some(Remembered { results, inputs: digest(options, config, policies, discovery) })
    }

    pub fn load(&self) -> Option<crate::findings::Checked> {
        self.results.load(&self.inputs)
    }

    /// Keeps a result that can be trusted (no problem made it untrustworthy) for the next run.
    pub fn store(&self, checked: &crate::findings::Checked) -> Result<(), String> {
        if !checked.problems.is_empty() {
            return Ok(());
        }
        self.results.store(&self.inputs, checked)
    }
}

fn digest(options: &CheckOptions, config: &Config, policies: &[Policy], discovery: &Discovery) -> Inputs {
    let mut hasher = blake3::Hasher::new();
    let mut add = |part: &[u8]| {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    };
    let asked = (options.preview, &options.shard, &options.renderers, &options.config, &options.policy_dirs);
    add(format!("{asked:?}").as_bytes());
    add(format!("{config:?}").as_bytes());
    for policy in policies {
        add(policy.path.as_bytes());
        add(policy.source.as_bytes());
        add(format!("{:?}", policy.origin).as_bytes());
    }
    for (shown, kind, text) in &options.extra_inputs {
        add(format!("{shown} {kind:?}").as_bytes());
        add(text.as_bytes());
    }
    add(format!("{discovery:?}").as_bytes());
    let read = discovery.files.iter().map(|(file, _)| file).chain(&discovery.manifests).collect::<Vec<_>>();
    let contents: Vec<[u8; 32]> = read
        .par_iter()
        .map(|file| match crate::tree::read_regular(&file.path, config.max_file_size) {
            Ok(bytes) => *blake3::hash(&bytes).as_bytes(),
            Err(refused) => *blake3::hash(refused.to_string().as_bytes()).as_bytes(),
        })
        .collect();
    for content in &contents {
        add(content);
    }
    for variable in crate::link::CARGO_ENVIRONMENT {
        add(std::env::var_os(variable).unwrap_or_default().as_encoded_bytes());
    }
    *hasher.finalize().as_bytes()
}

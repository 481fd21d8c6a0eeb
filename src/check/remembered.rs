//! When a run may reuse the previous run's result ([`crate::cache::Results`]), and the digest of
//! everything it reads: the options that change what is checked, the configuration, every
//! policy's source, what the walk found and the bytes of each file it found, and which cargo
//! would answer. Not remembered: runs that render Helm charts or kustomizations (the output
//! depends on tools and chart repositories outside the tree), runs that build the architecture
//! graph (reports draw it from the facts, which a remembered run does not have), and runs whose
//! walk already had problems.

use super::CheckOptions;
use crate::cache::{content_hash, Cache, ContentHash, Inputs, Results};
use crate::discover::{Config, Discovery};
use crate::engine::Policy;
use crate::problem::Problem;
use crate::symbol::Symbol;
use foldhash::HashMap;
use rayon::prelude::*;
use std::path::Path;

pub struct Remembered {
    results: Results,
    inputs: Inputs,
    /// The hash of each file the walk found and the digest read: the facts cache takes a
    /// file's facts by it, without reading the file again (and so from the very bytes the
    /// digest holds, however the file changes meanwhile).
    pub content_hashes: HashMap<Symbol, ContentHash>,
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
        let (inputs, content_hashes) = digest(options, config, policies, discovery);
        Some(Remembered { results, inputs, content_hashes })
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

fn digest(
    options: &CheckOptions,
    config: &Config,
    policies: &[Policy],
    discovery: &Discovery,
) -> (Inputs, HashMap<Symbol, ContentHash>) {
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
    let contents: Vec<(ContentHash, bool)> = read
        .par_iter()
        .map(|file| match crate::tree::read_regular(&file.path, config.max_file_size) {
            Ok(bytes) => (content_hash(&bytes), true),
            Err(refused) => (content_hash(refused.to_string().as_bytes()), false),
        })
        .collect();
    for (content, _) in &contents {
        add(content);
    }
    for variable in crate::link::CARGO_ENVIRONMENT {
        add(std::env::var_os(variable).unwrap_or_default().as_encoded_bytes());
    }
    let read_whole = discovery.files.iter().zip(&contents).filter(|(_, (_, whole))| *whole);
    let content_hashes = read_whole.map(|((file, _), (hash, _))| (file.shown, *hash)).collect();
    (*hasher.finalize().as_bytes(), content_hashes)
}

//! The sender parameters of the workspace's fns, gathered once per run for the value flow
//! ([`super::senders`]) to follow a sender into the fns it is handed to.

use super::LinkedFile;
use crate::symbol::Symbol;
use foldhash::HashMap;
use std::sync::Arc;

/// The sender parameters of the workspace's fns, by fn name, built once per run.
#[derive(Debug, Default)]
pub struct ParamFlows {
    pub(super) by_function: HashMap<Symbol, Vec<(Arc<LinkedFile>, usize)>>,
    /// Those whose message type is a type of the code's own, by that type.
    pub(super) by_item_type: HashMap<Symbol, Vec<(Arc<LinkedFile>, usize)>>,
    /// The message types of struct fields that hold senders, by `Owner.field`.
    pub(super) field_items: HashMap<Symbol, Symbol>,
}

impl ParamFlows {
    pub fn build(files: &[Arc<LinkedFile>]) -> Self {
        let mut flows = ParamFlows::default();
        for file in files {
            for (at, flow) in file.facts.rust.param_flows.iter().enumerate() {
                flows.by_function.entry(flow.function).or_default().push((file.clone(), at));
                if let Some(item) = flow.item_type {
                    flows.by_item_type.entry(item).or_default().push((file.clone(), at));
                }
            }
            flows.field_items.extend(file.facts.rust.sender_fields.iter().map(|f| (f.field, f.item_type)));
        }
        flows
    }
}

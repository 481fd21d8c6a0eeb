//! The architecture graph for policies: edges, shortest chains, cycles and layers, so users can
//! write architecture rules of their own beside the native ones.

use super::script_values::{text, FactsHandle};
use crate::facts::arch_graph::{Edge, Level};
use rhai::{Array, Dynamic, Engine, Map};

fn edge_map(edge: &Edge) -> Dynamic {
    let mut map = Map::new();
    map.insert("from".into(), text(&edge.from).into());
    map.insert("to".into(), text(&edge.to).into());
    map.insert("level".into(), text(if edge.level == Level::Crate { "crate" } else { "module" }).into());
    map.insert("external".into(), edge.external.into());
    map.insert("location".into(), Dynamic::from(edge.location.clone()));
    map.into()
}

pub fn register(engine: &mut Engine) {
    engine
        .register_fn("arch_edges", |f: &mut FactsHandle| f.0.arch.edges.iter().map(edge_map).collect::<Array>())
        .register_fn("arch_edges", |f: &mut FactsHandle, level: &str| {
            let level = if level == "crate" { Level::Crate } else { Level::Module };
            f.0.arch.edges.iter().filter(|e| e.level == level).map(edge_map).collect::<Array>()
        })
        .register_fn("arch_path", |f: &mut FactsHandle, from: &str, to: &str| {
            let chain = f.0.arch.shortest_path(from, |n| crate::discover::architecture::matches(to, n));
            chain.map_or(Dynamic::UNIT, |chain| chain.into_iter().map(edge_map).collect::<Array>().into())
        })
        .register_fn("arch_cycles", |f: &mut FactsHandle| {
            let cycles = f.0.arch.cycles(|e| e.level == Level::Module && !e.external);
            cycles
                .into_iter()
                .map(|members| members.iter().map(|m| Dynamic::from(text(m))).collect::<Array>().into())
                .collect::<Array>()
        })
        .register_fn("layer_of", |f: &mut FactsHandle, node: &str| {
            f.0.arch.layer_of(node).map_or(Dynamic::UNIT, |i| text(&f.0.arch.layers[i].0).into())
        });
}

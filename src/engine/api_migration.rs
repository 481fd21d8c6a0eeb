//! The migration half of the policy API: `facts.migration_steps()` — what each statement of a
//! migration that a deploy runs on PostgreSQL does to which table, in the context its locks
//! depend on (see [`crate::facts::MigrationStep`]), and `facts.replaced_at_once(step)`: where the
//! deployment shows that nothing serves while it runs; `facts.named_in_code(step)`: where the
//! code's SQL still names the table or column a step renames or drops.

use super::script_values::{optional, register_located, text, FactsHandle};
use crate::facts::{Fact, Migration, MigrationStep, StepKind};
use rhai::{Array, Dynamic, Engine};

fn migration(step: &Fact<MigrationStep>) -> &Migration {
    step.linked().facts.migration.as_ref().expect("a migration step lies in a migration")
}

/// The steps of judged migrations, of one kind or all.
fn steps(facts: &FactsHandle, kind: Option<&str>) -> Array {
    let index = &facts.0.index;
    let steps = index.migration_steps.iter().filter(|step| migration(step).judged());
    steps.filter(|step| kind.is_none_or(|kind| step.item().kind.name() == kind)).cloned().map(Dynamic::from).collect()
}

pub fn register(engine: &mut Engine) {
    register_located::<MigrationStep>(engine, "MigrationStep");
    engine
        .register_get("kind", |s: &mut Fact<MigrationStep>| text(s.item().kind.name()))
        .register_get("table", |s: &mut Fact<MigrationStep>| text(&s.item().table))
        .register_get("column", |s: &mut Fact<MigrationStep>| optional(s.item().column.as_deref()))
        .register_get("constraint", |s: &mut Fact<MigrationStep>| optional(s.item().constraint))
        .register_get("concurrently", |s: &mut Fact<MigrationStep>| s.item().concurrently)
        .register_get("not_valid", |s: &mut Fact<MigrationStep>| s.item().not_valid)
        .register_get("using_index", |s: &mut Fact<MigrationStep>| s.item().using_index)
        .register_get("not_null", |s: &mut Fact<MigrationStep>| s.item().not_null)
        .register_get("has_default", |s: &mut Fact<MigrationStep>| s.item().has_default)
        .register_get("rewrite", |s: &mut Fact<MigrationStep>| optional(s.item().rewrite.as_deref()))
        .register_get("type_name", |s: &mut Fact<MigrationStep>| optional(s.item().type_name.as_deref()))
        .register_get("old_type", |s: &mut Fact<MigrationStep>| optional(s.item().old_type.as_deref()))
        .register_get("binary_coercible", |s: &mut Fact<MigrationStep>| s.item().binary_coercible)
        .register_get("recreated", |s: &mut Fact<MigrationStep>| s.item().recreated)
        .register_get("new_table", |s: &mut Fact<MigrationStep>| s.item().new_table)
        .register_get("first_in_statement", |s: &mut Fact<MigrationStep>| s.item().first_in_statement)
        .register_get("locks_existing_table", |s: &mut Fact<MigrationStep>| s.item().locks_existing_table())
        .register_get("lock_timeout_before", |s: &mut Fact<MigrationStep>| s.item().lock_timeout_before)
        .register_get("statement_timeout_before", |s: &mut Fact<MigrationStep>| s.item().statement_timeout_before)
        .register_get("in_explicit_transaction", |s: &mut Fact<MigrationStep>| s.item().in_explicit_transaction)
        .register_get("validates_in_the_same_transaction", |s: &mut Fact<MigrationStep>| {
            let step = s.item();
            let wrapped = migration(s).setting.in_transaction;
            step.added_not_valid_in.is_some_and(|block| wrapped || (block != 0 && block == step.block))
        })
        .register_get("in_transaction", |s: &mut Fact<MigrationStep>| {
            s.item().in_explicit_transaction || migration(s).setting.in_transaction
        })
        .register_get("tool", |s: &mut Fact<MigrationStep>| text(migration(s).setting.tool));
    engine
        .register_fn("replaced_at_once", |f: &mut FactsHandle, s: Fact<MigrationStep>| {
            f.0.replaced_at_once(s.linked()).map_or(Dynamic::UNIT, Dynamic::from)
        })
        .register_fn("named_in_code", |f: &mut FactsHandle, s: Fact<MigrationStep>| {
            let step = s.item();
            let column = match step.kind {
                StepKind::RenameColumn | StepKind::DropColumn => step.column.as_deref(),
                _ => None,
            };
            f.0.named_in_code(&step.table, column).map_or(Dynamic::UNIT, Dynamic::from)
        })
        .register_fn("migration_steps", |f: &mut FactsHandle| steps(f, None))
        .register_fn("migration_steps", |f: &mut FactsHandle, kind: &str| steps(f, Some(kind)));
}

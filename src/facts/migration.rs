//! Migration facts: what each statement of a SQL migration does to which table, with the
//! context its locks depend on (a transaction around it, timeouts set before it, a table made
//! earlier in the same migration), and how the project's migration tool runs the file.

use crate::location::Location;
use serde::Serialize;

/// One migration file as extraction reads it; `setting` is filled in by link, which knows the
/// project's migration tool and database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Migration {
    /// sqlx's opt-out: the first line is `-- no-transaction`.
    pub no_transaction_marker: bool,
    /// diesel's `metadata.toml` beside `up.sql`: its `run_in_transaction`, in that file alone.
    pub run_in_transaction: Option<bool>,
    pub steps: Vec<MigrationStep>,
    pub setting: MigrationSetting,
}

/// How a migration file is run, as link reads the project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrationSetting {
    /// `sqlx`, `diesel`, `refinery`, or `plain` (a `migrations/` directory no known tool owns).
    pub tool: &'static str,
    /// `postgresql` unless the path or the project says another database.
    pub database: &'static str,
    /// The tool wraps the whole file in a transaction.
    pub in_transaction: bool,
    /// A down (revert) migration: run by hand on a rollback, not by a deploy.
    pub down: bool,
    /// A migration the project runs: false for `.sql` files outside every migrations layout
    /// and for diesel's `metadata.toml`.
    pub runs: bool,
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    CreateTable,
    CreateIndex,
    DropIndex,
    Reindex,
    AddColumn,
    AlterColumnType,
    SetNotNull,
    AddConstraint,
    ValidateConstraint,
    DropColumn,
    RenameColumn,
    RenameTable,
    DropTable,
    LockTable,
    VacuumFull,
    /// Any other `ALTER TABLE` action (defaults, constraints dropped, options).
    AlterTable,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::CreateTable => "create_table",
            StepKind::CreateIndex => "create_index",
            StepKind::DropIndex => "drop_index",
            StepKind::Reindex => "reindex",
            StepKind::AddColumn => "add_column",
            StepKind::AlterColumnType => "alter_column_type",
            StepKind::SetNotNull => "set_not_null",
            StepKind::AddConstraint => "add_constraint",
            StepKind::ValidateConstraint => "validate_constraint",
            StepKind::DropColumn => "drop_column",
            StepKind::RenameColumn => "rename_column",
            StepKind::RenameTable => "rename_table",
            StepKind::DropTable => "drop_table",
            StepKind::LockTable => "lock_table",
            StepKind::VacuumFull => "vacuum_full",
            StepKind::AlterTable => "alter_table",
        }
    }
}

/// One thing a statement does to one table: an `ALTER TABLE` with three actions is three steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStep {
    pub kind: StepKind,
    /// The table, as PostgreSQL names it (unquoted names folded to lower case, no schema);
    /// for `DROP INDEX` the index.
    pub table: String,
    /// The column added, altered, renamed or dropped; the new name of a renamed table.
    pub column: Option<String>,
    /// For an added constraint: `foreign_key`, `check`, `primary_key`, `unique` or `exclude`.
    pub constraint: Option<&'static str>,
    pub concurrently: bool,
    /// `ADD CONSTRAINT … NOT VALID`.
    pub not_valid: bool,
    /// `ADD PRIMARY KEY USING INDEX` / `UNIQUE USING INDEX`: the index was built beforehand.
    pub using_index: bool,
    /// An added column is `NOT NULL`.
    pub not_null: bool,
    /// An added column has a default, or gets values another way (identity, generated).
    pub has_default: bool,
    /// What fills an added column's existing rows makes PostgreSQL rewrite the table: a
    /// volatile default (`random()`, `gen_random_uuid()`, `clock_timestamp()`, `nextval`, a
    /// `serial`), an identity, or a stored generated column. The reason, when so.
    pub rewrite: Option<String>,
    /// The column type written, for `ADD COLUMN` and `ALTER COLUMN … TYPE`.
    pub type_name: Option<String>,
    /// `ALTER COLUMN … TYPE … USING`: the values are converted by an expression.
    pub using: bool,
    /// The columns of a created table: (name, type).
    pub columns: Vec<(String, String)>,
    /// For `ALTER COLUMN … TYPE`: the column's type before, as earlier migrations of the same
    /// directory left it (set by link), and whether the change needs no rewrite
    /// (`varchar(n)` to a longer `varchar` or to `text`, `numeric(p, s)` to a larger precision).
    pub old_type: Option<String>,
    pub binary_coercible: bool,
    /// Inside the file's own `BEGIN … COMMIT`.
    pub in_explicit_transaction: bool,
    /// Which of the file's own `BEGIN … COMMIT` blocks it is in, counted from 1; 0 outside.
    pub block: u32,
    /// For `VALIDATE CONSTRAINT`: the constraint was added `NOT VALID` earlier in this file, in
    /// the block given (0: outside any block of the file's own).
    pub added_not_valid_in: Option<u32>,
    /// The table (or index) was created earlier in this migration: nobody else uses it yet.
    pub new_table: bool,
    /// `SET lock_timeout` / `SET statement_timeout` came earlier in this migration.
    pub lock_timeout_before: bool,
    pub statement_timeout_before: bool,
    /// A dropped table that the same migration creates again: the name stays.
    pub recreated: bool,
    /// The first step of its statement (one statement, one lock).
    pub first_in_statement: bool,
    pub location: Location,
}

impl MigrationStep {
    /// Takes a lock that stops an existing table's writes (most: its reads too) while it runs,
    /// and while it waits for the lock: everything else DDL, `REINDEX`, `VACUUM FULL`,
    /// `LOCK TABLE`, and index builds and drops that are not `CONCURRENTLY`. Not
    /// `VALIDATE CONSTRAINT`, whose lock lets reads and writes go on.
    pub fn locks_existing_table(&self) -> bool {
        !self.new_table
            && match self.kind {
                StepKind::CreateTable | StepKind::ValidateConstraint => false,
                StepKind::CreateIndex | StepKind::DropIndex | StepKind::Reindex => !self.concurrently,
                _ => true,
            }
    }
}

impl Migration {
    /// A migration a deploy runs on PostgreSQL: what the migration rules judge.
    pub fn judged(&self) -> bool {
        self.setting.runs && !self.setting.down && self.setting.database == "postgresql"
    }
}

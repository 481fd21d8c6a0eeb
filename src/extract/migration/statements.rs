//! One statement at a time into steps, keeping what earlier statements of the same migration
//! changed: a transaction opened, timeouts set, tables and indexes created.

use super::{by_tokens, ident, is_code};
use crate::facts::{MigrationStep, StepKind};
use crate::location::{LineIndex, Location};
use crate::symbol::Symbol;
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, DataType, Expr, GeneratedAs,
    GeneratedExpressionMode, ObjectName, ObjectNamePart, ObjectType, Set, Spanned, Statement, TableConstraint,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan};
use std::collections::HashSet;

/// Functions PostgreSQL marks volatile that a default is written with: a column added with one
/// gets a fresh value per existing row, so the table is rewritten under an exclusive lock.
const VOLATILE_FUNCTIONS: [&str; 10] = [
    "random(",
    "gen_random_uuid(",
    "uuid_generate_v1(",
    "uuid_generate_v1mc(",
    "uuid_generate_v4(",
    "uuidv7(",
    "clock_timestamp(",
    "timeofday(",
    "nextval(",
    "txid_current(",
];

/// Reads the statements of one migration in order.
pub struct Reader<'a> {
    path: Symbol,
    lines: &'a LineIndex<'a>,
    steps: Vec<MigrationStep>,
    new_tables: HashSet<String>,
    /// Constraints added NOT VALID so far, with the block they were added in.
    not_valid: Vec<(String, u32)>,
    in_transaction: bool,
    blocks: u32,
    lock_timeout: bool,
    statement_timeout: bool,
}

impl<'a> Reader<'a> {
    pub fn new(path: Symbol, lines: &'a LineIndex<'a>) -> Self {
        Reader {
            path,
            lines,
            steps: Vec::new(),
            new_tables: HashSet::new(),
            not_valid: Vec::new(),
            in_transaction: false,
            blocks: 0,
            lock_timeout: false,
            statement_timeout: false,
        }
    }

    pub fn into_steps(mut self) -> Vec<MigrationStep> {
        for at in 0..self.steps.len() {
            if self.steps[at].kind == StepKind::DropTable {
                let table = &self.steps[at].table;
                let again = self.steps[at + 1..].iter().any(|s| s.kind == StepKind::CreateTable && s.table == *table);
                self.steps[at].recreated = again;
            }
        }
        self.steps
    }

    /// Where a statement starts: its first token that is not a comment.
    pub fn start_of(&self, tokens: &[TokenWithSpan]) -> Location {
        let first = tokens.iter().find(|t| is_code(t)).map_or(tokens[0].span, |t| t.span);
        self.location(first.start, first.end)
    }

    fn location(&self, start: sqlparser::tokenizer::Location, end: sqlparser::tokenizer::Location) -> Location {
        let at = |l: sqlparser::tokenizer::Location| (l.line as u32, (l.column as usize).saturating_sub(1));
        self.lines.location(self.path, at(start), at(end))
    }

    /// The whole statement, from its first word to its last.
    fn statement_location(&self, tokens: &[TokenWithSpan]) -> Location {
        let first = tokens.iter().find(|t| is_code(t)).map_or(tokens[0].span, |t| t.span);
        let last = tokens.iter().rfind(|t| is_code(t)).map_or(first, |t| t.span);
        self.location(first.start, last.end)
    }

    /// Reads one statement; `Err` with its first words when it could not be read.
    pub fn read(&mut self, tokens: &[TokenWithSpan]) -> Result<(), String> {
        let at = self.statement_location(tokens);
        let words = by_tokens::words(tokens);
        let before = self.steps.len();
        if let Some(step) = by_tokens::read(&words) {
            self.push(step.kind, step.table, at, |s| s.concurrently = step.concurrently);
        } else {
            let code: Vec<TokenWithSpan> = tokens.iter().filter(|t| is_code(t)).cloned().collect();
            let mut parser = Parser::new(&PostgreSqlDialect {}).with_tokens_with_locations(code);
            match parser.parse_statement() {
                // The parser stops where it stops understanding: what it left is not read.
                Ok(statement) if parser.peek_token().token == Token::EOF => self.statement(statement, at),
                _ => {
                    // What it is not read for, it may still create: `DO` blocks make tables too.
                    self.new_tables.extend(by_tokens::tables_created(tokens, &self.new_tables));
                    return Err(by_tokens::leading_keywords(tokens));
                }
            }
        }
        if let Some(first) = self.steps.get_mut(before) {
            first.first_in_statement = true;
        }
        Ok(())
    }

    fn statement(&mut self, statement: Statement, at: Location) {
        match statement {
            Statement::StartTransaction { .. } => {
                self.in_transaction = true;
                self.blocks += 1;
            }
            Statement::Commit { .. } | Statement::Rollback { .. } => self.in_transaction = false,
            Statement::Set(Set::SingleAssignment { variable, .. }) => match table_name(&variable).as_str() {
                "lock_timeout" => self.lock_timeout = true,
                "statement_timeout" => self.statement_timeout = true,
                _ => {}
            },
            Statement::CreateTable(create) => {
                let table = table_name(&create.name);
                let columns = create.columns.iter().map(|c| (ident(&c.name), c.data_type.to_string())).collect();
                self.push(StepKind::CreateTable, table.clone(), at, |s| s.columns = columns);
                self.new_tables.insert(table);
            }
            // A materialized view made here is as new as a table: its indexes lock nothing in use.
            Statement::CreateView(view) if view.materialized => {
                let view = table_name(&view.name);
                self.push(StepKind::CreateTable, view.clone(), at, |_| {});
                self.new_tables.insert(view);
            }
            Statement::CreateIndex(index) => self.create_index(index, at),
            Statement::Drop { object_type: ObjectType::Table, names, .. } => {
                for name in names {
                    self.push(StepKind::DropTable, table_name(&name), at.clone(), |_| {});
                }
            }
            Statement::Lock(lock) => {
                for target in lock.tables {
                    self.push(StepKind::LockTable, table_name(&target.name), at.clone(), |_| {});
                }
            }
            Statement::AlterTable(alter) => {
                let table = table_name(&alter.name);
                let single = alter.operations.len() == 1;
                for operation in alter.operations {
                    // Several actions each point at their own; one points at the statement.
                    let span = operation.span();
                    let place =
                        if single || span.start.line == 0 { at.clone() } else { self.location(span.start, span.end) };
                    self.alter(&table, operation, place);
                }
            }
            _ => {}
        }
    }

    fn create_index(&mut self, index: CreateIndex, at: Location) {
        let table = table_name(&index.table_name);
        // An index of a new table is as new as its table (dropping it locks nothing in use).
        if let Some(name) = index.name.as_ref().filter(|_| self.new_tables.contains(&table)) {
            self.new_tables.insert(table_name(name));
        }
        self.push(StepKind::CreateIndex, table, at, |s| s.concurrently = index.concurrently);
    }

    fn alter(&mut self, table: &str, operation: AlterTableOperation, at: Location) {
        let table = table.to_owned();
        match operation {
            AlterTableOperation::AddColumn { column_def, .. } => {
                self.push(StepKind::AddColumn, table.clone(), at.clone(), |s| added_column(s, &column_def));
                // A key or reference written on the column is a constraint added with it.
                for option in &column_def.options {
                    let constraint = match option.option {
                        ColumnOption::ForeignKey(_) => "foreign_key",
                        ColumnOption::Unique(_) => "unique",
                        ColumnOption::PrimaryKey(_) => "primary_key",
                        ColumnOption::Check(_) => "check",
                        _ => continue,
                    };
                    self.push(StepKind::AddConstraint, table.clone(), at.clone(), |s| {
                        s.column = Some(ident(&column_def.name));
                        s.constraint = Some(constraint);
                    });
                }
            }
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDataType { data_type, using, .. },
            } => self.push(StepKind::AlterColumnType, table, at, |s| {
                s.column = Some(ident(&column_name));
                s.type_name = Some(data_type.to_string());
                s.using = using.is_some();
            }),
            AlterTableOperation::AlterColumn { column_name, op: AlterColumnOperation::SetNotNull } => {
                self.push(StepKind::SetNotNull, table, at, |s| s.column = Some(ident(&column_name)))
            }
            AlterTableOperation::AddConstraint { constraint, not_valid } => {
                let (kind, using_index, name) = match &constraint {
                    TableConstraint::ForeignKey(c) => ("foreign_key", false, c.name.as_ref()),
                    TableConstraint::Check(c) => ("check", false, c.name.as_ref()),
                    TableConstraint::PrimaryKey(c) => ("primary_key", false, c.name.as_ref()),
                    TableConstraint::Unique(c) => ("unique", false, c.name.as_ref()),
                    TableConstraint::PrimaryKeyUsingIndex(c) => ("primary_key", true, c.name.as_ref()),
                    TableConstraint::UniqueUsingIndex(c) => ("unique", true, c.name.as_ref()),
                    _ => ("other", false, None),
                };
                if let Some(name) = name.filter(|_| not_valid) {
                    self.not_valid.push((ident(name), self.block()));
                }
                self.push(StepKind::AddConstraint, table, at, |s| {
                    s.constraint = Some(kind);
                    s.not_valid = not_valid;
                    s.using_index = using_index;
                })
            }
            AlterTableOperation::ValidateConstraint { name } => {
                let name = ident(&name);
                let added = self.not_valid.iter().find(|(added, _)| *added == name).map(|(_, block)| *block);
                self.push(StepKind::ValidateConstraint, table, at, |s| {
                    s.column = Some(name);
                    s.added_not_valid_in = added;
                })
            }
            AlterTableOperation::DropColumn { column_names, .. } => {
                for column in column_names {
                    self.push(StepKind::DropColumn, table.clone(), at.clone(), |s| s.column = Some(ident(&column)));
                }
            }
            AlterTableOperation::RenameColumn { old_column_name, .. } => {
                self.push(StepKind::RenameColumn, table, at, |s| s.column = Some(ident(&old_column_name)))
            }
            AlterTableOperation::RenameTable { table_name: new_name } => {
                let new_name = match new_name {
                    sqlparser::ast::RenameTableNameKind::As(name) | sqlparser::ast::RenameTableNameKind::To(name) => {
                        name
                    }
                };
                self.push(StepKind::RenameTable, table, at, |s| s.column = Some(table_name(&new_name)))
            }
            _ => self.push(StepKind::AlterTable, table, at, |_| {}),
        }
    }

    /// The file's own transaction block this point is in; 0 outside one.
    fn block(&self) -> u32 {
        if self.in_transaction {
            self.blocks
        } else {
            0
        }
    }

    /// Adds a step with the context of this point in the migration; `fill` sets the rest.
    fn push(&mut self, kind: StepKind, table: String, location: Location, fill: impl FnOnce(&mut MigrationStep)) {
        let mut step = MigrationStep {
            kind,
            new_table: self.new_tables.contains(&table),
            table,
            column: None,
            constraint: None,
            concurrently: false,
            not_valid: false,
            using_index: false,
            not_null: false,
            has_default: false,
            rewrite: None,
            type_name: None,
            using: false,
            columns: Vec::new(),
            old_type: None,
            binary_coercible: false,
            in_explicit_transaction: self.in_transaction,
            block: self.block(),
            added_not_valid_in: None,
            lock_timeout_before: self.lock_timeout,
            statement_timeout_before: self.statement_timeout,
            recreated: false,
            first_in_statement: false,
            location,
        };
        fill(&mut step);
        self.steps.push(step);
    }
}

/// What an added column brings: NOT NULL, a default, and whether filling it rewrites the table.
fn added_column(step: &mut MigrationStep, column: &ColumnDef) {
    step.column = Some(ident(&column.name));
    let type_name = column.data_type.to_string();
    if serial(&column.data_type) {
        step.has_default = true;
        step.rewrite = Some(format!("a `{type_name}` column takes a new sequence value for every existing row"));
    }
    step.type_name = Some(type_name);
    for option in &column.options {
        match &option.option {
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => step.not_null = true,
            ColumnOption::Default(expr) => {
                step.has_default = true;
                if let Some(function) = volatile_call(expr) {
                    step.rewrite = Some(format!(
                        "the default calls `{function}`, which is volatile: every existing row gets its own value"
                    ));
                }
            }
            ColumnOption::Generated { generated_as, generation_expr, generation_expr_mode, .. } => {
                step.has_default = true;
                if generation_expr.is_none() && matches!(generated_as, GeneratedAs::Always | GeneratedAs::ByDefault) {
                    step.rewrite =
                        Some("an identity column takes a new sequence value for every existing row".to_owned());
                } else if matches!(generation_expr_mode, Some(GeneratedExpressionMode::Stored))
                    || generation_expr.is_some()
                {
                    step.rewrite =
                        Some("a stored generated column is computed and written for every existing row".to_owned());
                }
            }
            _ => {}
        }
    }
}

fn serial(data_type: &DataType) -> bool {
    let name = data_type.to_string().to_ascii_lowercase();
    matches!(name.as_str(), "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2")
}

/// The volatile function a default expression calls, if any.
fn volatile_call(expr: &Expr) -> Option<String> {
    let text = expr.to_string().to_ascii_lowercase().replace(' ', "");
    VOLATILE_FUNCTIONS.iter().find(|f| text.contains(*f)).map(|f| format!("{})", f))
}

/// The table a possibly schema-qualified name names.
fn table_name(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(last)) => ident(last),
        Some(ObjectNamePart::Function(function)) => ident(&function.name),
        None => String::new(),
    }
}

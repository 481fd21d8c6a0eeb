//! How each migration file is run: which tool owns it (by its layout and the project's
//! dependencies), on which database, inside a transaction or not. One note per migration
//! directory whose database is not PostgreSQL: its files are read, but PostgreSQL's lock rules
//! say nothing about them.

use crate::facts::{FileFacts, FileInfo, MigrationSetting, Package, StepKind};
use crate::file_kind::FileKind;
use crate::location::Location;
use crate::problem::Problem;
use std::collections::{BTreeSet, HashMap};

/// Migration tools whose layout guardrail knows, by the crate that runs them.
const TOOLS: [(&str, &str); 4] =
    [("sqlx", "sqlx"), ("diesel", "diesel"), ("diesel_migrations", "diesel"), ("refinery", "refinery")];

/// Settles every migration file's [`MigrationSetting`], and notes each directory of another
/// database on its first file.
pub fn settle(files: &mut [FileFacts], infos: &[FileInfo], packages: &[Package]) {
    let diesel_opt_outs: BTreeSet<String> = files
        .iter()
        .filter(|f| f.migration.as_ref().is_some_and(|m| m.run_in_transaction == Some(false)))
        .map(|f| directory(&f.path).to_owned())
        .collect();
    let embedded = embedded_directories(files, infos, packages);
    let mut other_databases: Vec<String> = Vec::new();
    for (facts, info) in files.iter_mut().zip(infos) {
        if facts.kind != FileKind::Migration {
            continue;
        }
        let path = facts.path;
        let Some(migration) = facts.migration.as_mut() else { continue };
        let owner = info.package.and_then(|name| packages.iter().find(|p| p.name == name));
        let tool = tool_of(&path, owner, packages);
        let named_migrations = path.rsplit('/').skip(1).any(|d| d.to_ascii_lowercase().contains("migration"));
        let embedded_here = embedded.iter().any(|dir| path.starts_with(&format!("{dir}/")));
        let runs = tool != "plain" || named_migrations || embedded_here;
        let in_transaction = match tool {
            "sqlx" => !migration.no_transaction_marker,
            "diesel" => !diesel_opt_outs.contains(directory(&path)),
            "refinery" => true,
            _ => false,
        };
        let database = database_of(&path, tool, owner, packages);
        let down = is_down(&path);
        migration.setting = MigrationSetting {
            tool,
            database,
            in_transaction,
            down,
            runs: runs && migration.run_in_transaction.is_none(),
        };
        // What was not read of a file no rule judges is nobody's concern.
        if !migration.judged() {
            facts.notes.clear();
        }
        let dir = directory(&path).to_owned();
        if database != "postgresql" && migration.setting.runs && !other_databases.contains(&dir) {
            let message = format!(
                "the migrations in `{dir}` are for {database}: PostgreSQL's lock rules were not applied to them"
            );
            facts.notes.push(Problem { location: Location::file(path), message });
            other_databases.push(dir);
        }
    }
}

/// Follows each column's type through the migrations of a directory, in version order, so a
/// type change knows the type it changes from and whether PostgreSQL can skip the rewrite.
pub fn trace_column_types(files: &mut [FileFacts]) {
    let mut order: Vec<usize> =
        (0..files.len()).filter(|&i| files[i].migration.as_ref().is_some_and(|m| m.judged())).collect();
    order.sort_by_cached_key(|&i| (directory_of_migration(&files[i].path).to_owned(), version_key(&files[i].path)));
    let mut types: HashMap<(String, String, String), String> = HashMap::new();
    for i in order {
        let dir = directory_of_migration(&files[i].path).to_owned();
        let Some(migration) = files[i].migration.as_mut() else { continue };
        for step in &mut migration.steps {
            let key = |column: &str| (dir.clone(), step.table.clone(), column.to_owned());
            match step.kind {
                StepKind::CreateTable => {
                    for (column, type_name) in &step.columns {
                        types.insert(key(column), type_name.clone());
                    }
                }
                StepKind::AddColumn | StepKind::AlterColumnType => {
                    let (Some(column), Some(new_type)) = (step.column.clone(), step.type_name.clone()) else {
                        continue;
                    };
                    let old = types.insert(key(&column), new_type.clone());
                    if step.kind == StepKind::AlterColumnType {
                        step.binary_coercible =
                            !step.using && old.as_deref().is_some_and(|old| binary_coercible(old, &new_type));
                        step.old_type = old;
                    }
                }
                _ => {}
            }
        }
    }
}

/// The directory whose migrations form one history: a diesel migration's is the one above its own.
fn directory_of_migration(path: &str) -> &str {
    let dir = directory(path);
    if matches!(file_name(path), "up.sql" | "down.sql") {
        directory(dir)
    } else {
        dir
    }
}

/// Orders migrations by their version: the number a sqlx or refinery name starts with (`V10`
/// after `V9`), or a diesel directory's date, then the name.
fn version_key(path: &str) -> (u128, String) {
    let name = match file_name(path) {
        "up.sql" | "down.sql" => file_name(directory(path)),
        name => name,
    };
    let digits: String = name
        .trim_start_matches(['V', 'U', 'v', 'u'])
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .filter(char::is_ascii_digit)
        .collect();
    (digits.parse().unwrap_or(u128::MAX), name.to_owned())
}

/// Whether PostgreSQL changes a column from `old` to `new` without rewriting the table: a
/// `varchar` that gets longer or becomes `text`, `text` to an unbounded `varchar`, a `numeric`
/// with more precision and the same scale, or the same type.
fn binary_coercible(old: &str, new: &str) -> bool {
    let parse = |written: &str| {
        let lower = written.to_ascii_lowercase().replace("character varying", "varchar").replace("decimal", "numeric");
        let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
        let (base, args) = compact
            .split_once('(')
            .map_or((compact.clone(), String::new()), |(b, a)| (b.to_owned(), a.trim_end_matches(')').to_owned()));
        let numbers: Vec<u64> = args.split(',').filter_map(|n| n.parse().ok()).collect();
        (base, numbers)
    };
    let ((old_base, old_args), (new_base, new_args)) = (parse(old), parse(new));
    match (old_base.as_str(), new_base.as_str()) {
        _ if old_base == new_base && old_args == new_args => true,
        ("varchar", "text") | ("text", "text") => true,
        ("varchar" | "text", "varchar") if new_args.is_empty() => true,
        ("varchar", "varchar") => matches!((old_args.first(), new_args.first()), (Some(o), Some(n)) if n >= o),
        ("numeric", "numeric") => {
            new_args.is_empty()
                || matches!((old_args.as_slice(), new_args.as_slice()), ([op, os], [np, ns]) if np >= op && ns == os)
        }
        _ => false,
    }
}

/// The directories, relative to the root, whose migrations the code embeds with a macro
/// (`sqlx::migrate!("db/schema")` in a crate at `api/` names `api/db/schema`).
fn embedded_directories(files: &[FileFacts], infos: &[FileInfo], packages: &[Package]) -> Vec<String> {
    let mut found = Vec::new();
    for (facts, info) in files.iter().zip(infos) {
        let Some(package) = info.package.and_then(|name| packages.iter().find(|p| p.name == name)) else { continue };
        for dir in &facts.rust.migration_dirs {
            found.extend(joined(&package.dir, dir));
        }
    }
    found
}

/// `dir` (relative, `./` and `../` allowed) from `base`; `None` when it leaves the root.
fn joined(base: &str, dir: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

fn directory(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Run on a rollback only: sqlx's `.down.sql`, diesel's `down.sql`, refinery's `U` files are
/// undo migrations too only by name, so they stay.
fn is_down(path: &str) -> bool {
    let name = file_name(path);
    name == "down.sql" || name.ends_with(".down.sql")
}

/// The tool a file's layout belongs to, when the project depends on that tool: diesel keeps
/// `up.sql` in a directory named `<version>_<name>`, refinery names files `V<version>__<name>`,
/// sqlx `<version>_<name>.sql`. Anything else is `plain`.
fn tool_of(path: &str, owner: Option<&Package>, packages: &[Package]) -> &'static str {
    let name = file_name(path);
    let parent = file_name(directory(path));
    let starts_with_digit = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_digit());
    let layout = if matches!(name, "up.sql" | "down.sql") && starts_with_digit(parent) {
        "diesel"
    } else if name.strip_prefix(['V', 'U', 'v', 'u']).is_some_and(|rest| starts_with_digit(rest) && rest.contains("__"))
    {
        "refinery"
    } else if starts_with_digit(name) && name.contains('_') {
        "sqlx"
    } else {
        return "plain";
    };
    let uses = |package: &Package| {
        package.dependencies.iter().any(|d| TOOLS.iter().any(|(krate, tool)| d.name == *krate && *tool == layout))
    };
    if owner.map_or_else(|| packages.iter().any(uses), |owner| uses(owner) || packages.iter().any(uses)) {
        layout
    } else {
        "plain"
    }
}

/// The database a migration is for: what its path says (`sqlite_migrations/`,
/// `migrations/mysql/`), else the backends the tool's dependency enables when none is
/// PostgreSQL, else PostgreSQL.
fn database_of(path: &str, tool: &str, owner: Option<&Package>, packages: &[Package]) -> &'static str {
    let lower = directory(path).to_ascii_lowercase();
    for (word, database) in [("sqlite", "SQLite"), ("mysql", "MySQL"), ("mariadb", "MySQL")] {
        if lower.contains(word) {
            return database;
        }
    }
    let crates: &[&str] = match tool {
        "sqlx" => &["sqlx"],
        "diesel" => &["diesel", "diesel_migrations"],
        "refinery" => &["refinery"],
        _ => return "postgresql",
    };
    let features: BTreeSet<&str> = owner
        .into_iter()
        .chain(packages)
        .flat_map(|p| &p.dependencies)
        .filter(|d| crates.contains(&d.name.as_str()))
        .flat_map(|d| d.features.iter().map(String::as_str))
        .collect();
    let postgres = features.iter().any(|f| f.contains("postgres"));
    match (postgres, features.iter().any(|f| f.contains("sqlite")), features.iter().any(|f| f.contains("mysql"))) {
        (false, true, false) => "SQLite",
        (false, false, true) => "MySQL",
        _ => "postgresql",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Dependency;

    fn package(dependency: &str, features: &[&str]) -> Package {
        Package {
            name: crate::symbol::Symbol::intern("app"),
            version: "0.1.0".into(),
            manifest_path: crate::symbol::Symbol::intern("Cargo.toml"),
            dir: String::new(),
            dependencies: vec![Dependency {
                name: dependency.to_owned(),
                rename: None,
                kind: "normal".to_owned(),
                features: features.iter().map(|f| f.to_string()).collect(),
                uses_default_features: true,
                optional: false,
                path: None,
                location: None,
            }],
            layer: None,
            source: Default::default(),
            targets: Vec::new(),
        }
    }

    #[test]
    fn the_layout_names_the_tool_when_the_project_uses_it() {
        let sqlx = [package("sqlx", &["postgres", "runtime-tokio"])];
        let diesel = [package("diesel_migrations", &[])];
        let refinery = [package("refinery", &["tokio-postgres"])];
        assert_eq!(tool_of("migrations/20240101_init.up.sql", None, &sqlx), "sqlx");
        assert_eq!(tool_of("migrations/2024-01-01-000000_init/up.sql", None, &diesel), "diesel");
        assert_eq!(tool_of("migrations/V3__orders.sql", None, &refinery), "refinery");
        assert_eq!(tool_of("migrations/V3__orders.sql", None, &sqlx), "plain", "refinery's layout without refinery");
        assert_eq!(tool_of("migrations/20240101_init.sql", None, &[]), "plain", "a tree of migrations alone");
        assert_eq!(tool_of("migrations/schema.sql", None, &sqlx), "plain");
    }

    #[test]
    fn widening_a_varchar_or_a_numeric_needs_no_rewrite() {
        assert!(binary_coercible("VARCHAR(100)", "TEXT"));
        assert!(binary_coercible("character varying(20)", "VARCHAR(64)"));
        assert!(binary_coercible("TEXT", "VARCHAR"));
        assert!(binary_coercible("NUMERIC(10,2)", "NUMERIC(12, 2)"));
        assert!(!binary_coercible("VARCHAR(64)", "VARCHAR(20)"));
        assert!(!binary_coercible("TEXT", "VARCHAR(20)"), "a limit checks every row");
        assert!(!binary_coercible("INT", "BIGINT"));
        assert!(!binary_coercible("NUMERIC(10,2)", "NUMERIC(12,3)"));
        assert!(!binary_coercible("INT", "TEXT"));
    }

    #[test]
    fn embedded_directories_are_joined_to_the_crate() {
        assert_eq!(joined("crates/api", "db/schema").as_deref(), Some("crates/api/db/schema"));
        assert_eq!(
            joined("crates/arroyo", "../arroyo-api/migrations").as_deref(),
            Some("crates/arroyo-api/migrations")
        );
        assert_eq!(joined("", "./migrations").as_deref(), Some("migrations"));
        assert_eq!(joined("api", "../../etc"), None);
    }

    #[test]
    fn migrations_are_ordered_by_version_number() {
        let mut names = ["m/V10__b.sql", "m/V9__a.sql", "m/2024-01-02-000000_x/up.sql", "m/2023-12-31-000000_y/up.sql"];
        names.sort_by_key(|p| version_key(p));
        assert_eq!(
            names,
            ["m/V9__a.sql", "m/V10__b.sql", "m/2023-12-31-000000_y/up.sql", "m/2024-01-02-000000_x/up.sql"]
        );
    }

    #[test]
    fn the_database_comes_from_the_path_then_the_features() {
        let sqlite = [package("sqlx", &["sqlite"])];
        let both = [package("sqlx", &["sqlite", "postgres"])];
        assert_eq!(database_of("crates/api/sqlite_migrations/V1__a.sql", "refinery", None, &both), "SQLite");
        assert_eq!(database_of("migrations/1_a.sql", "sqlx", None, &sqlite), "SQLite");
        assert_eq!(database_of("migrations/1_a.sql", "sqlx", None, &both), "postgresql");
        assert_eq!(database_of("migrations/mysql/1_a.sql", "sqlx", None, &both), "MySQL");
        assert_eq!(database_of("migrations/a.sql", "plain", None, &sqlite), "postgresql");
    }
}

use super::*;

fn steps(sql: &str) -> (Vec<crate::facts::MigrationStep>, Option<Problem>) {
    let (migration, note) = extract(Symbol::intern("migrations/1_a.sql"), sql);
    (migration.steps, note)
}

/// (kind, table, line) of each step.
fn outline(sql: &str) -> Vec<(&'static str, String, u32)> {
    steps(sql).0.iter().map(|s| (s.kind.name(), s.table.clone(), s.location.line)).collect()
}

#[test]
fn each_action_of_an_alter_table_is_a_step_at_its_own_line() {
    let sql = "ALTER TABLE Users\n  ADD COLUMN a int,\n  DROP COLUMN b;\nALTER TABLE \"Orders\" RENAME TO sales;\n";
    assert_eq!(
        outline(sql),
        [("add_column", "users".into(), 2), ("drop_column", "users".into(), 3), ("rename_table", "Orders".into(), 4)]
    );
    let (found, note) = steps(sql);
    assert!(note.is_none());
    assert_eq!((found[0].first_in_statement, found[1].first_in_statement), (true, false));
    assert_eq!(found[2].column.as_deref(), Some("sales"));
}

#[test]
fn context_comes_from_earlier_statements_of_the_same_migration() {
    let sql = "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nSET lock_timeout = '2s';\nBEGIN;\n\
               ALTER TABLE u ADD COLUMN a int;\nCOMMIT;\nDROP INDEX t_id;\nSET statement_timeout = 0;\nDROP TABLE u;\n";
    let (found, _) = steps(sql);
    let of = |kind: &str| found.iter().find(|s| s.kind.name() == kind).unwrap();
    assert!(of("create_index").new_table, "an index of a table made above");
    assert!(of("drop_index").new_table, "an index made above on a new table");
    let add = of("add_column");
    assert!(!add.new_table && add.in_explicit_transaction && add.lock_timeout_before && !add.statement_timeout_before);
    let drop = of("drop_table");
    assert!(!drop.in_explicit_transaction && drop.lock_timeout_before && drop.statement_timeout_before);
}

#[test]
fn concurrently_is_read_where_the_parser_misreads_or_does_not_know_the_statement() {
    let sql = "DROP INDEX CONCURRENTLY IF EXISTS public.idx;\nREINDEX (VERBOSE) TABLE CONCURRENTLY users;\n\
               REINDEX INDEX idx2;\nVACUUM (FULL, ANALYZE) users;\nVACUUM users;\nCREATE INDEX CONCURRENTLY i ON t (a);\n";
    let found = steps(sql).0;
    let read: Vec<_> = found.iter().map(|s| (s.kind.name(), s.table.as_str(), s.concurrently)).collect();
    assert_eq!(
        read,
        [
            ("drop_index", "idx", true),
            ("reindex", "users", true),
            ("reindex", "idx2", false),
            ("vacuum_full", "users", false),
            ("create_index", "t", true),
        ]
    );
}

#[test]
fn added_columns_tell_what_fills_existing_rows() {
    let sql = "ALTER TABLE t ADD COLUMN a uuid NOT NULL DEFAULT gen_random_uuid();\n\
               ALTER TABLE t ADD COLUMN b timestamptz NOT NULL DEFAULT now();\n\
               ALTER TABLE t ADD COLUMN c bigserial;\nALTER TABLE t ADD COLUMN d int NOT NULL;\n\
               ALTER TABLE t ADD COLUMN e int GENERATED ALWAYS AS IDENTITY;\n";
    let found = steps(sql).0;
    let read: Vec<_> = found.iter().map(|s| (s.not_null, s.has_default, s.rewrite.is_some())).collect();
    assert_eq!(
        read,
        [(true, true, true), (true, true, false), (false, true, true), (true, false, false), (false, true, true)]
    );
    assert!(found[0].rewrite.as_deref().unwrap().contains("gen_random_uuid()"));
}

#[test]
fn constraints_say_how_they_are_validated() {
    let sql = "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) NOT VALID;\n\
               ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\nALTER TABLE t ADD CONSTRAINT p PRIMARY KEY USING INDEX i;\n\
               ALTER TABLE t VALIDATE CONSTRAINT f;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;\n";
    let found = steps(sql).0;
    let read: Vec<_> = found.iter().map(|s| (s.kind.name(), s.constraint, s.not_valid, s.using_index)).collect();
    assert_eq!(
        read,
        [
            ("add_constraint", Some("foreign_key"), true, false),
            ("add_constraint", Some("check"), false, false),
            ("add_constraint", Some("primary_key"), false, true),
            ("validate_constraint", None, false, false),
            ("set_not_null", None, false, false),
        ]
    );
}

#[test]
fn a_statement_that_does_not_read_is_one_note_and_the_rest_is_still_read() {
    let sql = "ALTER SEQUENCE s RESTART;\nDO $$ BEGIN PERFORM 1; END $$;\nALTER TABLE t DROP COLUMN a;\n";
    let (found, note) = steps(sql);
    assert_eq!(found.iter().map(|s| s.kind.name()).collect::<Vec<_>>(), ["drop_column"]);
    let note = note.expect("a note for the unread statements");
    assert_eq!(note.location.line, 1);
    assert!(note.message.contains("2 statements") && note.message.contains("line 2 (DO)"), "{}", note.message);
}

#[test]
fn text_that_does_not_tokenize_is_a_note_at_the_error() {
    let (found, note) = steps("SELECT 1;\nSELECT 'unterminated;\n");
    assert!(found.is_empty());
    assert_eq!(note.unwrap().location.line, 2);
}

#[test]
fn sqlx_opt_out_and_diesel_metadata_are_read() {
    let (migration, _) =
        extract(Symbol::intern("migrations/1_a.sql"), "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n");
    assert!(migration.no_transaction_marker);
    let (metadata, _) = extract(Symbol::intern("migrations/2024_a/metadata.toml"), "run_in_transaction = false\n");
    assert_eq!(metadata.run_in_transaction, Some(false));
}

#[test]
fn comments_are_found_outside_strings_and_dollar_quoted_bodies() {
    let text = "SELECT '-- not'; -- one\n$$ -- no $$;\n  -- two\n";
    let found: Vec<_> = comments(text)
        .unwrap()
        .into_iter()
        .map(|(line, column, body)| (line, column, body.trim().to_owned()))
        .collect();
    assert_eq!(found, [(0, 17, "one".to_owned()), (2, 2, "two".to_owned())]);
}

#[test]
fn tables_a_do_block_creates_are_new() {
    let sql = "DO $$\nBEGIN\n  CREATE TABLE s.stats_table AS SELECT 1;\n  ALTER TABLE s.stats_table\n    RENAME TO stats;\nEND $$;\n\
               CREATE INDEX stats_idx ON s.stats (minute);\nCREATE INDEX other_idx ON s.other (minute);\n";
    let found = steps(sql).0;
    let new: Vec<_> = found.iter().map(|s| (s.table.as_str(), s.new_table)).collect();
    assert_eq!(new, [("stats", true), ("other", false)]);
}

#[test]
fn a_table_dropped_and_created_again_is_recreated() {
    let found = steps("DROP TABLE a;\nCREATE TABLE a (id int);\nDROP TABLE b;\n").0;
    let drops: Vec<_> =
        found.iter().filter(|s| s.kind.name() == "drop_table").map(|s| (s.table.as_str(), s.recreated)).collect();
    assert_eq!(drops, [("a", true), ("b", false)]);
}

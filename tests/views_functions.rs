//! Views and functions through the Rust API: session-registered Rust functions (scalar and aggregate),
//! persistence across a reopen, and BACKUP / RESTORE of views and functions into another database with
//! AS renames.

use std::sync::Arc;

use arrow::array::{Array, Int32Array, Int64Array, StringArray};
use tessera::datafusion::arrow::datatypes::DataType;
use tessera::datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};
use tessera::{Database, RestoreState};

fn strings(db: &Database, sql: &str) -> Vec<String> {
    let mut session = db.session();
    let batches = session.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for batch in batches {
        let column = arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
        let values = column.as_any().downcast_ref::<StringArray>().unwrap();
        out.extend((0..values.len()).map(|i| values.value(i).to_string()));
    }
    out
}

#[test]
fn session_functions_are_callable_in_that_session_only() {
    let db = Database::open_temporary().unwrap();
    let mut session = db.session();
    session.execute("CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (1), (2), (3)").unwrap();
    let plus_hundred = create_udf(
        "plus_hundred",
        vec![DataType::Int32],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let array = args[0].to_array(1)?;
            let values = array.as_any().downcast_ref::<Int32Array>().expect("declared Int32");
            let out: Int32Array = values.iter().map(|v| v.map(|v| v + 100)).collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    );
    session.register_scalar_function(plus_hundred);
    // A Rust aggregate under a name of our own (DataFusion's count, renamed).
    let tally = tessera::datafusion::functions_aggregate::count::count_udaf().as_ref().clone().with_aliases(["tally"]);
    session.register_aggregate_function(tally);

    let batches = session.query("SELECT sum(plus_hundred(k)), tally(k) FROM t").unwrap();
    let sum = batches[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap().value(0);
    let tally = batches[0].column(1).as_any().downcast_ref::<Int64Array>().unwrap().value(0);
    assert_eq!((sum, tally), (306, 3));

    // Usable inside a view, in the session that registered it.
    session.execute("CREATE VIEW v AS SELECT plus_hundred(k) AS p FROM t").unwrap();
    let batches = session.query("SELECT max(p) FROM v").unwrap();
    assert_eq!(batches[0].column(0).as_any().downcast_ref::<Int32Array>().unwrap().value(0), 103);

    // Another session does not have it: the view names the missing function.
    let mut other = db.session();
    other.execute("USE d").unwrap();
    let error = other.query("SELECT * FROM v").unwrap_err().to_string();
    assert!(error.contains("view d.v cannot be used") && error.contains("plus_hundred"), "{error}");
    assert!(other.query("SELECT plus_hundred(1)").is_err());
}

#[test]
fn views_and_functions_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        db.session()
            .execute(
                "CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (4);
                 CREATE FUNCTION sq(x INT) RETURNS BIGINT AS x * x;
                 CREATE VIEW v (squared) AS SELECT sq(k) FROM t",
            )
            .unwrap();
        db.close().unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(strings(&db, "SELECT squared FROM d.v"), vec!["16"]);
    assert_eq!(strings(&db, "SELECT d.sq(3)"), vec!["9"]);
}

/// DROP DATABASE removes its view and function records from the data directory (a re-created database
/// of the same name has another id, so SQL alone cannot see leftovers).
#[test]
fn dropping_a_database_removes_its_view_and_function_records() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        db.session()
            .execute(
                "CREATE DATABASE keep; CREATE VIEW keep.kv AS SELECT 1 AS x;
                 CREATE DATABASE gone; USE gone; CREATE FUNCTION f(x INT) RETURNS INT AS x + 1;
                 CREATE VIEW gv AS SELECT f(1) AS y; DROP DATABASE gone",
            )
            .unwrap();
        db.close().unwrap();
    }
    let store = tessera_storage::Store::open(dir.path(), Default::default()).unwrap();
    let state = store.snapshot();
    assert_eq!(state.records_of("view").count(), 1, "only keep.kv is left");
    assert_eq!(state.records_of("function").count(), 0);
}

/// A database with a table, two views (one over the other), and a function with two overloads, backed
/// up whole; restored into another database with renames.
#[test]
fn restore_into_another_database_with_renames() {
    let db = Database::open_temporary().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let mut session = db.session();
    session
        .execute(&format!(
            "CREATE DATABASE src; USE src;
             CREATE TABLE t (k INT, s STRING); INSERT INTO t VALUES (1, 'a'), (2, 'b');
             CREATE FUNCTION tag(x INT) RETURNS STRING AS concat('#', CAST(x AS STRING));
             CREATE FUNCTION tag(x STRING) RETURNS STRING AS concat('@', x);
             CREATE VIEW tagged AS SELECT src.tag(k) AS a, tag(s) AS b FROM src.t;
             CREATE VIEW tagged_twice AS SELECT a FROM tagged WHERE b = '@b';
             CREATE REPOSITORY r ON LOCATION '{}'",
            repo.path().display()
        ))
        .unwrap();
    let backup = session.execute_one("BACKUP SNAPSHOT src.snap TO r").unwrap();
    let job = db.wait_for_backup(backup.job.unwrap()).unwrap();
    assert_eq!(job.state, tessera::BackupState::Finished, "{}", job.status);

    // Everything, into a new database: `src.` references now name `dst`.
    let restore = |sql: &str| {
        let result = db.session().execute_one(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let job = db.wait_for_restore(result.job.unwrap()).unwrap();
        assert_eq!(job.state, RestoreState::Finished, "{}", job.status);
    };
    restore("RESTORE SNAPSHOT snap FROM r DATABASE src AS dst");
    assert_eq!(strings(&db, "SELECT a FROM dst.tagged_twice"), vec!["#2"]);
    let mut check = db.session();
    check.execute("USE dst").unwrap();
    let shown = check.execute_one("SHOW CREATE VIEW tagged").unwrap();
    let text = shown.batches[0].column(1).as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string();
    assert!(text.contains("`dst`.tag(k)") && text.contains("FROM `dst`.t"), "{text}");

    // Dropping the source changes nothing in the copy.
    db.session().execute("DROP DATABASE src").unwrap();
    assert_eq!(strings(&db, "SELECT b FROM dst.tagged ORDER BY b"), vec!["@a", "@b"]);

    // Renames: the function's overloads under a new name, a view under a new name. The renamed view
    // keeps its definition, so it still calls `tag`, which this restore did not bring: it fails, naming
    // itself and the function, until `tag` is restored too.
    restore("RESTORE SNAPSHOT snap FROM r DATABASE src AS third ON (FUNCTION tag AS label, VIEW tagged AS renamed, TABLE t)");
    assert_eq!(strings(&db, "SELECT third.label(7)"), vec!["#7"]);
    assert_eq!(strings(&db, "SELECT third.label('x')"), vec!["@x"]);
    let error = db.session().query("SELECT * FROM third.renamed").unwrap_err().to_string();
    assert!(error.contains("view third.renamed cannot be used") && error.contains("`third`.tag"), "{error}");
    restore("RESTORE SNAPSHOT snap FROM r DATABASE src AS third ON (FUNCTION tag)");
    assert_eq!(strings(&db, "SELECT a FROM third.renamed ORDER BY a"), vec!["#1", "#2"]);
    assert!(db.session().query("SELECT * FROM third.tagged_twice").is_err(), "not selected, not restored");

    // A restored function replaces one with the same signature; a restored view replaces its namesake.
    db.session()
        .execute(
            "CREATE OR REPLACE FUNCTION third.label(x INT) RETURNS STRING AS 'changed';
             CREATE OR REPLACE VIEW third.renamed AS SELECT 'changed' AS a",
        )
        .unwrap();
    assert_eq!(strings(&db, "SELECT third.label(1)"), vec!["changed"]);
    restore("RESTORE SNAPSHOT snap FROM r DATABASE src AS third ON (FUNCTION tag AS label, VIEW tagged AS renamed)");
    assert_eq!(strings(&db, "SELECT third.label(1)"), vec!["#1"]);
    assert_eq!(strings(&db, "SELECT a FROM third.renamed ORDER BY a"), vec!["#1", "#2"]);

    // A view may not land on a table's name: refused at submission, nothing changes.
    let error = db
        .session()
        .execute_one("RESTORE SNAPSHOT snap FROM r DATABASE src AS third ON (VIEW tagged AS t)")
        .unwrap_err()
        .to_string();
    assert!(error.contains("Can not restore view t: table t already exists in database third"), "{error}");
    let error = db
        .session()
        .execute_one("RESTORE SNAPSHOT snap FROM r DATABASE src AS third ON (TABLE t AS renamed)")
        .unwrap_err()
        .to_string();
    assert!(error.contains("Only support restore OLAP table: renamed"), "{error}");

    // Checked even when the target database does not exist yet (nothing is created), and a function
    // may not be restored under a built-in's name.
    for (sql, expected) in [
        (
            "RESTORE SNAPSHOT snap FROM r DATABASE src AS fourth ON (TABLE t AS tagged, VIEW tagged)",
            "Only support restore OLAP table: tagged (it is also a view restored by this job)",
        ),
        (
            "RESTORE SNAPSHOT snap FROM r DATABASE src AS fourth ON (FUNCTION tag AS abs)",
            "Can't restore function abs: abs is a built-in function",
        ),
    ] {
        let error = db.session().execute_one(sql).unwrap_err().to_string();
        assert!(error.contains(expected), "{sql}: {error}");
    }
    assert!(db.session().execute_one("USE fourth").is_err(), "the database was not created");

    // Restored into a database whose name is a reserved word: qualified names still parse.
    restore("RESTORE SNAPSHOT snap FROM r DATABASE src AS `order`");
    assert_eq!(strings(&db, "SELECT a FROM `order`.tagged ORDER BY a"), vec!["#1", "#2"]);
}

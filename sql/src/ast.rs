//! The statements Tessera understands, as the parser produces them.
//!
//! Standard query syntax (SELECT, VALUES, expressions) is kept as `sqlparser` AST so that the engine can
//! hand it to DataFusion's planner unchanged. Everything StarRocks-specific (table DDL with keys,
//! partitions, buckets and properties; SHOW statements; ALTER TABLE forms) has its own types here.
//!
//! Identifiers are normalized the way DataFusion normalizes them: an unquoted identifier is lower-cased,
//! a back-quoted one is kept exactly. Every name in this module has already been normalized.

use sqlparser::ast as sp;

/// A possibly database-qualified object name: `[db.]name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectName {
    pub database: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.database {
            Some(db) => write!(f, "{db}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A literal as written in DDL (partition bounds, DEFAULT values, PROPERTIES values).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Boolean(bool),
    /// A number kept as written (`-12`, `3.50`, `1e3`), converted to the column type by the engine.
    Number(String),
    String(String),
    /// `MAXVALUE` in a range partition bound.
    MaxValue,
    /// `CURRENT_TIMESTAMP` / `NOW()` as a DEFAULT.
    CurrentTimestamp,
}

/// A column type as written. Lengths and precisions are validated by the engine, not the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlType {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    LargeInt,
    Float,
    Double,
    /// DECIMAL / DECIMALV3 / NUMERIC with optional precision and scale.
    Decimal(Option<u32>, Option<u32>),
    Char(Option<u32>),
    Varchar(Option<u32>),
    String,
    Date,
    Datetime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub data_type: SqlType,
    /// `None` when neither NULL nor NOT NULL was written.
    pub nullable: Option<bool>,
    pub default: Option<Literal>,
    pub comment: Option<String>,
    /// The aggregate type of a value column of an AGGREGATE KEY table (`v INT SUM`).
    pub aggregate: Option<AggregateKind>,
}

/// The aggregate types of AGGREGATE KEY value columns that Tessera supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateKind {
    Sum,
    Min,
    Max,
    Replace,
    ReplaceIfNotNull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Duplicate,
    Primary,
    Unique,
    Aggregate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub kind: KeyKind,
    pub columns: Vec<String>,
}

/// One partition in `PARTITION BY RANGE/LIST (...) ( ... )` or `ALTER TABLE ... ADD PARTITION`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionSpec {
    pub name: String,
    pub if_not_exists: bool,
    pub values: PartitionValues,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PartitionValues {
    /// `VALUES LESS THAN (v, ...)` or `VALUES LESS THAN MAXVALUE` (then the tuple is `[MaxValue]`).
    LessThan(Vec<Literal>),
    /// `VALUES [(lo, ...), (hi, ...))`.
    Fixed(Vec<Literal>, Vec<Literal>),
    /// `VALUES IN (v1, v2)` gives one single-element tuple per value; `VALUES IN ((a, 1), (b, 2))` gives
    /// one tuple per parenthesized group.
    In(Vec<Vec<Literal>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionKind {
    Range,
    List,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartitionBy {
    pub kind: PartitionKind,
    pub columns: Vec<String>,
    pub partitions: Vec<PartitionSpec>,
    /// Expression partitioning (`PARTITION BY date_trunc(...)`, `time_slice(...)` or a bare column list):
    /// partitions are created as rows arrive, so `partitions` is empty. `kind` is `Range` for the time
    /// functions (one column in `columns`) and `List` for a column list.
    pub expression: Option<PartitionExpression>,
}

/// The expression of an expression-partitioned table, as written (validated by the engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionExpression {
    /// `date_trunc('<unit>', col)`; the unit as written, lower-cased.
    DateTrunc { unit: String },
    /// `time_slice(col, INTERVAL <interval> <unit> [, <boundary>])`; unit and boundary lower-cased.
    TimeSlice { interval: u64, unit: String, boundary: Option<String> },
    /// `col, ...` or `(col, ...)`: one partition per distinct value tuple.
    Columns,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistributionSpec {
    /// `DISTRIBUTED BY HASH(cols) [BUCKETS n]`.
    Hash { columns: Vec<String>, buckets: Option<u64> },
    /// `DISTRIBUTED BY RANDOM [BUCKETS n]`.
    Random { buckets: Option<u64> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub name: ObjectName,
    pub if_not_exists: bool,
    /// Empty for `CREATE TABLE t [...] AS SELECT` without a column list.
    pub columns: Vec<ColumnSpec>,
    pub key: Option<KeySpec>,
    pub comment: Option<String>,
    pub partition_by: Option<PartitionBy>,
    pub distribution: Option<DistributionSpec>,
    /// `PROPERTIES ("k" = "v", ...)` in the order written; keys as written (not lower-cased).
    pub properties: Vec<(String, String)>,
    /// `AS <query>` for CREATE TABLE AS SELECT.
    pub as_query: Option<Box<sp::Query>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableOp {
    AddPartition(PartitionSpec),
    DropPartition {
        name: String,
        if_exists: bool,
    },
    /// `ADD COLUMN col type ... [FIRST | AFTER col]`; `after` is `Some("")` for FIRST.
    AddColumn {
        column: ColumnSpec,
        after: Option<String>,
    },
    DropColumn {
        name: String,
    },
    /// `SET ("k" = "v", ...)`: change table properties (keys and values as written).
    SetProperties(Vec<(String, String)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: ObjectName,
    pub overwrite: bool,
    /// `PARTITION (p1, p2)` after the table name; empty when absent.
    pub partitions: Vec<String>,
    /// `PARTITION (col = value, ...)` after the table name (expression-partitioned tables: the partition
    /// holding these values, created if missing); empty when absent.
    pub partition_values: Vec<(String, Literal)>,
    /// Explicit column list; empty when absent.
    pub columns: Vec<String>,
    /// The source rows: a `VALUES` list or a query, as sqlparser parsed it.
    pub source: Box<sp::Query>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
        force: bool,
    },
    Use {
        database: String,
    },
    ShowDatabases,
    /// `SHOW [FULL] TABLES [FROM | IN db]`: `full` adds the `Table_type` column.
    ShowTables {
        database: Option<String>,
        full: bool,
    },
    CreateTable(Box<CreateTable>),
    DropTable {
        name: ObjectName,
        if_exists: bool,
        force: bool,
    },
    TruncateTable {
        name: ObjectName,
        partitions: Vec<String>,
    },
    AlterTable {
        name: ObjectName,
        op: AlterTableOp,
    },
    ShowCreateTable {
        name: ObjectName,
    },
    /// `DESC t` / `DESCRIBE t` / `SHOW COLUMNS FROM t`.
    Describe {
        name: ObjectName,
    },
    ShowPartitions {
        name: ObjectName,
    },
    Insert(Box<Insert>),
    Delete {
        table: ObjectName,
        selection: Option<sp::Expr>,
    },
    /// `UPDATE t SET c = expr, ... [FROM t2, ...] [WHERE cond]` (PRIMARY KEY tables).
    Update {
        table: ObjectName,
        assignments: Vec<(String, sp::Expr)>,
        /// Other tables the SET expressions and the condition may use (joined with the target).
        from: Vec<sp::TableWithJoins>,
        selection: Option<sp::Expr>,
    },
    /// A query (SELECT, WITH, VALUES, ...) for DataFusion.
    Query(Box<sp::Query>),
    /// `EXPLAIN [VERBOSE | ANALYZE] <query>`: the whole sqlparser statement, for DataFusion.
    Explain(Box<sp::Statement>),
    /// Repositories, BACKUP, snapshots and backup jobs.
    Backup(BackupStatement),
    /// `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] ...` and `ALTER VIEW ...`.
    CreateView(Box<CreateView>),
    DropView {
        name: ObjectName,
        if_exists: bool,
    },
    ShowCreateView {
        name: ObjectName,
    },
    CreateFunction(Box<CreateFunction>),
    /// `DROP FUNCTION [IF EXISTS] [db.]f(type, ...)`: one overload, named by its argument types.
    DropFunction {
        name: ObjectName,
        argument_types: Vec<SqlType>,
        if_exists: bool,
    },
    /// `SHOW [FULL] FUNCTIONS [FROM | IN db]`.
    ShowFunctions {
        database: Option<String>,
    },
    CreateMaterializedView(Box<CreateMaterializedView>),
    DropMaterializedView {
        name: ObjectName,
        if_exists: bool,
    },
    /// `REFRESH MATERIALIZED VIEW [db.]mv [FORCE] [WITH SYNC|ASYNC MODE]`.
    RefreshMaterializedView {
        name: ObjectName,
        force: bool,
    },
    AlterMaterializedView {
        name: ObjectName,
        op: AlterMaterializedViewOp,
    },
    /// `SHOW MATERIALIZED VIEWS [FROM | IN db] [LIKE 'pattern']`.
    ShowMaterializedViews {
        database: Option<String>,
        like: Option<String>,
    },
    ShowCreateMaterializedView {
        name: ObjectName,
    },
}

/// `CREATE MATERIALIZED VIEW [IF NOT EXISTS] [db.]mv [COMMENT '...'] [PARTITION BY ...]
/// [DISTRIBUTED BY ...] [REFRESH ...] [PROPERTIES (...)] AS query`. Without PARTITION BY, DISTRIBUTED BY
/// and REFRESH it is a synchronous materialized view (a rollup of one table); with any of them, an
/// asynchronous one.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateMaterializedView {
    pub name: ObjectName,
    pub if_not_exists: bool,
    pub comment: Option<String>,
    pub partition_by: Option<PartitionBy>,
    pub distribution: Option<DistributionSpec>,
    pub refresh: Option<RefreshSpec>,
    pub properties: Vec<(String, String)>,
    pub query: Box<sp::Query>,
}

impl CreateMaterializedView {
    /// True for the synchronous form (no PARTITION BY, DISTRIBUTED BY or REFRESH clause).
    pub fn is_sync(&self) -> bool {
        self.partition_by.is_none() && self.distribution.is_none() && self.refresh.is_none()
    }
}

/// `REFRESH [IMMEDIATE | DEFERRED] {ASYNC [START ('time')] [EVERY (INTERVAL n unit)] | MANUAL}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshSpec {
    /// DEFERRED: no refresh at creation (IMMEDIATE, the default, refreshes at once).
    pub deferred: bool,
    pub kind: RefreshKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshKind {
    Manual,
    Async {
        /// `START ('yyyy-MM-dd HH:mm:ss')` as written.
        start: Option<String>,
        /// `EVERY (INTERVAL n unit)`: n and the unit as written, upper-cased.
        every: Option<(u64, String)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterMaterializedViewOp {
    Active,
    Inactive,
    Refresh(RefreshSpec),
    Rename(String),
}

/// How a view statement treats an existing view of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewMode {
    /// `CREATE VIEW`: an existing object is an error.
    Create,
    /// `CREATE VIEW IF NOT EXISTS`: an existing view is kept, nothing happens.
    CreateIfNotExists,
    /// `CREATE OR REPLACE VIEW`: an existing view is replaced (a missing one is created).
    CreateOrReplace,
    /// `ALTER VIEW`: the view must exist and is replaced.
    Alter,
}

/// One column of a view's optional column list: `name [COMMENT '...']`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewColumn {
    pub name: String,
    pub comment: Option<String>,
}

/// `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] [db.]v [(c [COMMENT '...'], ...)] [COMMENT '...'] AS query`
/// or `ALTER VIEW [db.]v [(cols)] AS query`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    pub name: ObjectName,
    pub mode: ViewMode,
    /// Empty when no column list was written.
    pub columns: Vec<ViewColumn>,
    pub comment: Option<String>,
    pub query: Box<sp::Query>,
}

/// One parameter of a SQL function: `name type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionParameter {
    pub name: String,
    pub data_type: SqlType,
}

/// `CREATE [OR REPLACE] FUNCTION [IF NOT EXISTS] [db.]f(a INT, ...) RETURNS type [PROPERTIES (...)]
/// AS <expression>`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFunction {
    pub name: ObjectName,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub parameters: Vec<FunctionParameter>,
    pub returns: SqlType,
    /// `PROPERTIES (...)`, keys and values as written.
    pub properties: Vec<(String, String)>,
    /// The body, a scalar expression over the parameters.
    pub body: Box<sp::Expr>,
}

/// One item of a BACKUP `ON (...)` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupObject {
    /// `ALL TABLES` / `ALL TABLE`.
    AllTables,
    /// `t [PARTITION (p, ...)]` or `TABLE t [PARTITION (...)]` (the name is never database-qualified).
    Table { name: String, partitions: Vec<String> },
    /// `ALL VIEWS`, `VIEW v`, `ALL MATERIALIZED VIEWS`, `MATERIALIZED VIEW mv`, `ALL FUNCTIONS`,
    /// `FUNCTION [db.]f`: parsed so the engine can say they are not supported yet.
    Other { kind: String, name: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// `BACKUP DATABASE db ...` (the v3.4 form).
    pub database: Option<String>,
    /// `SNAPSHOT [db.]label`: the `db.` prefix, if written.
    pub label_database: Option<String>,
    pub label: String,
    pub repository: String,
    /// Empty when there is no ON clause (the whole database).
    pub objects: Vec<BackupObject>,
    /// `PROPERTIES (...)`, keys and values as written.
    pub properties: Vec<(String, String)>,
    /// An `AS alias` was written after an ON item (refused by the engine with StarRocks' message);
    /// holds the item as written, e.g. `t1 AS x`.
    pub alias_given: Option<String>,
}

/// One item of a RESTORE `ON (...)` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreObject {
    /// `ALL TABLES` / `ALL TABLE`.
    AllTables,
    /// `t [PARTITION (p, ...)] [AS alias]` or `TABLE t ...` (never database-qualified).
    Table { name: String, partitions: Vec<String>, alias: Option<String> },
    /// Views, materialized views and functions (with their optional alias), for the engine to refuse
    /// until they are supported.
    Other { kind: String, name: Option<String>, alias: Option<String> },
}

/// `RESTORE SNAPSHOT [db.]label FROM repo [DATABASE src [AS target]] [ON (...)] [PROPERTIES (...)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    /// The `db.` prefix of the label (the target database), if written.
    pub label_database: Option<String>,
    pub label: String,
    pub repository: String,
    /// `DATABASE src` (the database recorded in the snapshot).
    pub source_database: Option<String>,
    /// `AS target` after `DATABASE src`.
    pub target_database: Option<String>,
    /// Empty when there is no ON clause (everything in the snapshot).
    pub objects: Vec<RestoreObject>,
    pub properties: Vec<(String, String)>,
}

/// The `WHERE` of SHOW SNAPSHOT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotFilter {
    None,
    Snapshot(String),
    SnapshotAndTimestamp(String, String),
    SnapshotIn(Vec<String>),
}

/// Statements about repositories, snapshots and backup jobs.
#[derive(Debug, Clone, PartialEq)]
pub enum BackupStatement {
    /// `CREATE [READ ONLY] REPOSITORY r [WITH BROKER [name]] ON LOCATION "..." [PROPERTIES (...)]`.
    CreateRepository {
        name: String,
        read_only: bool,
        broker: Option<String>,
        location: String,
        properties: Vec<(String, String)>,
    },
    DropRepository {
        name: String,
    },
    ShowRepositories,
    Backup(Box<Backup>),
    /// `SHOW BACKUP [FROM | IN db] [WHERE ...]` (the WHERE is accepted and ignored, as in StarRocks).
    ShowBackup {
        database: Option<String>,
    },
    /// `CANCEL BACKUP [FROM | IN db]`.
    CancelBackup {
        database: Option<String>,
    },
    ShowSnapshot {
        repository: String,
        filter: SnapshotFilter,
    },
    Restore(Box<Restore>),
    /// `SHOW RESTORE [FROM | IN db] [WHERE ...]`.
    ShowRestore {
        database: Option<String>,
    },
    /// `CANCEL RESTORE [FROM | IN db]`.
    CancelRestore {
        database: Option<String>,
    },
    /// `DROP SNAPSHOT label ON r [FORCE]`.
    DropSnapshot {
        label: String,
        repository: String,
        force: bool,
    },
}

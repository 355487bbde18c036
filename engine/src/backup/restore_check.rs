//! The restore rules for one table (StarRocks' restore rules, documented in the README's Restore section): whether an existing table may be overwritten by a
//! snapshot table (schema match, checked in the spec's order, first difference reported with
//! StarRocks' text), and the target definition the restore commits: a new table with fresh ids, or the
//! existing table with replaced and added partitions.
//!
//! What stays true: these functions change nothing; they are run at submission (so a mismatch fails
//! the statement) and again against the state the job commits to (so a concurrent DDL cannot slip in).
//! Local partitions that are not in the snapshot selection are kept as they are.

use tessera_storage::{
    DatabaseId, Distribution, PartitionBound, PartitionDef, PartitionId, PartitionKind, TableDef, TableId, TableState,
    TabletId,
};

use crate::catalog::partition_expression::expression_sql;
use crate::error::{EngineError, Result};

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(message.into())
}

/// Where one target tablet's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TabletSource {
    pub target: TabletId,
    /// The snapshot tablet whose files become the target tablet's segments.
    pub source: TabletId,
    /// True when the target tablet exists and its current segments are replaced.
    pub replace: bool,
}

/// The definition to commit for one restored table and where each restored tablet's data comes from.
#[derive(Debug, Clone)]
pub(crate) struct TablePlan {
    pub definition: TableDef,
    pub tablets: Vec<TabletSource>,
}

/// The local partition a snapshot partition lands on: the one with its name, or, for unpartitioned
/// tables, the single partition (it is named after its table, and the table may be restored under an
/// alias).
fn local_partition<'a>(local: &'a TableDef, p: &PartitionDef) -> Option<&'a PartitionDef> {
    match local.partition_kind {
        PartitionKind::Unpartitioned => local.partitions.first(),
        _ => local.partition(&p.name),
    }
}

fn schema_error(table: &str, reason: &str) -> EngineError {
    invalid(format!("Table {table} already exist but with different schema, errMsg: {reason}"))
}

/// Checks that the existing table `local` may be overwritten with the snapshot table `snap` (already
/// restricted to the selected partitions). `name` is the local table's name.
pub(crate) fn check_overwrite(local: &TableDef, snap: &TableDef) -> Result<()> {
    let name = &local.name;
    // The spec's order: partition type; the "signature" (column count, partition columns, distribution,
    // buckets); key type; then every column. Expression partitioning is a partition type of its own (as
    // StarRocks' EXPR_RANGE is), so a plain RANGE/LIST table and an expression-partitioned one differ in
    // type, and two expressions must be the same: the restored partitions are the expression's slots.
    if local.partition_kind != snap.partition_kind || local.partition_expr.is_some() != snap.partition_expr.is_some() {
        return Err(invalid("Table's partition type is different"));
    }
    if local.columns.len() != snap.columns.len() {
        return Err(schema_error(
            name,
            &format!(
                "column count is inconsistent (existing table: {}, snapshot: {})",
                local.columns.len(),
                snap.columns.len()
            ),
        ));
    }
    if local.partition_columns != snap.partition_columns {
        return Err(schema_error(name, "partition columns is inconsistent"));
    }
    if let (Some(mine), Some(theirs)) = (&local.partition_expr, &snap.partition_expr) {
        if mine != theirs {
            let sql = |expr, table: &TableDef| expression_sql(expr, &table.partition_columns);
            return Err(schema_error(
                name,
                &format!(
                    "partition expression is inconsistent (existing table: {}, snapshot: {})",
                    sql(mine, local),
                    sql(theirs, snap)
                ),
            ));
        }
    }
    // Buckets are a table-wide property here, so they must match even when no partition is shared:
    // restored files are placed bucket by bucket.
    match (&local.distribution, &snap.distribution) {
        (Distribution::Hash { columns: a, .. }, Distribution::Hash { columns: b, .. }) if a != b => {
            return Err(schema_error(name, "partition distribution col hash is inconsistent"));
        }
        (Distribution::Hash { .. }, Distribution::Random { .. })
        | (Distribution::Random { .. }, Distribution::Hash { .. }) => {
            return Err(schema_error(name, "partition distribution type is inconsistent"));
        }
        _ => {}
    }
    if local.distribution.buckets() != snap.distribution.buckets() {
        return Err(schema_error(name, "bucket num is inconsistent"));
    }
    if local.key.model != snap.key.model {
        return Err(invalid(format!("Table {name} already exist but with different key type")));
    }
    // A column differs in its name, type, nullability, default, or in being a key column.
    for (mine, theirs) in local.columns.iter().zip(&snap.columns) {
        let key_differs = local.key.columns.contains(&mine.name) != snap.key.columns.contains(&theirs.name);
        if mine != theirs || key_differs {
            return Err(invalid(format!(
                "Table {name} already exist but with different schema, column: {} in existed table is different from the column in backup snapshot, column: {}",
                mine.name, theirs.name
            )));
        }
    }
    for p in &snap.partitions {
        match local_partition(local, p) {
            Some(mine) => {
                if mine.bound != p.bound {
                    return Err(invalid(format!(
                        "Partition {} in table {name} has different range with partition in repository",
                        p.name
                    )));
                }
            }
            None => {
                if matches!(p.bound, PartitionBound::All) {
                    return Err(invalid(format!("No partition exist in single partitioned table {name}")));
                }
                if local.partitions.iter().any(|l| l.bound.overlaps(&p.bound)) {
                    return Err(invalid(format!(
                        "Partition {} in table {name} has conflict range with existing ranges",
                        p.name
                    )));
                }
            }
        }
    }
    Ok(())
}

const DYNAMIC_ENABLE: &str = "dynamic_partition.enable";

fn has_dynamic(def: &TableDef) -> bool {
    def.properties.keys().any(|k| k.starts_with("dynamic_partition."))
}

/// Builds what to commit for one table. `local` is the existing table of the target name, if any;
/// `allocate` hands out fresh ids.
pub(crate) fn plan(
    local: Option<&TableDef>,
    snap: &TableDef,
    database: DatabaseId,
    target_name: &str,
    now_ms: i64,
    allocate: &mut dyn FnMut() -> Result<u64>,
) -> Result<TablePlan> {
    let fresh_partition = |p: &PartitionDef, allocate: &mut dyn FnMut() -> Result<u64>| -> Result<PartitionDef> {
        let mut tablets = Vec::with_capacity(p.tablets.len());
        for _ in &p.tablets {
            tablets.push(TabletId(allocate()?));
        }
        Ok(PartitionDef { id: PartitionId(allocate()?), name: p.name.clone(), bound: p.bound.clone(), tablets })
    };
    let mut sources = Vec::new();
    match local {
        None => {
            let mut definition = snap.clone();
            definition.id = TableId(allocate()?);
            definition.database_id = database;
            definition.name = target_name.to_string();
            definition.create_time_ms = now_ms;
            definition.state = TableState::Normal;
            // Restored partitions are often older than the dynamic `start` border: left enabled, the next
            // scheduler pass would drop them (and their rows). Like Doris, restore with it disabled; the
            // user turns it back on with ALTER TABLE ... SET ("dynamic_partition.enable" = "true").
            if has_dynamic(&definition) {
                definition.properties.insert(DYNAMIC_ENABLE.to_string(), "false".to_string());
            }
            definition.partitions.clear();
            for p in &snap.partitions {
                let mut new = fresh_partition(p, allocate)?;
                if snap.partition_kind == PartitionKind::Unpartitioned {
                    // The single partition is named after its table, which may be an alias.
                    new.name = target_name.to_string();
                }
                for (target, source) in new.tablets.iter().zip(&p.tablets) {
                    sources.push(TabletSource { target: *target, source: *source, replace: false });
                }
                definition.partitions.push(new);
            }
            Ok(TablePlan { definition, tablets: sources })
        }
        Some(local) => {
            check_overwrite(local, snap)?;
            let mut definition = local.clone();
            definition.state = TableState::Normal;
            for p in &snap.partitions {
                match local_partition(local, p) {
                    Some(mine) => {
                        if mine.tablets.len() != p.tablets.len() {
                            return Err(schema_error(&local.name, "bucket num is inconsistent"));
                        }
                        for (target, source) in mine.tablets.iter().zip(&p.tablets) {
                            sources.push(TabletSource { target: *target, source: *source, replace: true });
                        }
                    }
                    None => {
                        let new = fresh_partition(p, allocate)?;
                        for (target, source) in new.tablets.iter().zip(&p.tablets) {
                            sources.push(TabletSource { target: *target, source: *source, replace: false });
                        }
                        definition.partitions.push(new);
                    }
                }
            }
            definition.sort_partitions();
            Ok(TablePlan { definition, tablets: sources })
        }
    }
}

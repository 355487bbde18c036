//! RESTORE of asynchronous materialized views (spec §6.6): a view comes back as a table with its rows
//! and definition; its base tables are looked up again, by the names its query uses, in the state the
//! restore commits. All present: the view is ACTIVE and its refresh bookkeeping is set to the restored
//! state, so it needs no refresh. Any missing (restored without its base tables): it stays INACTIVE,
//! saying which, until they exist and `ALTER MATERIALIZED VIEW mv ACTIVE` is run.
//!
//! Restored into another database, references qualified with the snapshot's database name are
//! rewritten to the target (as for views, on parsed names). An existing active asynchronous view of
//! the target name is kept, not overwritten.

use tessera_storage::{DatabaseId, MaterializedKind, MetaState, Store, TableDef, TableId, Transaction};

use crate::error::Result;

/// Points a snapshot view's definition at the target database: its query's `source_db.` qualifiers and
/// its base tables in `source_db` move to `target_db`.
pub(crate) fn retarget(def: &mut TableDef, source_db: &str, target_db: &str) -> Result<()> {
    let Some(mv) = def.materialized.as_mut() else { return Ok(()) };
    if !matches!(mv.kind, MaterializedKind::Async { .. }) || source_db == target_db {
        return Ok(());
    }
    mv.query = crate::backup::restore_objects::rewrite_query(&mv.query, source_db, target_db)?;
    for base in &mut mv.base_tables {
        if base.database == source_db {
            base.database = target_db.to_string();
        }
    }
    Ok(())
}

/// True when `target` in database `db` is an active asynchronous materialized view: RESTORE keeps it.
pub(crate) fn keeps_existing(state: &MetaState, db: DatabaseId, target: &str) -> bool {
    state
        .table_by_name(db, target)
        .and_then(|t| t.materialized.as_ref())
        .is_some_and(|mv| !mv.is_sync() && mv.is_active())
}

/// In the restore's commit, after the restored tables were put: re-links each restored asynchronous
/// view (`restored`, as put) to its base tables by name in the state the commit makes, active when all
/// exist, inactive with the missing one named otherwise.
pub(crate) fn relink(txn: &mut Transaction, state: &MetaState, database: DatabaseId, restored: &[TableDef]) {
    let target_db = state.databases.get(&database).map(|d| d.name.clone()).unwrap_or_default();
    let find = |db: &str, name: &str| -> Option<TableId> {
        if db == target_db {
            if let Some(t) = restored.iter().find(|t| t.name == name) {
                return Some(t.id);
            }
        }
        let db = state.database_by_name(db)?;
        state.table_by_name(db.id, name).map(|t| t.id)
    };
    for def in restored {
        let Some(mv) = &def.materialized else { continue };
        if mv.is_sync() {
            continue;
        }
        let mut next = def.clone();
        let Some(next_mv) = next.materialized.as_mut() else { continue };
        let mut missing = None;
        for base in &mut next_mv.base_tables {
            match find(&base.database, &base.table) {
                Some(id) => base.id = id,
                None => {
                    missing.get_or_insert(format!("{}.{}", base.database, base.table));
                }
            }
        }
        // A reason about missing base tables is settled by this lookup; one the user gave (ALTER ...
        // INACTIVE) is kept.
        let about_bases = next_mv.inactive_reason.as_deref().is_none_or(|r| r.starts_with("base"));
        if let Some(m) = missing {
            next_mv.inactive_reason = Some(format!("base table {m} does not exist (restored without its base tables)"));
        } else if about_bases {
            next_mv.inactive_reason = None;
        }
        txn.put_table(next);
    }
}

/// After the restore's commit: a restored active view whose base tables were all restored by the same
/// job now has bookkeeping matching their restored versions, so the refresh job does not recompute it;
/// one whose base tables were already there is due for a refresh (its rows came from other data).
pub(crate) fn after_commit(store: &Store, restored: &[TableId]) {
    for id in restored {
        // Under the view's lock, as a refresh would take it, from its current definition.
        let lock = store.table_lock(*id);
        let _exclusive = lock.write();
        let state = store.snapshot();
        let Some(table) = state.tables.get(id) else { continue };
        let Some(mv) = &table.materialized else { continue };
        if mv.is_sync() || !mv.is_active() {
            continue;
        }
        let mut next: TableDef = table.as_ref().clone();
        if let Some(next_mv) = next.materialized.as_mut() {
            // Fresh only when the job restored every base table with it (its rows were computed from
            // exactly those); otherwise the view is due for a refresh.
            let all_restored = next_mv.base_tables.iter().all(|b| restored.contains(&b.id));
            let digest = if all_restored { super::async_view::base_digest(&state, &next_mv.base_tables) } else { 0 };
            if let Some(refresh) = next_mv.last_refresh.as_mut() {
                refresh.base_digest = digest;
            }
        }
        let mut txn = Transaction::new();
        txn.put_table(next);
        if let Err(e) = store.commit(txn) {
            log::warn!("restored materialized view {} will be refreshed once: {e}", table.name);
        }
    }
}

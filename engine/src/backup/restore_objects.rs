//! RESTORE of views and SQL functions: which ones a RESTORE brings back, under which names, and how
//! they land in the target database.
//!
//! Rules (StarRocks 3.4's, as `../shared/spec/starrocks-semantics.md` gives them and the README's Restore section documents): without ON every view and function of the snapshot is
//! restored; `ON (VIEW v [AS v2], ALL VIEWS, FUNCTION f [AS f2], ALL FUNCTIONS, ...)` picks them (an
//! alias of a function renames all its overloads). Functions are restored before tables and views
//! (they commit together, in one transaction with the tables). A restored function replaces the
//! target database's function with the same name and argument types; a restored view replaces the
//! target's view of the same name. A view's (or a function body's) references are kept as written,
//! so a view that refers to a table restored under an alias still names the original table; when the
//! snapshot is restored into another database, references qualified with the snapshot's database
//! name (`src_db.t`, `src_db.f(...)`) are rewritten to the target database, as StarRocks does for
//! materialized views (it replaces the database name in the definition; Tessera rewrites the parsed
//! names, so a string that happens to contain the name is left alone).
//!
//! What stays true: a view never takes the name of a table, nor a table the name of a view (checked
//! at submission and again at the commit); nothing is written before the restore's one commit.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast as sp;
use datafusion::sql::sqlparser::dialect::MySqlDialect;
use tessera_backup::Manifest;
use tessera_sql::RestoreObject;
use tessera_storage::logical_objects::{encode_object, FUNCTION_RECORD, VIEW_RECORD};
use tessera_storage::{DatabaseId, FunctionDef, MetaState, Transaction, ViewDef};

use crate::catalog::objects::LogicalObjects;
use crate::error::{EngineError, Result};

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(message.into())
}

/// The views and functions one RESTORE brings back, renamed and rewritten for the target database.
#[derive(Debug, Default, Clone)]
pub(crate) struct RestoredObjects {
    pub(crate) views: Vec<ViewDef>,
    pub(crate) functions: Vec<FunctionDef>,
}

impl RestoredObjects {
    /// `[VIEW v]`, `[FUNCTION f(INT)]` items for SHOW RESTORE's RestoreObjs.
    pub(crate) fn shown(&self) -> Vec<String> {
        let mut out: Vec<String> = self.views.iter().map(|v| format!("VIEW {}", v.name)).collect();
        out.extend(self.functions.iter().map(|f| format!("FUNCTION {}", f.signature())));
        out
    }
}

/// Picks the snapshot's views and functions for `objects` (all of them when `objects` is empty).
pub(crate) fn select(
    manifest: &Manifest,
    label: &str,
    objects: &[RestoreObject],
    target_db: &str,
) -> Result<RestoredObjects> {
    let mut all_views = objects.is_empty();
    let mut all_functions = objects.is_empty();
    let mut views: Vec<(String, Option<String>)> = Vec::new();
    let mut functions: Vec<(String, Option<String>)> = Vec::new();
    for object in objects {
        let RestoreObject::Other { kind, name, alias } = object else { continue };
        match (kind.as_str(), name) {
            // Tables in the snapshot: `restore::select`.
            ("ALL MATERIALIZED VIEWS", _) | ("MATERIALIZED VIEW", Some(_)) => {}
            ("ALL VIEWS", _) => all_views = true,
            ("ALL FUNCTIONS", _) => all_functions = true,
            ("VIEW", Some(name)) => {
                if !manifest.views.iter().any(|v| &v.name == name) {
                    return Err(invalid(format!("View {name} does not exist in snapshot {label}")));
                }
                if views.iter().any(|(n, _)| n == name) {
                    return Err(invalid(format!("Duplicated view: {name}")));
                }
                views.push((name.clone(), alias.clone()));
            }
            ("FUNCTION", Some(name)) => {
                // `FUNCTION db.f`: the database part names the snapshot's database.
                let plain = match name.split_once('.') {
                    Some((db, f)) if db == manifest.database => f.to_string(),
                    Some(_) => return Err(invalid(format!("Can not find restore function: {name}"))),
                    None => name.clone(),
                };
                if !manifest.functions.iter().any(|f| f.name == plain) {
                    return Err(invalid(format!("Can not find restore function: {name}")));
                }
                if functions.iter().any(|(n, _)| n == &plain) {
                    return Err(invalid(format!("Duplicated function: {name}")));
                }
                functions.push((plain, alias.clone()));
            }
            _ => {
                return Err(EngineError::Unsupported(format!(
                    "restoring {} is not supported yet; tables, views and functions can be restored",
                    kind.to_ascii_lowercase()
                )))
            }
        }
    }
    if all_views {
        for view in &manifest.views {
            if !views.iter().any(|(n, _)| n == &view.name) {
                views.push((view.name.clone(), None));
            }
        }
    }
    if all_functions {
        for function in &manifest.functions {
            if !functions.iter().any(|(n, _)| n == &function.name) {
                functions.push((function.name.clone(), None));
            }
        }
    }
    let mut out = RestoredObjects::default();
    let mut targets = BTreeSet::new();
    for (name, alias) in views {
        let target = alias.unwrap_or_else(|| name.clone());
        if !targets.insert(target.clone()) {
            return Err(invalid(format!("Duplicated alias name: {target}")));
        }
        let Some(view) = manifest.views.iter().find(|v| v.name == name) else { continue };
        let mut view = view.clone();
        view.name = target;
        view.query = rewrite_query(&view.query, &manifest.database, target_db)?;
        out.views.push(view);
    }
    let mut function_targets = BTreeSet::new();
    for (name, alias) in functions {
        let target = alias.unwrap_or_else(|| name.clone());
        if !function_targets.insert(target.clone()) {
            return Err(invalid(format!("Duplicated alias name: {target}")));
        }
        for function in manifest.functions.iter().filter(|f| f.name == name) {
            let mut function = function.clone();
            function.name = target.clone();
            function.body = rewrite_expression(&function.body, &manifest.database, target_db)?;
            out.functions.push(function);
        }
    }
    Ok(out)
}

/// Name clashes with the target database: a restored view may not take a table's name, and a restored
/// table (`table_targets`) may not take a view's name.
pub(crate) fn check_names(
    state: &MetaState,
    database: DatabaseId,
    database_name: &str,
    table_targets: &[String],
    restored: &RestoredObjects,
) -> Result<()> {
    let objects = LogicalObjects::from_state(state);
    for target in table_targets {
        if objects.view(database, target).is_some() || restored.views.iter().any(|v| &v.name == target) {
            return Err(invalid(format!(
                "Only support restore OLAP table: {target} (it is a view in {database_name})"
            )));
        }
    }
    for view in &restored.views {
        if state.table_by_name(database, &view.name).is_some() {
            return Err(invalid(format!(
                "Can not restore view {}: table {} already exists in database {database_name}",
                view.name, view.name
            )));
        }
    }
    Ok(())
}

/// Puts the restored views and functions into the restore's commit: each replaces the target's view
/// of the same name or function of the same signature (keeping its record id), or gets a new id.
pub(crate) fn commit(
    txn: &mut Transaction,
    state: &MetaState,
    database: DatabaseId,
    restored: &RestoredObjects,
    create_time_ms: i64,
    allocate: &mut dyn FnMut() -> Result<u64>,
) -> Result<()> {
    let objects = LogicalObjects::from_state(state);
    for function in &restored.functions {
        let mut function = function.clone();
        function.database_id = database;
        function.create_time_ms = create_time_ms;
        function.id = match objects.overloads(database, &function.name).iter().find(|f| f.same_signature(&function)) {
            Some(existing) => existing.id,
            None => allocate()?,
        };
        txn.put_record(FUNCTION_RECORD, function.id, encode_object(&function)?);
    }
    for view in &restored.views {
        let mut view = view.clone();
        view.database_id = database;
        view.create_time_ms = create_time_ms;
        view.id = match objects.view(database, &view.name) {
            Some(existing) => existing.id,
            None => allocate()?,
        };
        txn.put_record(VIEW_RECORD, view.id, encode_object(&view)?);
    }
    Ok(())
}

/// Rewrites `db.x` names (tables, views, functions) from database `from` to `to` in a stored query.
pub(crate) fn rewrite_query(text: &str, from: &str, to: &str) -> Result<String> {
    if from == to {
        return Ok(text.to_string());
    }
    let Ok(tessera_sql::Statement::Query(mut query)) = tessera_sql::parse_statement(text) else {
        return Err(EngineError::Corruption(format!("a view's query in the snapshot cannot be parsed: {text}")));
    };
    let _ = sp::VisitMut::visit(query.as_mut(), &mut RenameDatabase { from, to });
    Ok(crate::catalog::sql_text::query_text(&query))
}

/// The same for a function body.
fn rewrite_expression(text: &str, from: &str, to: &str) -> Result<String> {
    if from == to {
        return Ok(text.to_string());
    }
    let parsed = datafusion::sql::sqlparser::parser::Parser::new(&MySqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr());
    let Ok(mut expr) = parsed else {
        return Err(EngineError::Corruption(format!("a function body in the snapshot cannot be parsed: {text}")));
    };
    let _ = sp::VisitMut::visit(&mut expr, &mut RenameDatabase { from, to });
    Ok(crate::catalog::sql_text::expr_text(&expr))
}

struct RenameDatabase<'a> {
    from: &'a str,
    to: &'a str,
}

impl RenameDatabase<'_> {
    /// Renames the database part of a table or function name: `db.x`, or `default_catalog.db.x`.
    fn rename(&self, name: &mut sp::ObjectName) {
        let position = match name.0.len() {
            2 => 0,
            3 => 1,
            _ => return,
        };
        if let sp::ObjectNamePart::Identifier(part) = &mut name.0[position] {
            self.rename_ident(part);
        }
    }

    fn rename_ident(&self, ident: &mut sp::Ident) {
        let normalized = if ident.quote_style.is_some() { ident.value.clone() } else { ident.value.to_lowercase() };
        if normalized == self.from {
            // Always quoted: the name may be a reserved word (`order`).
            *ident = sp::Ident::with_quote('`', self.to);
        }
    }

    /// Column references and wildcards qualified by a database: `db.t.c` (a two-part `a.c` names a
    /// table or alias, never a database) and `db.t.*`.
    fn rename_column_path(&self, parts: &mut [sp::Ident], table_and_column: usize) {
        if parts.len() > table_and_column {
            let first = parts.len() - table_and_column - 1;
            self.rename_ident(&mut parts[first]);
        }
    }
}

impl sp::VisitorMut for RenameDatabase<'_> {
    type Break = ();

    fn pre_visit_relation(&mut self, relation: &mut sp::ObjectName) -> ControlFlow<()> {
        self.rename(relation);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut sp::Expr) -> ControlFlow<()> {
        match expr {
            sp::Expr::Function(function) => self.rename(&mut function.name),
            // `db.t.c`: database, table, column.
            sp::Expr::CompoundIdentifier(parts) if parts.len() == 3 => self.rename_column_path(parts, 2),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &mut sp::Select) -> ControlFlow<()> {
        for item in &mut select.projection {
            if let sp::SelectItem::QualifiedWildcard(sp::SelectItemQualifiedWildcardKind::ObjectName(name), _) = item {
                // `db.t.*`: database, table.
                if name.0.len() == 2 {
                    if let sp::ObjectNamePart::Identifier(part) = &mut name.0[0] {
                        self.rename_ident(part);
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_qualifiers_are_rewritten_but_strings_are_not() {
        let query = rewrite_query("SELECT a.f(k), 'a.t' FROM a.t JOIN b.u ON t.k = u.k", "a", "c").unwrap();
        assert_eq!(query, "SELECT `c`.f(k), 'a.t' FROM `c`.t JOIN b.u ON t.k = u.k");
        assert_eq!(rewrite_expression("a.g(x) + 1", "a", "c").unwrap(), "`c`.g(x) + 1");
        assert_eq!(rewrite_query("SELECT 1 FROM a.t", "a", "order").unwrap(), "SELECT 1 FROM `order`.t");
        // Three-part column names, qualified wildcards and catalog-qualified tables; two-part column
        // names (table or alias first) stay.
        assert_eq!(
            rewrite_query("SELECT a.t.k, a.t.*, t.k, a.k FROM default_catalog.a.t", "a", "c").unwrap(),
            "SELECT `c`.t.k, `c`.t.*, t.k, a.k FROM default_catalog.`c`.t"
        );
        assert_eq!(rewrite_query(r"SELECT 'x\\y' FROM a.t", "a", "c").unwrap(), r"SELECT 'x\\y' FROM `c`.t");
        assert_eq!(rewrite_expression("a.g(x)", "a", "New-db").unwrap(), "`New-db`.g(x)");
        assert_eq!(rewrite_query("SELECT 1 FROM a.t", "a", "a").unwrap(), "SELECT 1 FROM a.t");
    }
}

//! Logical views: CREATE [OR REPLACE] VIEW, ALTER VIEW, DROP VIEW, SHOW CREATE VIEW and DESC of a view.
//!
//! A view is a record (`record/view/<id>`, `tessera_storage::ViewDef`) holding its query as SQL text;
//! statements that use it plan that text again over their own pinned state
//! (`datafusion_adapter/catalog.rs`), so a view always reads the current tables.
//!
//! What stays true: tables and views share one namespace per database (checked under the DDL lock,
//! in both directions); a view's definition planned when it was created or altered, with the new
//! definition in place, so a view that would reach itself (directly, through other views, or by
//! CREATE OR REPLACE) is never committed; a column list has exactly as many names as the query has
//! columns, and a view's column names are unique. Objects a view uses may be dropped later: using the
//! view then fails with an error naming it and the missing object.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast as sp;
use tessera_sql::ObjectName;
use tessera_storage::{DatabaseDef, MetaState, ViewDef};

use super::objects::LogicalObjects;
use super::resolve;
use crate::catalog::sql_text::{quote_ident, quote_string};
use crate::context::Ctx;
use crate::datafusion_adapter::StatementContext;
use crate::error::{EngineError, Result};
use crate::result::string_table;
use crate::result::StatementResult;

/// The error for a name that a table already holds.
pub(crate) fn table_exists_error(db: &str, name: &str) -> EngineError {
    EngineError::AlreadyExists(format!(
        "Can't create view '{db}.{name}': table '{name}' already exists in database {db}"
    ))
}

/// Plans `SELECT * FROM db.view` against `objects` and returns the view's columns; also checks that
/// its column names are unique.
pub(crate) fn view_schema(
    ctx: &Ctx,
    state: &Arc<MetaState>,
    objects: Arc<LogicalObjects>,
    db: &DatabaseDef,
    view: &ViewDef,
) -> Result<SchemaRef> {
    let shared = &ctx.shared;
    let context = StatementContext::new(
        &shared.base_state,
        state.clone(),
        objects,
        ctx.functions.clone(),
        ctx.current_database.as_deref(),
    );
    let sql = format!("SELECT * FROM {}.{}", quote_ident(&db.name), quote_ident(&view.name));
    let tessera_sql::Statement::Query(query) = tessera_sql::parse_statement(&sql)? else {
        return Err(EngineError::Internal(format!("not a query: {sql}")));
    };
    let statement = DfStatement::Statement(Box::new(sp::Statement::Query(query)));
    let plan = ctx.block_on(async {
        let state = context.ctx.state();
        let plan = state.statement_to_plan(statement).await?;
        // The analyzer (type coercion) finds type errors the planner alone would leave for later.
        state.optimize(&plan)?;
        Ok::<_, EngineError>(plan)
    })??;
    let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
    let mut seen = std::collections::BTreeSet::new();
    for field in schema.fields() {
        if !seen.insert(field.name().clone()) {
            return Err(EngineError::InvalidInput(format!(
                "Duplicate column name '{}' in view {}.{}: give the columns distinct names (AS) or a column list",
                field.name(),
                db.name,
                view.name
            )));
        }
    }
    Ok(schema)
}

/// The view `[db.]name`, if there is one (and the database exists).
pub(crate) fn find_view(
    ctx: &Ctx,
    state: &MetaState,
    name: &ObjectName,
) -> Result<Option<(Arc<DatabaseDef>, Arc<ViewDef>)>> {
    let db_name = ctx.resolve_database(name.database.as_deref())?;
    let db = resolve::database(state, &db_name)?;
    let objects = ctx.shared.objects.of(state);
    Ok(objects.view(db.id, &name.name).cloned().map(|v| (db, v)))
}

/// `CREATE VIEW` text that re-creates `view`.
pub(crate) fn create_view_sql(view: &ViewDef) -> String {
    let mut out = format!("CREATE VIEW {}", quote_ident(&view.name));
    if !view.columns.is_empty() {
        let columns: Vec<String> = view
            .columns
            .iter()
            .map(|c| match &c.comment {
                Some(comment) => format!("{} COMMENT {}", quote_ident(&c.name), quote_string(comment)),
                None => quote_ident(&c.name),
            })
            .collect();
        out.push_str(&format!(" ({})", columns.join(", ")));
    }
    if let Some(comment) = &view.comment {
        out.push_str(&format!(" COMMENT {}", quote_string(comment)));
    }
    out.push_str(" AS ");
    out.push_str(&view.query);
    out
}

/// DESC of a view: its columns as the query plans now.
pub(crate) fn describe_view(
    ctx: &Ctx,
    state: &Arc<MetaState>,
    db: &DatabaseDef,
    view: &ViewDef,
) -> Result<StatementResult> {
    let objects = ctx.shared.objects.of(state);
    let schema = view_schema(ctx, state, objects, db, view)?;
    let rows = schema
        .fields()
        .iter()
        .map(|f| {
            let shown = tessera_storage::ColumnType::from_arrow(f.data_type())
                .map(|t| t.to_string())
                .unwrap_or_else(|_| f.data_type().to_string());
            vec![
                f.name().clone(),
                shown,
                if f.is_nullable() { "YES" } else { "NO" }.to_string(),
                "false".to_string(),
                "NULL".to_string(),
                String::new(),
            ]
        })
        .collect();
    string_table(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
}

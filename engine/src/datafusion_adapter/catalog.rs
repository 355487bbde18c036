//! DataFusion catalog and schema providers over one pinned [`MetaState`]: databases are schemas of the
//! catalog `default_catalog`, tables resolve to [`TesseraTable`]s reading that state, and views to
//! DataFusion `ViewTable`s whose plan is the view's query, planned again in a nested context
//! (`context.rs`) whose default schema is the view's database.
//!
//! What stays true: expanding views never recurses without bound. A view met again while it is being
//! expanded is an error naming the chain, and so is nesting deeper than [`MAX_VIEW_DEPTH`], whatever
//! the records say. An error inside a view's query (a dropped table, a dropped function) names the
//! view.
//!
//! [`MetaState`]: tessera_storage::MetaState

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::view::ViewTable;
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{col, Expr, LogicalPlanBuilder};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast as sp;
use tessera_storage::{DatabaseId, TableDef, ViewDef};

use super::context::{Nesting, PlanningEnv, StatementContext};
use super::provider::TesseraTable;
use crate::error::EngineError;

pub(crate) const CATALOG_NAME: &str = "default_catalog";

/// Views may nest this deep (a view over a view over ...); deeper is refused.
pub(crate) const MAX_VIEW_DEPTH: usize = 32;

pub(crate) struct StateCatalog {
    pub(crate) env: Arc<PlanningEnv>,
    pub(crate) nesting: Nesting,
}

impl fmt::Debug for StateCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateCatalog").field("commit", &self.env.state.commit_seq).finish()
    }
}

impl CatalogProvider for StateCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.env.state.databases.values().map(|d| d.name.clone()).collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let db = self.env.state.database_by_name(name)?;
        Some(Arc::new(StateSchema {
            database: db.id,
            database_name: db.name.clone(),
            env: self.env.clone(),
            nesting: self.nesting.clone(),
        }))
    }
}

struct StateSchema {
    database: DatabaseId,
    database_name: String,
    env: Arc<PlanningEnv>,
    nesting: Nesting,
}

impl fmt::Debug for StateSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateSchema").field("database", &self.database_name).finish()
    }
}

fn engine_error(e: EngineError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl StateSchema {
    /// The view as a table: its query planned in a nested context, renamed by its column list.
    async fn view_table(&self, view: &ViewDef) -> DfResult<Arc<dyn TableProvider>> {
        let qualified = format!("{}.{}", self.database_name, view.name);
        if self.nesting.views.contains(&qualified) {
            let mut chain = self.nesting.views.clone();
            chain.push(qualified.clone());
            return Err(engine_error(EngineError::InvalidInput(format!(
                "view {qualified} refers to itself: {}",
                chain.join(" -> ")
            ))));
        }
        if self.nesting.views.len() >= MAX_VIEW_DEPTH {
            return Err(engine_error(EngineError::InvalidInput(format!(
                "views nest deeper than {MAX_VIEW_DEPTH} levels at view {qualified}"
            ))));
        }
        let mut nesting = self.nesting.clone();
        nesting.views.push(qualified.clone());
        let context = StatementContext::nested(self.env.clone(), Some(&self.database_name), nesting);
        let plan = async {
            let query = parse_view_query(&view.query)?;
            let statement = DfStatement::Statement(Box::new(sp::Statement::Query(query)));
            let plan = context.ctx.state().statement_to_plan(statement).await?;
            rename_columns(plan, view)
        }
        .await
        .map_err(|e| engine_error(in_view(&qualified, EngineError::from(e))))?;
        Ok(Arc::new(ViewTable::new(plan, Some(view.query.clone()))))
    }
}

impl StateSchema {
    /// A synchronous materialized view that is not ready (its base changed since it was last brought up
    /// to date, and it is waiting for its rebuild) reads as its defining query over its base, so that
    /// naming it directly never returns stale rows.
    fn stale_rollup_plan(&self, def: &TableDef) -> DfResult<Option<datafusion::logical_expr::LogicalPlan>> {
        let Some(base_id) = def.materialized.as_ref().and_then(|m| m.sync_base()) else { return Ok(None) };
        if crate::materialized::rollup::is_ready(def) {
            return Ok(None);
        }
        let (Some(base), Some(shape)) =
            (self.env.state.tables.get(&base_id), crate::materialized::rollup::shape_of(def))
        else {
            return Ok(None);
        };
        let provider = TesseraTable {
            qualified_name: format!("{}.{}", self.database_name, base.name),
            schema: base.arrow_schema(),
            def: base.clone(),
            state: self.env.state.clone(),
            scans: self.env.scans.clone(),
            only_segments: None,
        };
        let scan = LogicalPlanBuilder::scan(
            datafusion::common::TableReference::partial(self.database_name.as_str(), base.name.as_str()),
            datafusion::datasource::provider_as_source(Arc::new(provider)),
            None,
        )?;
        crate::materialized::rollup::aggregate_plan(&shape, def, scan).map(Some).map_err(engine_error)
    }
}

/// The query of a stored view, parsed again.
fn parse_view_query(text: &str) -> DfResult<Box<sp::Query>> {
    match tessera_sql::parse_statement(text) {
        Ok(tessera_sql::Statement::Query(mut query)) => {
            // As for any statement: FILES("k" = "v") arguments reach DataFusion as plain pairs.
            super::files::rewrite_files_arguments(query.as_mut());
            Ok(query)
        }
        Ok(_) => Err(engine_error(EngineError::Corruption(format!("the stored query is not a query: {text}")))),
        Err(e) => Err(engine_error(EngineError::Corruption(format!("the stored query cannot be parsed: {e}")))),
    }
}

/// The view's plan with its declared column names, if it has a column list.
fn rename_columns(
    plan: datafusion::logical_expr::LogicalPlan,
    view: &ViewDef,
) -> DfResult<datafusion::logical_expr::LogicalPlan> {
    let fields = plan.schema().columns();
    if view.columns.is_empty() {
        let mut seen = std::collections::BTreeSet::new();
        for field in &fields {
            if !seen.insert(field.name.clone()) {
                return Err(engine_error(EngineError::InvalidInput(format!(
                    "Duplicate column name '{}': give the columns distinct names (AS) or a column list",
                    field.name
                ))));
            }
        }
        return Ok(plan);
    }
    if fields.len() != view.columns.len() {
        return Err(engine_error(EngineError::InvalidInput(format!(
            "it declares {} columns but its query returns {}",
            view.columns.len(),
            fields.len()
        ))));
    }
    let exprs: Vec<Expr> =
        fields.into_iter().zip(&view.columns).map(|(field, column)| col(field).alias(&column.name)).collect();
    LogicalPlanBuilder::from(plan).project(exprs)?.build()
}

/// `error` as it happened while planning the view `qualified`: invalid-input and not-found errors say
/// which view; cancellation, I/O and the like pass through as they are.
fn in_view(qualified: &str, error: EngineError) -> EngineError {
    match error {
        EngineError::InvalidInput(m) | EngineError::NotFound(m) | EngineError::Unsupported(m)
            if m.starts_with("view ") =>
        {
            EngineError::InvalidInput(m)
        }
        EngineError::InvalidInput(m) | EngineError::NotFound(m) | EngineError::Unsupported(m) => {
            EngineError::InvalidInput(format!("view {qualified} cannot be used: {m}"))
        }
        EngineError::Corruption(m) => EngineError::Corruption(format!("view {qualified}: {m}")),
        other => other,
    }
}

#[async_trait]
impl SchemaProvider for StateSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.env.state.tables_in(self.database).iter().map(|t| t.name.clone()).collect();
        names.extend(self.env.objects.views_in(self.database).iter().map(|v| v.name.clone()));
        names
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        if let Some(def) = self.env.state.table_by_name(self.database, name) {
            if let Some(plan) = self.stale_rollup_plan(def)? {
                return Ok(Some(Arc::new(ViewTable::new(plan, None))));
            }
            return Ok(Some(Arc::new(TesseraTable {
                qualified_name: format!("{}.{}", self.database_name, def.name),
                schema: def.arrow_schema(),
                def: def.clone(),
                state: self.env.state.clone(),
                scans: self.env.scans.clone(),
                only_segments: None,
            })));
        }
        match self.env.objects.view(self.database, name) {
            Some(view) => self.view_table(&view.clone()).await.map(Some),
            None => Ok(None),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.env.state.table_by_name(self.database, name).is_some()
            || self.env.objects.view(self.database, name).is_some()
    }
}

//! `CachedScanExec`: the scan of a table's segments through the store's cache of decoded data.
//!
//! DataFusion's Parquet scan decompresses and decodes every page it reads, warm or not; that is most of
//! what a warm query costs. This plan reads the same files row group by row group through
//! [`SegmentCache`], which keeps decoded columns (segments are immutable, so they never go stale):
//!
//! 1. Row groups are pruned with the scan's predicate against their Parquet statistics (DataFusion's
//!    [`PruningPredicate`], as its Parquet scan does), from the cached footer.
//! 2. The projected columns of each surviving row group come from the cache, decoded on a miss.
//! 3. Rows in the segment's delete vector (keyed tables) are filtered out, and the row group is handed
//!    on in slices of the session's batch size.
//!
//! Joins and top-k sorts above push DataFusion's *dynamic filters* down to this plan after planning
//! (`handle_child_pushdown_result`); once a join's build side is complete its filter prunes row groups
//! by their statistics, and is evaluated row by row for as long as it drops nearly every row (a join
//! on a few keys: the rows, and the aggregations between the join and the scan, never happen).
//!
//! Filters stay `Inexact`: DataFusion still applies them row by row above this plan, so pruning can only
//! skip work, never change a result. Page-level pruning is not done here: on decoded data, evaluating
//! the filter is cheaper than the page index bookkeeping.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, UInt64Array};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use datafusion::common::config::ConfigOptions;
use datafusion::common::pruning::PruningStatistics;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Column, ScalarValue, Statistics};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::conjunction_opt;
use datafusion::physical_expr::expressions::DynamicFilterPhysicalExpr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_expr_common::physical_expr::snapshot_physical_expr;
use datafusion::physical_optimizer::pruning::{PruningPredicate, PruningPredicateBuilder};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::filter_pushdown::{
    ChildPushdownResult, FilterPushdownPhase, FilterPushdownPropagation, PushedDown,
};
use datafusion::physical_plan::metrics::{BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, SendableRecordBatchStream,
};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use tessera_storage::{DeleteVector, Segment, SegmentCache};

use super::key_prefilter::KeyPrefilter;

/// One segment to scan, with the delete vector of the version the statement pinned.
#[derive(Clone)]
pub(crate) struct ScanFile {
    pub(crate) segment: Arc<Segment>,
    pub(crate) deleted: Option<Arc<DeleteVector>>,
}

pub(crate) struct CachedScanExec {
    table: String,
    /// Indexes of the output columns in the table's (and every segment's) schema.
    projection: Vec<usize>,
    schema: SchemaRef,
    groups: Vec<Arc<[ScanFile]>>,
    pruning: Option<Arc<PruningPredicate>>,
    /// Filters that joins and top-k sorts above fill in at run time (DataFusion's dynamic filters),
    /// over this plan's output columns.
    runtime_filters: Vec<Arc<dyn PhysicalExpr>>,
    cache: Arc<SegmentCache>,
    limit: Option<usize>,
    statistics: Arc<Statistics>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl CachedScanExec {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        table: String,
        table_schema: &SchemaRef,
        projection: Vec<usize>,
        groups: Vec<Vec<ScanFile>>,
        predicate: Option<Arc<dyn PhysicalExpr>>,
        cache: Arc<SegmentCache>,
        limit: Option<usize>,
        statistics: Statistics,
    ) -> DfResult<Self> {
        let schema = Arc::new(table_schema.project(&projection)?);
        // A predicate the statistics cannot use simply prunes nothing.
        let pruning =
            predicate.and_then(|p| PruningPredicateBuilder::new().with_file_schema(table_schema.clone()).build(p));
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(groups.len().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(CachedScanExec {
            table,
            projection,
            schema,
            groups: groups.into_iter().map(Arc::from).collect(),
            pruning,
            runtime_filters: Vec::new(),
            cache,
            limit,
            statistics: Arc::new(statistics),
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }
}

impl Clone for CachedScanExec {
    fn clone(&self) -> Self {
        CachedScanExec {
            table: self.table.clone(),
            projection: self.projection.clone(),
            schema: self.schema.clone(),
            groups: self.groups.clone(),
            pruning: self.pruning.clone(),
            runtime_filters: self.runtime_filters.clone(),
            cache: self.cache.clone(),
            limit: self.limit,
            statistics: self.statistics.clone(),
            properties: self.properties.clone(),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }
}

impl fmt::Debug for CachedScanExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedScanExec").field("table", &self.table).finish()
    }
}

impl DisplayAs for CachedScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let files: usize = self.groups.iter().map(|g| g.len()).sum();
        let columns: Vec<&str> = self.schema.fields().iter().map(|f| f.name().as_str()).collect();
        write!(f, "CachedScanExec: table={}, files={files}, projection=[{}]", self.table, columns.join(", "))?;
        if let Some(p) = &self.pruning {
            write!(f, ", pruning_predicate={}", p.predicate_expr())?;
        }
        if let Some(limit) = self.limit {
            write!(f, ", limit={limit}")?;
        }
        for filter in &self.runtime_filters {
            write!(f, ", runtime_filter={filter}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for CachedScanExec {
    fn name(&self) -> &str {
        "CachedScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    /// The runtime filters: a join computes its dynamic filter only when it finds a consumer here.
    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        for filter in &self.runtime_filters {
            if f(filter)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn partition_statistics(&self, partition: Option<usize>) -> DfResult<Arc<Statistics>> {
        match partition {
            None => Ok(self.statistics.clone()),
            Some(_) => Ok(Arc::new(Statistics::new_unknown(&self.schema))),
        }
    }

    /// Takes the dynamic filters that joins and top-k sorts push down after planning: each surviving
    /// row group is filtered with them (and row groups pruned by what they know by then). The filters
    /// are reported as not pushed down, so the operators that made them still apply them: they only
    /// let this scan drop rows early.
    fn handle_child_pushdown_result(
        &self,
        phase: FilterPushdownPhase,
        child_pushdown_result: ChildPushdownResult,
        _config: &ConfigOptions,
    ) -> DfResult<FilterPushdownPropagation<Arc<dyn ExecutionPlan>>> {
        let filters: Vec<Arc<dyn PhysicalExpr>> =
            child_pushdown_result.parent_filters.iter().map(|f| f.filter.clone()).collect();
        let result = FilterPushdownPropagation::with_parent_pushdown_result(vec![PushedDown::No; filters.len()]);
        let dynamic: Vec<Arc<dyn PhysicalExpr>> =
            filters.into_iter().filter(|f| f.is::<DynamicFilterPhysicalExpr>()).collect();
        if phase != FilterPushdownPhase::Post || dynamic.is_empty() {
            return Ok(result);
        }
        let mut node = self.clone();
        node.runtime_filters.extend(dynamic);
        Ok(result.with_updated_node(Arc::new(node)))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        let files = self
            .groups
            .get(partition)
            .cloned()
            .ok_or_else(|| DataFusionError::Internal(format!("{} has no partition {partition}", self.name())))?;
        let cursor = Cursor {
            files: files.iter().cloned().collect(),
            row_groups: VecDeque::new(),
            current: None,
            pending: VecDeque::new(),
            projection: self.projection.clone(),
            schema: self.schema.clone(),
            pruning: self.pruning.clone(),
            runtime_filters: self.runtime_filters.clone(),
            cache: self.cache.clone(),
            batch_size: context.session_config().batch_size().max(1),
            remaining: self.limit.unwrap_or(usize::MAX),
            done: false,
            metrics: BaselineMetrics::new(&self.metrics, partition),
            filtered_rows: MetricBuilder::new(&self.metrics).counter("runtime_filtered_rows", partition),
            pruned_row_groups: MetricBuilder::new(&self.metrics).counter("row_groups_pruned", partition),
            runtime_rowwise: !self.runtime_filters.is_empty(),
            runtime_seen: 0,
            runtime_passed: 0,
            prefilters: vec![None; self.runtime_filters.len()],
        };
        let stream = futures::stream::unfold(cursor, |mut cursor| async move {
            if cursor.done {
                return None;
            }
            let elapsed = cursor.metrics.elapsed_compute().clone();
            let timer = elapsed.timer();
            let next = cursor.next_batch();
            timer.done();
            match next {
                Ok(Some(batch)) => {
                    cursor.metrics.record_output(batch.num_rows());
                    Some((Ok(batch), cursor))
                }
                Ok(None) => None,
                Err(e) => {
                    cursor.done = true;
                    Some((Err(e), cursor))
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream)))
    }
}

/// Where one partition of the scan is.
struct Cursor {
    files: VecDeque<ScanFile>,
    /// Row groups of `current` still to read, each with the ordinal of its first row in the segment.
    row_groups: VecDeque<(usize, u64)>,
    current: Option<ScanFile>,
    /// Slices of the last row group read, not handed on yet.
    pending: VecDeque<RecordBatch>,
    projection: Vec<usize>,
    schema: SchemaRef,
    pruning: Option<Arc<PruningPredicate>>,
    runtime_filters: Vec<Arc<dyn PhysicalExpr>>,
    cache: Arc<SegmentCache>,
    batch_size: usize,
    /// Rows still wanted under the scan's limit.
    remaining: usize,
    done: bool,
    metrics: BaselineMetrics,
    filtered_rows: Count,
    pruned_row_groups: Count,
    /// Whether the runtime filters still run row by row (they always prune row groups).
    runtime_rowwise: bool,
    /// Rows the runtime filters have seen and kept so far.
    runtime_seen: usize,
    runtime_passed: usize,
    /// For each runtime filter, the last state of it seen and the key prefilter derived from that
    /// state: derived again only when the filter changes (a join fills it in once).
    prefilters: Vec<Option<DerivedPrefilter>>,
}

/// A runtime filter's state and the key prefilter derived from it (see `Cursor::prefilters`).
type DerivedPrefilter = (Arc<dyn PhysicalExpr>, Option<Arc<KeyPrefilter>>);

impl Cursor {
    fn next_batch(&mut self) -> DfResult<Option<RecordBatch>> {
        loop {
            if self.remaining == 0 {
                return Ok(None);
            }
            if let Some(batch) = self.pending.pop_front() {
                self.remaining = self.remaining.saturating_sub(batch.num_rows());
                return Ok(Some(batch));
            }
            if let Some((row_group, first_row)) = self.row_groups.pop_front() {
                if let Some(file) = &self.current {
                    self.read_row_group(&file.clone(), row_group, first_row)?;
                }
                continue;
            }
            let Some(file) = self.files.pop_front() else {
                return Ok(None);
            };
            self.open(file)?;
        }
    }

    /// Makes `file` current with the row groups its statistics do not rule out.
    fn open(&mut self, file: ScanFile) -> DfResult<()> {
        let footer = self.cache.footer(&file.segment).map_err(external)?;
        let metadata = footer.metadata();
        let mut first_row = 0u64;
        let mut all = Vec::with_capacity(metadata.num_row_groups());
        for (i, group) in metadata.row_groups().iter().enumerate() {
            all.push((i, first_row));
            first_row += group.num_rows().max(0) as u64;
        }
        let statistics = RowGroupStatistics { footer: &footer };
        // The runtime filters as they are now: a join's build side is complete before its probe side
        // (this scan) is read.
        let runtime = conjunction_opt(self.runtime_filters.iter().cloned())
            .and_then(|f| PruningPredicateBuilder::new().with_file_schema(self.schema.clone()).build(f));
        let mut keep = vec![true; all.len()];
        for pruning in self.pruning.iter().chain(runtime.iter()) {
            // A predicate the statistics cannot evaluate keeps every row group.
            let kept = pruning.prune(&statistics).unwrap_or_default();
            for (k, p) in keep.iter_mut().zip(kept) {
                *k &= p;
            }
        }
        self.pruned_row_groups.add(keep.iter().filter(|k| !**k).count());
        self.row_groups = all.into_iter().zip(keep).filter(|(_, k)| *k).map(|(g, _)| g).collect();
        self.current = Some(file);
        Ok(())
    }

    fn read_row_group(&mut self, file: &ScanFile, row_group: usize, first_row: u64) -> DfResult<()> {
        let columns: Vec<ArrayRef> =
            self.cache.read_row_group(&file.segment, row_group, &self.projection).map_err(external)?;
        let rows = match columns.first() {
            Some(c) => c.len(),
            None => {
                let footer = self.cache.footer(&file.segment).map_err(external)?;
                footer.metadata().row_group(row_group).num_rows().max(0) as usize
            }
        };
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let mut batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        if let Some(deleted) = &file.deleted {
            if deleted.count_in(first_row, rows as u64) > 0 {
                let live: BooleanArray = deleted.live_mask(first_row, rows);
                batch = filter_record_batch(&batch, &live)?;
            }
        }
        if self.runtime_rowwise {
            batch = self.apply_runtime_filters(batch)?;
        }
        let total = batch.num_rows();
        let mut start = 0;
        while start < total {
            let len = self.batch_size.min(total - start);
            self.pending.push_back(batch.slice(start, len));
            start += len;
        }
        Ok(())
    }
}

impl Cursor {
    /// Filters `batch` with the runtime filters, and stops doing so for the rest of the scan once they
    /// have shown that they keep more than [`ROWWISE_MAX_PASS_RATE`] of the rows: evaluating them
    /// (hashing every row, for a partitioned join's filter) costs more than the joins above save on
    /// the rows they drop, unless they drop nearly all of them (a join on a few keys, which then also
    /// spares the aggregations between the join and this scan).
    fn apply_runtime_filters(&mut self, mut batch: RecordBatch) -> DfResult<RecordBatch> {
        let before = batch.num_rows();
        let mut filled_in = false;
        for (filter, seen) in self.runtime_filters.iter().zip(&mut self.prefilters) {
            if batch.num_rows() == 0 {
                break;
            }
            // A join's IN lists first, as a bitmap of their keys; the whole filter then runs on what
            // is left (see `key_prefilter.rs`).
            let current = snapshot_physical_expr(filter.clone())?;
            let prefilter = match seen {
                Some((state, prefilter)) if Arc::ptr_eq(state, &current) => prefilter.clone(),
                _ => {
                    let prefilter = KeyPrefilter::derive(&current).map(Arc::new);
                    *seen = Some((current.clone(), prefilter.clone()));
                    prefilter
                }
            };
            if let Some(mask) = prefilter.and_then(|p| p.mask(&batch)) {
                if mask.true_count() < batch.num_rows() {
                    batch = filter_record_batch(&batch, &mask)?;
                    if batch.num_rows() == 0 {
                        filled_in = true;
                        break;
                    }
                }
            }
            match current.evaluate(&batch)? {
                ColumnarValue::Array(mask) => {
                    let mask = mask
                        .as_any()
                        .downcast_ref::<BooleanArray>()
                        .ok_or_else(|| DataFusionError::Internal(format!("runtime filter {filter} is not boolean")))?;
                    if mask.true_count() < batch.num_rows() {
                        batch = filter_record_batch(&batch, mask)?;
                    }
                }
                // Not filled in yet (the join's build side is not complete): it says nothing.
                ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))) => continue,
                ColumnarValue::Scalar(ScalarValue::Boolean(_)) => batch = batch.slice(0, 0),
                ColumnarValue::Scalar(other) => {
                    return Err(DataFusionError::Internal(format!("runtime filter {filter} gave {other}")))
                }
            }
            filled_in = true;
        }
        self.filtered_rows.add(before - batch.num_rows());
        if filled_in {
            self.runtime_seen += before;
            self.runtime_passed += batch.num_rows();
            if self.runtime_seen >= ROWWISE_SAMPLE_ROWS
                && self.runtime_passed as f64 > self.runtime_seen as f64 * ROWWISE_MAX_PASS_RATE
            {
                self.runtime_rowwise = false;
            }
        }
        Ok(batch)
    }
}

/// Rows the runtime filters are evaluated on before their pass rate decides whether to go on.
const ROWWISE_SAMPLE_ROWS: usize = 100_000;
/// Largest share of rows runtime filters may keep and still be evaluated row by row.
const ROWWISE_MAX_PASS_RATE: f64 = 0.01;

fn external(e: tessera_storage::StorageError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// The row-group statistics of one segment's footer, for [`PruningPredicate::prune`].
struct RowGroupStatistics<'a> {
    footer: &'a ArrowReaderMetadata,
}

impl RowGroupStatistics<'_> {
    fn converter(&self, column: &Column) -> Option<StatisticsConverter<'_>> {
        StatisticsConverter::try_new(&column.name, self.footer.schema(), self.footer.parquet_schema()).ok()
    }
}

impl PruningStatistics for RowGroupStatistics<'_> {
    fn min_values(&self, column: &Column) -> Option<ArrayRef> {
        self.converter(column)?.row_group_mins(self.footer.metadata().row_groups()).ok()
    }

    fn max_values(&self, column: &Column) -> Option<ArrayRef> {
        self.converter(column)?.row_group_maxes(self.footer.metadata().row_groups()).ok()
    }

    fn num_containers(&self) -> usize {
        self.footer.metadata().num_row_groups()
    }

    fn null_counts(&self, column: &Column) -> Option<ArrayRef> {
        let counts = self.converter(column)?.row_group_null_counts(self.footer.metadata().row_groups()).ok()?;
        Some(Arc::new(counts))
    }

    fn row_counts(&self) -> Option<ArrayRef> {
        let counts: UInt64Array =
            self.footer.metadata().row_groups().iter().map(|g| Some(g.num_rows().max(0) as u64)).collect();
        Some(Arc::new(counts))
    }

    fn contained(&self, _column: &Column, _values: &std::collections::HashSet<ScalarValue>) -> Option<BooleanArray> {
        None
    }
}

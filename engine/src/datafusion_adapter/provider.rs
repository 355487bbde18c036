//! `TesseraTable`: a DataFusion `TableProvider` over one table at one pinned state.
//!
//! `scan` prunes in three steps, cheapest first: partitions (by their bounds), buckets (by hashing the
//! equality values of the bucketing columns), segments (by their min/max statistics). The surviving
//! segments are read through the store's cache of decoded columns ([`CachedScanExec`]: row groups
//! pruned by the filters, deleted rows filtered out), or, when the cache is off, by DataFusion's Parquet
//! scan with the filters as its predicate (row-group and page pruning), each file with a row selection
//! that skips its deleted rows when it has a delete vector (keyed tables).
//! Filters are reported `Inexact`, so DataFusion still applies them row by row: pruning can only skip
//! work, never change a result.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::stats::Precision;
use datafusion::common::ScalarValue;
use datafusion::common::{DFSchema, Statistics};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::parquet::ParquetRowSelection;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::Mutex;
use tessera_storage::value::values_to_array;
use tessera_storage::{ColumnType, MetaState, SegmentId, TableDef, Value};

use super::cached_scan::{CachedScanExec, ScanFile};
use super::context::ScanCache;
use super::filters::scan_filter;
use crate::error::EngineError;

/// What one scan kept, for EXPLAIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    pub table: String,
    pub partitions: (usize, usize),
    pub tablets: (usize, usize),
    pub segments: (usize, usize),
    pub rows: u64,
}

impl fmt::Display for ScanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TesseraScan: table={}, partitions={}/{}, tablets={}/{}, segments={}/{}, rows={}",
            self.table,
            self.partitions.0,
            self.partitions.1,
            self.tablets.0,
            self.tablets.1,
            self.segments.0,
            self.segments.1,
            self.rows
        )
    }
}

/// Where the scans of one statement record what they kept.
pub(crate) type ScanLog = Arc<Mutex<Vec<ScanReport>>>;

pub(crate) struct TesseraTable {
    pub(crate) qualified_name: String,
    pub(crate) def: Arc<TableDef>,
    pub(crate) state: Arc<MetaState>,
    pub(crate) schema: SchemaRef,
    pub(crate) scans: ScanLog,
    /// When set, only these segments are scanned (DELETE rewrites one segment at a time).
    pub(crate) only_segments: Option<HashSet<SegmentId>>,
}

impl TesseraTable {
    /// The whole table `def` at `state`.
    pub(crate) fn whole(qualified_name: &str, def: Arc<TableDef>, state: Arc<MetaState>) -> Self {
        TesseraTable {
            qualified_name: qualified_name.to_string(),
            schema: def.arrow_schema(),
            def,
            state,
            scans: Default::default(),
            only_segments: None,
        }
    }

    /// A table that reads only the given segments of `def` at `state`.
    pub(crate) fn for_segments(
        qualified_name: &str,
        def: Arc<TableDef>,
        state: Arc<MetaState>,
        segments: &[SegmentId],
    ) -> Self {
        TesseraTable {
            only_segments: Some(segments.iter().copied().collect()),
            ..Self::whole(qualified_name, def, state)
        }
    }
}

impl fmt::Debug for TesseraTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TesseraTable").field("table", &self.qualified_name).finish()
    }
}

#[async_trait]
impl TableProvider for TesseraTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    fn statistics(&self) -> Option<Statistics> {
        let rows: u64 = self.def.tablets().filter_map(|t| self.state.tablet(t)).map(|v| v.rows()).sum();
        let mut stats = Statistics::new_unknown(&self.schema);
        stats.num_rows = Precision::Exact(rows as usize);
        Some(stats)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let filter = scan_filter(&self.def, filters);
        let mut report = ScanReport {
            table: self.qualified_name.clone(),
            partitions: (0, self.def.partitions.len()),
            tablets: (0, 0),
            segments: (0, 0),
            rows: 0,
        };
        let buckets = filter.buckets(&self.def);
        let mut files: Vec<(ScanFile, u64)> = Vec::new();
        for partition in &self.def.partitions {
            report.tablets.1 += partition.tablets.len();
            // Bucket numbers are positions in the partition's tablet list.
            let versions: Vec<_> = partition.tablets.iter().map(|t| self.state.tablet(*t)).collect();
            report.segments.1 += versions.iter().flatten().map(|v| v.segments.len()).sum::<usize>();
            if !filter.keeps_partition(&self.def, partition) {
                continue;
            }
            report.partitions.0 += 1;
            for (bucket, version) in versions.iter().enumerate() {
                if buckets.as_ref().is_some_and(|b| !b.contains(&bucket)) {
                    continue;
                }
                let Some(version) = version else {
                    return Err(DataFusionError::Internal(format!(
                        "tablet {} of table {} has no version",
                        partition.tablets[bucket], self.qualified_name
                    )));
                };
                report.tablets.0 += 1;
                for segment in &version.segments {
                    if self.only_segments.as_ref().is_some_and(|only| !only.contains(&segment.id())) {
                        continue;
                    }
                    if !filter.keeps_segment(&segment.meta) {
                        continue;
                    }
                    let live = version.live_rows(segment);
                    if live == 0 {
                        continue;
                    }
                    report.segments.0 += 1;
                    report.rows += live;
                    let file = ScanFile { segment: segment.clone(), deleted: version.deleted(segment.id()).cloned() };
                    files.push((file, segment.meta.bytes));
                }
            }
        }
        self.scans.lock().push(report.clone());
        // Files loaded at open are hashed once before their data is first trusted (storage's
        // `Segment::verify`); damage is reported against this table, which DROP or RESTORE repairs.
        tessera_storage::Segment::verify_all(files.iter().map(|(f, _)| &f.segment)).map_err(|e| {
            let reason = match e {
                tessera_storage::StorageError::Corruption(m) => m,
                other => other.to_string(),
            };
            DataFusionError::External(Box::new(EngineError::Corruption(format!(
                "table {} is damaged: {reason}; DROP the table or RESTORE it from a backup",
                self.qualified_name
            ))))
        })?;

        let projected = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => self.schema.clone(),
        };
        if files.is_empty() {
            return Ok(Arc::new(EmptyExec::new(projected)));
        }

        let predicate = match conjunction(filters.iter().cloned()) {
            Some(predicate) => {
                let df_schema = DFSchema::try_from(self.schema.as_ref().clone())?;
                Some(state.create_physical_expr(predicate, &df_schema)?)
            }
            None => None,
        };
        let projection_indexes = projection.cloned().unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        let stats = self.statistics_of(&files, &projection_indexes, &projected, report.rows, !filters.is_empty());
        let groups = balance(files, state.config().target_partitions());
        let cache = state.config().get_extension::<ScanCache>().map(|c| c.0.clone()).filter(|c| c.capacity() > 0);
        if let Some(cache) = cache {
            let exec = CachedScanExec::new(
                self.qualified_name.clone(),
                &self.schema,
                projection_indexes,
                groups,
                predicate,
                cache,
                limit,
                stats,
            )?;
            return Ok(Arc::new(exec));
        }

        // No cache: DataFusion's Parquet scan, with each delete vector as a row selection.
        let mut source =
            ParquetSource::new(self.schema.clone()).with_table_parquet_options(state.table_options().parquet.clone());
        if let Some(predicate) = predicate {
            source = source.with_predicate(predicate);
        }
        let file_groups = groups
            .into_iter()
            .map(|group| {
                FileGroup::new(
                    group
                        .into_iter()
                        .map(|f| {
                            let path = f.segment.path().to_string_lossy().to_string();
                            let file = PartitionedFile::new(path, f.segment.meta.bytes);
                            match f.deleted {
                                // Deleted rows (keyed tables) are never decoded.
                                Some(deleted) => file.with_extension(ParquetRowSelection::new(
                                    deleted.live_selection(f.segment.meta.rows),
                                )),
                                None => file,
                            }
                        })
                        .collect(),
                )
            })
            .collect();
        let mut table_stats = Statistics::new_unknown(&self.schema);
        table_stats.num_rows = stats.num_rows;
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
            .with_file_groups(file_groups)
            .with_statistics(table_stats)
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}

impl TesseraTable {
    /// What the optimizer may know of the scanned rows: their count and, from each segment's column
    /// statistics, every projected column's null count and range (bounds only, so `Inexact`). Join
    /// order and build sides are chosen from these.
    fn statistics_of(
        &self,
        files: &[(ScanFile, u64)],
        projection: &[usize],
        projected: &SchemaRef,
        rows: u64,
        filtered: bool,
    ) -> Statistics {
        let mut stats = Statistics::new_unknown(projected);
        stats.num_rows = if filtered { Precision::Inexact(rows as usize) } else { Precision::Exact(rows as usize) };
        let deletes = files.iter().any(|(f, _)| f.deleted.is_some());
        for (column_stats, &index) in stats.column_statistics.iter_mut().zip(projection) {
            let Some(column) = self.def.columns.get(index) else { continue };
            let mut nulls = 0u64;
            let mut range: Option<(Value, Value)> = None;
            let mut complete = true;
            for (file, _) in files {
                let Some(segment_stats) = file.segment.meta.column(&column.name) else {
                    complete = false;
                    break;
                };
                nulls += segment_stats.nulls;
                match (&segment_stats.min, &segment_stats.max, &mut range) {
                    (Some(lo), Some(hi), None) => range = Some((lo.clone(), hi.clone())),
                    (Some(lo), Some(hi), Some((min, max))) => {
                        if lo.compare(min).is_lt() {
                            *min = lo.clone();
                        }
                        if hi.compare(max).is_gt() {
                            *max = hi.clone();
                        }
                    }
                    // Only nulls in this segment, or a type without a usable order.
                    _ if segment_stats.nulls == file.segment.meta.rows => {}
                    _ => complete = false,
                }
            }
            if !complete {
                continue;
            }
            column_stats.null_count =
                if filtered || deletes { Precision::Inexact(nulls as usize) } else { Precision::Exact(nulls as usize) };
            if let Some((min, max)) = range {
                if let (Some(min), Some(max)) = (scalar(&min, &column.column_type), scalar(&max, &column.column_type)) {
                    column_stats.min_value = Precision::Inexact(min);
                    column_stats.max_value = Precision::Inexact(max);
                }
            }
        }
        stats
    }
}

/// `value` as a DataFusion scalar of the column's type.
fn scalar(value: &Value, column_type: &ColumnType) -> Option<ScalarValue> {
    let array = values_to_array(std::slice::from_ref(value), column_type).ok()?;
    ScalarValue::try_from_array(&array, 0).ok()
}

/// Spreads files over `n` groups of similar total size (largest first into the lightest group).
fn balance(mut files: Vec<(ScanFile, u64)>, n: usize) -> Vec<Vec<ScanFile>> {
    let n = n.clamp(1, files.len().max(1));
    files.sort_by_key(|f| std::cmp::Reverse(f.1));
    let mut groups: Vec<(u64, Vec<ScanFile>)> = (0..n).map(|_| (0, Vec::new())).collect();
    for (file, size) in files {
        if let Some(lightest) = groups.iter_mut().min_by_key(|g| g.0) {
            lightest.0 += size;
            lightest.1.push(file);
        }
    }
    groups.into_iter().filter(|g| !g.1.is_empty()).map(|g| g.1).collect()
}

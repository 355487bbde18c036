//! TPC-H data as Parquet files, generated in-process by `tpchgen-arrow` and cached per scale factor.
//!
//! Layout: `<cache>/tpch-sf<SF>/<table>/part-<i>.parquet`. The large tables are cut into about one file
//! per scale-factor unit so that every engine can read them in parallel. A scale factor is generated
//! into a `.partial` directory that is renamed when complete, so an interrupted run never leaves a
//! half-written data set that a later run would take for a cached one.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use arrow::record_batch::RecordBatchReader;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator, PartSuppGenerator,
    RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{
    CustomerArrow, LineItemArrow, NationArrow, OrderArrow, PartArrow, PartSuppArrow, RegionArrow, SupplierArrow,
};

/// The eight TPC-H tables, smallest first.
pub const TABLES: [&str; 8] = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"];

/// The directory of Parquet files for `sf`, generated first if it is not cached yet.
pub fn ensure(cache: &Path, sf: f64) -> Result<PathBuf, String> {
    let dir = cache.join(format!("tpch-sf{sf}"));
    if dir.is_dir() {
        eprintln!("TPC-H SF{sf}: cached in {}", dir.display());
        return Ok(dir);
    }
    let partial = cache.join(format!("tpch-sf{sf}.partial"));
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| format!("removing {}: {e}", partial.display()))?;
    }
    eprintln!("TPC-H SF{sf}: generating Parquet files into {} ...", dir.display());
    let start = Instant::now();
    let jobs: Vec<(&str, i32, i32)> = TABLES
        .iter()
        .flat_map(|&table| {
            let parts = parts(table, sf);
            (1..=parts).map(move |part| (table, part, parts))
        })
        .collect();
    for table in TABLES {
        std::fs::create_dir_all(partial.join(table)).map_err(|e| format!("{}: {e}", partial.display()))?;
    }
    // Largest first, so that the last job to finish is a small one.
    let jobs: Vec<_> = jobs.into_iter().rev().collect();
    let next = AtomicUsize::new(0);
    let failure = Mutex::new(None);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(&(table, part, parts)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let path = partial.join(table).join(format!("part-{part}.parquet"));
                    if let Err(e) = write_part(table, sf, part, parts, &path) {
                        *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!("{}: {e}", path.display()));
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    std::fs::rename(&partial, &dir).map_err(|e| format!("renaming {}: {e}", partial.display()))?;
    eprintln!(
        "TPC-H SF{sf}: generated {:.0} MB in {:.1}s",
        crate::common::dir_bytes(&dir) as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(dir)
}

/// How many files a table is cut into: about one per scale-factor unit for the tables that grow with it.
fn parts(table: &str, sf: f64) -> i32 {
    match table {
        "region" | "nation" | "supplier" => 1,
        _ => sf.round().max(1.0) as i32,
    }
}

fn write_part(table: &str, sf: f64, part: i32, parts: i32, path: &Path) -> Result<(), String> {
    let reader: Box<dyn RecordBatchReader + Send> = match table {
        "region" => Box::new(RegionArrow::new(RegionGenerator::new(sf, part, parts))),
        "nation" => Box::new(NationArrow::new(NationGenerator::new(sf, part, parts))),
        "supplier" => Box::new(SupplierArrow::new(SupplierGenerator::new(sf, part, parts))),
        "customer" => Box::new(CustomerArrow::new(CustomerGenerator::new(sf, part, parts))),
        "part" => Box::new(PartArrow::new(PartGenerator::new(sf, part, parts))),
        "partsupp" => Box::new(PartSuppArrow::new(PartSuppGenerator::new(sf, part, parts))),
        "orders" => Box::new(OrderArrow::new(OrderGenerator::new(sf, part, parts))),
        "lineitem" => Box::new(LineItemArrow::new(LineItemGenerator::new(sf, part, parts))),
        other => return Err(format!("unknown TPC-H table {other}")),
    };
    let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let file = File::create(path).map_err(|e| e.to_string())?;
    let mut writer = ArrowWriter::try_new(file, reader.schema(), Some(properties)).map_err(|e| e.to_string())?;
    for batch in reader {
        writer.write(&batch.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    }
    writer.close().map_err(|e| e.to_string())?;
    Ok(())
}

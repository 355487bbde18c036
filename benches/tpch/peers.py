"""The peer engines of the TPC-H benchmark: DuckDB and DataFusion, driven from `benches/tpch/main.rs`.

Each subcommand prints one JSON object on standard output (progress goes to standard error):

    load          --data DIR --db FILE
        Loads every TPC-H table from DIR/<table>/*.parquet into a new DuckDB database file.
        -> {"seconds": s, "db_bytes": n}
    query         --data DIR --db FILE --queries DIR --only 1,2,... --runs N [--engines duckdb,datafusion]
        Runs each query once to warm up, then N timed runs, on DuckDB over its database file and on
        DataFusion over the Parquet files.
        -> {"duckdb": {"1": {"seconds": [...], "rows": [[...], ...], "error": null}, ...}, "datafusion": {...}}
    export-import --db FILE --work DIR
        EXPORT DATABASE (FORMAT parquet) of the loaded database, then IMPORT DATABASE into a new file.
        -> {"export_seconds": s, "export_bytes": n, "import_seconds": s, "import_bytes": n}

A query file may hold several `;`-separated statements (Q15 creates and drops a view); its result is that
of its last SELECT. Values are sent as JSON: numbers as numbers (decimals as floats), dates as ISO text,
strings without trailing blanks; the Rust side compares them with a tolerance.
"""

import argparse
import datetime
import decimal
import json
import os
import sys
import time

TABLES = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"]


def log(message):
    print(f"  [peers] {message}", file=sys.stderr, flush=True)


def statements(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return [s.strip() for s in text.split(";") if s.strip()]


def returns_rows(statement):
    return statement.lstrip("( \t\n").lower().startswith(("select", "with"))


def json_value(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value.rstrip()
    return value


def json_rows(table):
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [[json_value(column[r]) for column in columns] for r in range(table.num_rows)]


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def duckdb_connect(db):
    import duckdb

    return duckdb.connect(db)


def load(args):
    if os.path.exists(args.db):
        os.remove(args.db)
    con = duckdb_connect(args.db)
    start = time.perf_counter()
    for table in TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{args.data}/{table}/*.parquet')")
    con.execute("CHECKPOINT")
    con.close()
    os.sync()
    seconds = time.perf_counter() - start
    log(f"DuckDB load: {seconds:.3f}s")
    return {"seconds": seconds, "db_bytes": os.path.getsize(args.db)}


class DuckDb:
    def __init__(self, args):
        self.con = duckdb_connect(args.db)

    def run(self, sql):
        result = None
        for statement in statements(sql):
            if returns_rows(statement):
                result = self.con.sql(statement).to_arrow_table()
            else:
                self.con.execute(statement)
        return result


class DataFusion:
    def __init__(self, args):
        import datafusion

        self.ctx = datafusion.SessionContext()
        for table in TABLES:
            self.ctx.register_parquet(table, f"{args.data}/{table}/")

    def run(self, sql):
        import pyarrow

        result = None
        for statement in statements(sql):
            frame = self.ctx.sql(statement)
            if returns_rows(statement):
                result = pyarrow.Table.from_batches(frame.collect(), schema=frame.schema())
        return result


def query(args):
    engines = {"duckdb": DuckDb, "datafusion": DataFusion}
    out = {}
    for name in args.engines.split(","):
        engine = engines[name](args)
        results = {}
        for number in args.only.split(","):
            path = os.path.join(args.queries, f"q{number}.sql")
            entry = {"seconds": [], "rows": None, "error": None}
            try:
                engine.run(path)  # warm-up
                for _ in range(args.runs):
                    start = time.perf_counter()
                    table = engine.run(path)
                    entry["seconds"].append(time.perf_counter() - start)
                entry["rows"] = json_rows(table) if table is not None else []
                log(f"{name} Q{number}: {sorted(entry['seconds'])[len(entry['seconds']) // 2]:.3f}s")
            except Exception as e:  # noqa: BLE001 - a failing query is reported, not fatal
                entry["error"] = f"{type(e).__name__}: {e}"
                log(f"{name} Q{number}: {entry['error']}")
            results[number] = entry
        out[name] = results
        del engine
    return out


def export_import(args):
    export_dir = os.path.join(args.work, "duckdb-export")
    imported = os.path.join(args.work, "duckdb-imported.db")
    con = duckdb_connect(args.db)
    start = time.perf_counter()
    con.execute(f"EXPORT DATABASE '{export_dir}' (FORMAT parquet)")
    os.sync()
    export_seconds = time.perf_counter() - start
    con.close()
    log(f"DuckDB EXPORT DATABASE: {export_seconds:.3f}s")
    con = duckdb_connect(imported)
    start = time.perf_counter()
    con.execute(f"IMPORT DATABASE '{export_dir}'")
    con.execute("CHECKPOINT")
    con.close()
    os.sync()
    import_seconds = time.perf_counter() - start
    log(f"DuckDB IMPORT DATABASE: {import_seconds:.3f}s")
    return {
        "export_seconds": export_seconds,
        "export_bytes": dir_bytes(export_dir),
        "import_seconds": import_seconds,
        "import_bytes": os.path.getsize(imported),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("load")
    p.add_argument("--data", required=True)
    p.add_argument("--db", required=True)
    p.set_defaults(run=load)
    p = commands.add_parser("query")
    p.add_argument("--data", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--only", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--engines", default="duckdb,datafusion")
    p.set_defaults(run=query)
    p = commands.add_parser("export-import")
    p.add_argument("--db", required=True)
    p.add_argument("--work", required=True)
    p.set_defaults(run=export_import)
    args = parser.parse_args()
    json.dump(args.run(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

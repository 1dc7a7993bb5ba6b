"""A Spark SQL engine for cpic's execution tests.

Reads one JSON request per line on stdin ({"sql": ..., "fetch": bool}),
runs it in a local SparkSession (UTC, ANSI mode as Spark 4 defaults) and
writes one JSON line per request: {"rows": [[...], ...]} or {"error": ...}.
Values are numbers, strings (dates and timestamps as ISO text), booleans
or null.
"""

import datetime
import decimal
import json
import sys
import tempfile

from pyspark.sql import SparkSession


def value(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        return float(v)
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v)


def main():
    warehouse = tempfile.mkdtemp(prefix="cpic-spark-")
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.warehouse.dir", warehouse)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            frame = spark.sql(request["sql"])
            rows = frame.collect() if request.get("fetch") else []
            print(json.dumps({"rows": [[value(v) for v in r] for r in rows]}), flush=True)
        except Exception as e:  # the test reports the engine's own message
            print(json.dumps({"error": str(e)[:4000]}), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()

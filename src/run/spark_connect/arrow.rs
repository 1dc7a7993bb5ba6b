//! Rows from the Arrow IPC streams a Spark Connect server sends: each
//! column read as a number (a double) or as text, the way cpic's other
//! drivers read theirs, without going through text for numbers.

use std::io::Cursor;

use arrow_array::{Array, ArrayRef, Float64Array, StringArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_cast::{cast_with_options, CastOptions};
use arrow_ipc::reader::StreamReader;
use arrow_schema::DataType;

use crate::run::cell::{Cell, ColumnKind};

/// The rows of every batch, in order.
pub fn rows(streams: &[Vec<u8>], kinds: &[ColumnKind]) -> Result<Vec<Vec<Cell>>, String> {
    let mut out = Vec::new();
    for stream in streams {
        let reader = StreamReader::try_new(Cursor::new(stream), None)
            .map_err(|e| format!("cannot read the server's Arrow result: {e}"))?;
        for batch in reader {
            let batch = batch.map_err(|e| format!("cannot read the server's Arrow result: {e}"))?;
            if batch.num_columns() < kinds.len() {
                return Err(format!(
                    "the query returned {} columns where cpic reads {}",
                    batch.num_columns(),
                    kinds.len()
                ));
            }
            let columns: Vec<Column> = kinds
                .iter()
                .enumerate()
                .map(|(i, kind)| Column::read(batch.column(i), *kind))
                .collect::<Result<_, _>>()?;
            for row in 0..batch.num_rows() {
                out.push(columns.iter().map(|c| c.cell(row)).collect());
            }
        }
    }
    Ok(out)
}

enum Column {
    Number(Float64Array),
    Text(StringArray),
}

impl Column {
    fn read(array: &ArrayRef, kind: ColumnKind) -> Result<Column, String> {
        // A value that does not convert is an error, never a silent NULL.
        let strict = CastOptions {
            safe: false,
            ..Default::default()
        };
        let cast = |to: &DataType| {
            cast_with_options(array, to, &strict).map_err(|e| {
                format!(
                    "cannot read a {} column as {}: {e}",
                    array.data_type(),
                    match kind {
                        ColumnKind::Number => "a number",
                        ColumnKind::Text => "text",
                    }
                )
            })
        };
        Ok(match kind {
            ColumnKind::Number => Column::Number(
                cast(&DataType::Float64)?
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .expect("cast to Float64")
                    .clone(),
            ),
            // Timestamps as SQL writes them (`2026-01-05 08:00:00`), as
            // the other engines return them, not as ISO 8601.
            ColumnKind::Text if matches!(array.data_type(), DataType::Timestamp(..)) => {
                let array = &in_utc(array)?;
                let format = "%Y-%m-%d %H:%M:%S%.f";
                let options = FormatOptions::new()
                    .with_timestamp_format(Some(format))
                    .with_timestamp_tz_format(Some(format));
                let formatter =
                    ArrayFormatter::try_new(array, &options).map_err(|e| e.to_string())?;
                Column::Text(
                    (0..array.len())
                        .map(|i| (!array.is_null(i)).then(|| formatter.value(i).to_string()))
                        .collect(),
                )
            }
            ColumnKind::Text => Column::Text(
                cast(&DataType::Utf8)?
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("cast to Utf8")
                    .clone(),
            ),
        })
    }

    fn cell(&self, row: usize) -> Cell {
        match self {
            Column::Number(a) => Cell::Number((!a.is_null(row)).then(|| a.value(row))),
            Column::Text(a) => Cell::Text((!a.is_null(row)).then(|| a.value(row).to_string())),
        }
    }
}

/// A timestamp column with its zone dropped: the values are instants
/// (microseconds since 1970 UTC), shown as UTC wall-clock time. Read this
/// way, a zone name (`UTC`, `Etc/UTC`) needs no time-zone database.
fn in_utc(array: &ArrayRef) -> Result<ArrayRef, String> {
    match array.data_type() {
        DataType::Timestamp(unit, Some(_)) => {
            let data = array
                .to_data()
                .into_builder()
                .data_type(DataType::Timestamp(*unit, None))
                .build()
                .map_err(|e| e.to_string())?;
            Ok(arrow_array::make_array(data))
        }
        _ => Ok(array.clone()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{
        BooleanArray, Date32Array, Decimal128Array, Int64Array, RecordBatch,
        TimestampMicrosecondArray,
    };
    use arrow_ipc::writer::StreamWriter;
    use arrow_schema::{Field, Schema};

    use super::*;

    /// An IPC stream of one batch, as Spark writes each of its batches.
    fn stream(columns: Vec<(&str, ArrayRef)>) -> Vec<u8> {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let batch = RecordBatch::try_new(
            schema.clone(),
            columns.into_iter().map(|(_, a)| a).collect(),
        )
        .expect("a batch");
        let mut bytes = Vec::new();
        let mut writer = StreamWriter::try_new(&mut bytes, &schema).expect("a writer");
        writer.write(&batch).expect("written");
        writer.finish().expect("finished");
        drop(writer);
        bytes
    }

    #[test]
    fn numbers_and_text_of_every_type_spark_returns() {
        let first = stream(vec![
            ("d", Arc::new(Float64Array::from(vec![Some(1.5), None]))),
            ("n", Arc::new(Int64Array::from(vec![Some(7), Some(-2)]))),
            (
                "dec",
                Arc::new(
                    Decimal128Array::from(vec![Some(12345), None])
                        .with_precision_and_scale(10, 2)
                        .expect("a decimal"),
                ),
            ),
            (
                "b",
                Arc::new(BooleanArray::from(vec![Some(true), Some(false)])),
            ),
            ("day", Arc::new(Date32Array::from(vec![Some(20_454), None]))),
            (
                "at",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![Some(1_767_225_600_000_000), None])
                        .with_timezone("UTC"),
                ),
            ),
            ("s", Arc::new(StringArray::from(vec![Some("it's"), None]))),
        ]);
        let second = stream(vec![
            ("d", Arc::new(Float64Array::from(vec![Some(3.0)]))),
            ("n", Arc::new(Int64Array::from(vec![Some(1)]))),
            (
                "dec",
                Arc::new(
                    Decimal128Array::from(vec![Some(1)])
                        .with_precision_and_scale(10, 2)
                        .expect("a decimal"),
                ),
            ),
            ("b", Arc::new(BooleanArray::from(vec![None]))),
            ("day", Arc::new(Date32Array::from(vec![Some(0)]))),
            (
                "at",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![Some(1_500_000)]).with_timezone("UTC"),
                ),
            ),
            ("s", Arc::new(StringArray::from(vec![Some("")]))),
        ]);
        use ColumnKind::{Number as N, Text as T};
        let rows = rows(&[first, second], &[N, N, N, N, T, T, T]).expect("rows");
        let text = |t: &str| Cell::Text(Some(t.to_string()));
        assert_eq!(
            rows,
            vec![
                vec![
                    Cell::Number(Some(1.5)),
                    Cell::Number(Some(7.0)),
                    Cell::Number(Some(123.45)),
                    Cell::Number(Some(1.0)),
                    text("2026-01-01"),
                    text("2026-01-01 00:00:00"),
                    text("it's"),
                ],
                vec![
                    Cell::Number(None),
                    Cell::Number(Some(-2.0)),
                    Cell::Number(None),
                    Cell::Number(Some(0.0)),
                    Cell::Text(None),
                    Cell::Text(None),
                    Cell::Text(None),
                ],
                vec![
                    Cell::Number(Some(3.0)),
                    Cell::Number(Some(1.0)),
                    Cell::Number(Some(0.01)),
                    Cell::Number(None),
                    text("1970-01-01"),
                    text("1970-01-01 00:00:01.500"),
                    text(""),
                ],
            ]
        );
    }

    #[test]
    fn text_that_is_not_a_number_is_an_error() {
        let s = stream(vec![("s", Arc::new(StringArray::from(vec![Some("abc")])))]);
        let error =
            rows(std::slice::from_ref(&s), &[ColumnKind::Number]).expect_err("not a number");
        assert!(
            error.contains("cannot read a Utf8 column as a number"),
            "{error}"
        );
        let error = rows(&[s], &[ColumnKind::Text, ColumnKind::Text]).expect_err("one column");
        assert!(
            error.contains("returned 1 columns where cpic reads 2"),
            "{error}"
        );
    }
}

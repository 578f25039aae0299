/**
 * A query's rows as an Apache Arrow IPC stream, the format Restate's `/query`
 * answers by default (and the one the `restate` CLI reads for `restate sql` and
 * the counts of `restate invocations list`). Column types follow the values
 * SQLite returned: integers Int64, other numbers Float64, text Utf8, blobs
 * Binary, 0/1 in a boolean column Bool; a column with no value is Utf8 (all null).
 */
import { createRequire } from "node:module";
import type * as ArrowModule from "apache-arrow";
import type { DataType } from "apache-arrow";

// Loaded on the first Arrow answer (its CommonJS build, synchronously): ~20 MiB a runtime that is never asked for Arrow does not carry.
let loaded: typeof ArrowModule | undefined;
const arrow = (): typeof ArrowModule => (loaded ??= createRequire(import.meta.url)("apache-arrow") as typeof ArrowModule);

type Kind = "int" | "float" | "text" | "blob" | "bool";

function kindOf(values: unknown[], boolean: boolean): Kind {
  let kind: Kind | undefined;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k: Kind =
      typeof v === "bigint" ? "int"
      : typeof v === "number" ? (boolean && (v === 0 || v === 1) ? "bool" : Number.isInteger(v) ? "int" : "float")
      : v instanceof Uint8Array ? "blob"
      : "text";
    if (kind === undefined) kind = k;
    else if (kind !== k) {
      if ((kind === "int" || kind === "bool") && (k === "int" || k === "float" || k === "bool")) kind = k === "float" ? "float" : "int";
      else if (kind === "float" && (k === "int" || k === "bool")) kind = "float";
      else return "text";
    }
  }
  return kind ?? "text";
}

const TYPES: Record<Kind, (a: typeof ArrowModule) => DataType> = {
  int: (a) => new a.Int64(),
  float: (a) => new a.Float64(),
  text: (a) => new a.Utf8(),
  blob: (a) => new a.Binary(),
  bool: (a) => new a.Bool(),
};

function convert(kind: Kind, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case "int":
      return typeof v === "bigint" ? v : BigInt(v as number);
    case "float":
      return Number(v);
    case "bool":
      return v === 1 || v === true;
    case "blob":
      return v;
    case "text":
      return v instanceof Uint8Array ? Buffer.from(v).toString("hex") : String(v);
  }
}

export function arrowStream(columns: string[], rows: unknown[][], booleanColumns: ReadonlySet<string>): Uint8Array {
  const a = arrow();
  const { Field, RecordBatch, Schema, Struct, Table, makeData, tableToIPC, vectorFromArray } = a;
  const fields: ArrowModule.Field[] = [];
  const children = columns.map((name, i) => {
    const values = rows.map((r) => r[i]);
    const kind = kindOf(values, booleanColumns.has(name));
    const type = TYPES[kind](a);
    fields.push(new Field(name, type, true));
    return vectorFromArray(values.map((v) => convert(kind, v)), type).data[0] ?? makeData({ type, length: 0, nullCount: 0 });
  });
  const schema = new Schema(fields);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children }));
  return tableToIPC(new Table(schema, [batch]), "stream");
}

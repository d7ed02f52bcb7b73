// CSV files of the dashboard's tables, made in the browser from the data on
// screen, for people who open them in Excel or LibreOffice in Portuguese:
// RFC 4180 (CRLF lines; a field with the separator, a quote or a line break
// is quoted, quotes doubled), ";" between fields and a decimal comma (what
// Excel pt-BR expects: with "," it puts each line in one cell), numbers
// without thousands separators or currency signs (so they stay numbers),
// durations in whole seconds, and UTF-8 with a byte-order mark (without it,
// Excel reads "Negociação" as "NegociaÃ§Ã£o").

export const SEPARATOR = ";";
export const BOM = "\uFEFF";

/** One field: quoted when it holds the separator, a quote, CR or LF. */
export function csvField(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[";\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A number with a decimal comma and at most `digits` decimals ("" for none). */
export function csvNumber(value, digits = null) {
  if (value === null || value === undefined || value === "") return "";
  const number = Number(value);
  if (!Number.isFinite(number)) return "";
  const text = digits === null ? String(number) : number.toFixed(digits);
  return text.replace(".", ",");
}

/** A cell of a typed column (see dashboard-cards.js): what a spreadsheet reads as a value. */
export function csvCell(type, value) {
  if (type === "money") return csvNumber(value, 2);
  if (type === "percent") return value === null || value === undefined ? "" : csvNumber(Math.round(value * 1000) / 10);
  if (type === "int" || type === "seconds" || type === "number") return csvNumber(value);
  return value;
}

/** The whole file's text (with its BOM): a header line, then a line per row. */
export function toCsv(columns, rows) {
  const lines = [columns.map((column) => csvField(column.csvLabel || column.label))];
  for (const row of rows) lines.push(columns.map((column) => csvField(csvCell(column.type, row[column.key]))));
  return BOM + lines.map((fields) => fields.join(SEPARATOR)).join("\r\n") + "\r\n";
}

/** "funil-2026-12-06.csv". */
export function csvFileName(base, isoDay) {
  return `${base}-${isoDay}.csv`;
}

/** Offers the text as a file download. */
export function download(text, fileName) {
  downloadBlob(new Blob([text], { type: "text/csv;charset=utf-8" }), fileName);
}

/** Offers a file the server made (an export) as a download. */
export function downloadBlob(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Package roster imports a school's collection roster (采集名单) from XLSX or
// CSV files into validated rows plus a per-row report with Chinese messages,
// produces the downloadable template, and reads roster-photo zips keyed by ID
// number or student number.
//
// Limits (Limits, DefaultLimits): files up to 20 MB, 100,000 data rows,
// 500 bytes per cell; XLSX parts are unzipped with a 200 MB total limit.
// Formulas are never evaluated: formula cells, and text cells that start
// with = + - @ (CSV/formula injection), are reported as errors.
package roster

// Package delivery writes the export packages a school downloads: the
// standardized photos of a task as zip parts of bounded size, named
// {task}_part01.zip, {task}_part02.zip, …, each holding {key}.jpg entries
// (stored, not deflated: JPEGs do not compress) and, unless PhotosOnly,
// manifest.csv and manifest.xlsx for the photos of that part; plus the
// whole-task manifests {task}_manifest.csv and {task}_manifest.xlsx.
//
// Photos are streamed one at a time: memory holds one photo, the manifest
// rows of the current part and the excelize stream buffers, never the whole
// set. Every photo's SHA-256 is computed while it is copied. Given the same
// entries and options, the output bytes are identical, so a re-run can
// regenerate a lost part and downloads can be resumed with HTTP ranges.
package delivery

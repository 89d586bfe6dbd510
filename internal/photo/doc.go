// Package photo is the photo pipeline: ingest, quality checks and standardization to a spec
// profile (default: CHSI 学历照片, 480×640, RGB(100,197,255), 20–40 KB, q ≥ 60, 300 dpi).
//
//	img, err := photo.Decode(r, photo.DefaultLimits())   // *photo.Error with a Chinese message
//	pl, err := photo.New(photo.Options{ModelsDir: dir})  // loads the vision models once
//	rep, err := pl.Check(ctx, img, prof)                 // 15 checks, each with value/range/verdict/advice
//	res, err := pl.Standardize(ctx, img, prof)           // res.JPEG is nil when the spec cannot be met
//	png := photo.Annotate(img, rep)                       // what was measured, for students and reviewers
//
// Ingest accepts JPEG, PNG, WebP and HEIC (pure Go; HEIC through a wasm build of libheif),
// applies the EXIF orientation, checks bytes and pixels from the header before decoding,
// rejects animated, truncated and corrupt files with specific codes, and box-shrinks large
// photos by an integer factor right away.
//
// Standardization plans scale and crop from the vision analysis (head top from the person
// mask, eye line and face width from the face mesh) so that every spec number lands in the
// middle of its range, centred on the face; it never rotates or mirrors. The background is
// replaced using the person mask with foreground colour estimation at the edges, the JPEG is
// written with a JFIF 300-dpi header and no other metadata at the highest quality the byte
// window allows, and the file is decoded and analysed again: every spec number is measured
// on the output, and an output that misses any of them is withheld.
//
// Profiles are plain JSON-serialisable data (see Profile, Thresholds, BuiltinProfiles).
// Pipeline is safe for concurrent use; Options.Workers bounds photos in flight.
package photo

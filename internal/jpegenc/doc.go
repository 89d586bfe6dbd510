// Package jpegenc is a baseline JPEG encoder (ITU-T T.81) built to find, cheaply, the
// highest IJG quality whose file fits a byte budget, and to put more quality into those
// bytes than image/jpeg does.
//
// # Design
//
// Colour conversion, chroma subsampling and the forward DCT do not depend on the quality,
// so Prepare does them once:
//
//   - RGB → YCbCr with the JFIF (full-range BT.601) equations in 16-bit fixed point,
//     rounded; 4:2:0 chroma is the chroma of each 2×2 block's mean colour (4:4:4 with
//     Options.Subsample444). Fast paths read *image.RGBA and *image.YCbCr (4:2:0 on even
//     coordinates, or 4:4:4 for 4:4:4 output) directly; anything else is drawn into an RGBA
//     first. Planes are padded to whole MCUs by replicating the last column and row.
//   - Each 8×8 block is level-shifted and transformed by a separable float32 DCT
//     (even/odd decomposition of the 8-point DCT-II, 22 multiplications per row) and
//     stored in zig-zag order, blocks in scan (MCU) order. The test compares it with the
//     direct O(n⁴) definition (error ~1e-4).
//   - Per block, Prepare also records the last coefficient that could be nonzero at any
//     quality, and for 8 zig-zag suffixes a bound that tells, from the IJG scale alone,
//     that the whole suffix quantises to zero; the quality-dependent passes skip those.
//   - The two MCU-row halves are converted and transformed on two goroutines.
//
// For a quality, tokenizing quantises every coefficient (reciprocal multiply, round half
// away from zero) with the IJG-scaled Annex K tables — exactly the tables libjpeg and
// image/jpeg write, so a verifier that inverts IJG scaling reads the quality back — and
// turns each block into tokens: one uint32 per Huffman-coded symbol (DC category or AC
// run/size, EOB, ZRL) with its magnitude bits, counting symbol frequencies as it goes.
// This is the expensive part; the two halves of the scan are tokenized on two goroutines
// (the second half starts from the quantised DC of the block before it).
//
// Huffman tables are then optimised per image (like libjpeg's optimize_coding), one DC
// and one AC table for luma and for chroma, by the procedure of T.81 Annex K.2: code
// sizes from repeated merging of the two least frequent entries (Figure K.1) with a
// reserved symbol that keeps the all-ones code point unused, lengths over 16 folded
// (Adjust_BITS, Figure K.3), and canonical codes in order of size and value. With
// Options.StandardTables the typical tables of Annex K.3 are used instead.
//
// Size then runs the tokens through the codes with a 64-bit bit accumulator, counting
// bytes 32 bits at a time and the 0xFF bytes among them (a SWAR zero-byte count on the
// complement) — each needs a stuffed 0x00 — plus the 1-bit padding of the last byte and
// the headers. Encode runs the same code path but writes the bytes, so Size(q) equals
// len(Encode(q)) by construction; the tests check it for every quality on awkward images.
//
// Fit searches for the highest quality whose exact size is within the budget. It keeps a
// bracket (a quality known to fit, one known not to) and probes, with exact sizes, the
// quality that a cheap estimate predicts: every 8th MCU tokenized, coded with tables from
// its own statistics and scaled up, calibrated by the ratio exact/estimate of the last
// exact probe. The bracket only closes on adjacent qualities, so the result is always
// right for the sizes measured; typically 2 exact sizes and a handful of estimates, then
// the chosen pass (tokens kept) is written once.
//
// Files are SOI, APP0 JFIF 1.01 (density Options.DPI, default 72 dpi), one DQT with both
// tables, SOF0 (8-bit, 3 components: Y 2×2 or 1×1, Cb and Cr 1×1), one DHT with four
// tables, SOS (one interleaved scan), the entropy-coded data and EOI: no EXIF or other
// APPn segments, no restart markers, never progressive.
//
// A Prepared is immutable and safe for concurrent use; per-call scratch comes from a
// sync.Pool.
package jpegenc

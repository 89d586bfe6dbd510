// Package jpegdec is a fast decoder for baseline JPEG files (the kind phone
// cameras write) that can decode straight to 1/2, 1/4 or 1/8 of the size.
//
// It exists because image/jpeg decodes on one core and always at full size, while
// the photo pipeline shrinks a 12-megapixel upload by 2–4× right after decoding.
// Decode does the reduction in the DCT domain and spreads the work over two
// goroutines. Files it does not handle are reported with ErrUnsupported so that
// the caller can fall back to image/jpeg.
//
// # Supported
//
//   - Baseline sequential (SOF0) and extended sequential with 8-bit samples (SOF1),
//     Huffman coding, one scan containing every component.
//   - 1 component (grey, returned as *image.Gray) or 3 components (JFIF YCbCr,
//     returned as *image.YCbCr, full range, not converted to RGB: the same pixel
//     semantics as image/jpeg).
//   - Sampling factors 1 or 2 in each direction for each component. 4:4:4, 4:2:2,
//     4:2:0 and 4:4:0 (and mixes such as Y 2×2 with Cb/Cr 1×2, which is 4:2:2 at
//     the reduced luma grid) keep their chroma resolution in the result. Mixes that
//     image.YCbCr cannot express (Cb and Cr sampled differently, or luma not the
//     largest) are upsampled to 4:4:4 by replicating samples.
//   - Restart intervals (DRI/RSTn), fill bytes before markers, byte stuffing,
//     APPn/COM and unknown segments (skipped), 8- and 16-bit DQT tables, several
//     tables per DQT/DHT segment, a missing EOI and junk after EOI.
//
// # Unsupported (error wrapping ErrUnsupported)
//
// Progressive, lossless, hierarchical and arithmetic-coded files, 12-bit samples,
// 2 or 4 components (CMYK/YCCK), RGB-coded 3-component files (Adobe transform 0,
// or component ids 'R','G','B' without JFIF), sequential files with more than one
// scan, sampling factors above 2 (e.g. 4:1:1), and a height defined by DNL. Config
// reports most of these from the headers alone; only "several scans" is found at
// the first SOS.
//
// Corrupt or truncated data gives an error (never a panic or an endless loop).
// Reading past the end of the entropy-coded data is allowed only in the last
// byte's padding: a cut file fails as with image/jpeg. Before allocating, Decode
// checks that the data is long enough to hold the declared number of blocks
// (every block takes at least two bits), so a tiny file claiming a huge size is
// refused without allocating the image; callers should still limit pixel counts.
//
// # Design
//
// Entropy decoding (Huffman): a 64-bit, left-aligned bit buffer refilled up to
// eight bytes at a time (a word without any 0xFF byte is taken whole; otherwise
// bytes are taken one by one, removing stuffed zeros and stopping at markers, after
// which zero bits are supplied and counted so that over-reads are detected). Each
// table has a 9-bit lookup giving code length and symbol; AC tables also have a
// "fast AC" table that, when the code and its extra bits fit in 9 bits, yields run,
// value and total length in one read. Longer codes fall back to the canonical
// maxcode search of T.81 F.2.2.3. Coefficients are written in natural order with
// the index of the last nonzero one, so that the transforms can skip zero rows
// and columns.
//
// Every coefficient must be Huffman-decoded at every scale, but only the ones the
// reduced transform uses are dequantised and transformed:
//
//   - Scale 1: float32 AAN (Arai–Agui–Nakajima) 8×8 IDCT; the AAN input scaling,
//     the DCT normalisation and the dequantisation are folded into one table per
//     component. Blocks with only a DC term, columns with no AC term and rows of
//     a block whose coefficients are all in the first column are short-cut.
//   - Scale 2, 4, 8: a 4×4, 2×2 or 1×1 IDCT of the top-left coefficients. Each
//     frequency is weighted so that the output is the exact box average, over the
//     s×s pixels it stands for, of that frequency's contribution to the full IDCT
//     (mean of cos((2x+1)kπ/16) over the s pixels = cos(s(2i+1)kπ/16) times a
//     per-frequency factor). Brightness is thus preserved exactly (the DC-only
//     Scale 8 pixel is the block mean), and the only difference from decoding in
//     full and box-averaging is the discarded high frequencies.
//
// Accuracy (see the tests): at Scale 1 every plane is within ±1 of image/jpeg,
// mean absolute difference < 0.1. At Scale 2/4/8, against image/jpeg's decode
// box-averaged by the same factor: PSNR ≥ 38 dB on real photos (worst case: Y at
// Scale 2 on a sharp portrait; ≥ 43 dB on the registry fixtures) and ≥ 50 dB on
// smooth synthetic content.
//
// Concurrency (Options.Workers, default 2; 1 is fully sequential and the result
// is identical for any number of workers):
//
//   - Without restart markers, a pipeline: the calling goroutine entropy-decodes
//     one MCU row at a time into a ring of Workers+2 row buffers, and Workers−1
//     goroutines dequantise, transform and write finished rows into the planes.
//     When the queue of decoded rows is full, the entropy goroutine transforms its
//     row itself, which balances the stages. At Scale 1 the two stages cost about
//     the same, so two cores help most there; at reduced scales the transforms are
//     cheap and entropy decoding bounds the speed.
//   - With restart markers (at least two intervals per worker), the marker
//     positions are found with a byte scan and the scan is split at interval
//     boundaries into Workers chunks of similar byte size; each goroutine decodes
//     and transforms its own chunk. This also parallelises the entropy decoding.
//     The markers must form exactly the expected RST0…RST7 sequence and each chunk
//     must end at the marker the next one starts after, so the result (or error)
//     is the same as a sequential decode; anything else falls back to sequential
//     decoding, which reports the error.
//
// Speed on the 2-core development VM (BenchmarkDecode, medians of 5 interleaved
// runs, synthetic 12-megapixel 4:2:0 images): image/jpeg 135 ms (1.2 MB file) and
// 248 ms (5 MB file); this package with 2 workers 42/74 ms at Scale 1 and 17/49 ms
// at Scale 2, about 12 ms at Scale 2 when the file has restart markers.
package jpegdec

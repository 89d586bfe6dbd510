package roster

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"iter"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"xiaoxiang/internal/identity"
)

// PhotoLimits bound a roster-photo zip.
type PhotoLimits struct {
	MaxEntries   int   // entries in the central directory (files and folders)
	MaxEntrySize int64 // bytes per image, declared and actual
	MaxTotalSize int64 // sum of declared uncompressed sizes
	MaxRatio     int64 // uncompressed/compressed ratio per entry (JPEGs hardly compress)
}

// DefaultPhotoLimits: 60,000 entries, 10 MB per image, 8 GB in total, ratio
// 50 (a real photo compresses far less than 2:1; zip bombs exceed 1000:1).
var DefaultPhotoLimits = PhotoLimits{MaxEntries: 60_000, MaxEntrySize: 10 << 20, MaxTotalSize: 8 << 30, MaxRatio: 50}

func (l PhotoLimits) withDefaults() PhotoLimits {
	d := DefaultPhotoLimits
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxEntrySize <= 0 {
		l.MaxEntrySize = d.MaxEntrySize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	return l
}

// Photo is one image of a roster-photo zip.
type Photo struct {
	Key    string // file name stem, normalised like a document number / 学号 (upper-case, half-width)
	Name   string // path inside the zip (UTF-8)
	Format string // "jpeg" or "png", from the content
	Data   []byte
}

// Skipped is an entry that was not yielded, with the reason in Chinese.
type Skipped struct {
	Name   string
	Reason string
}

// PhotoZip reads a zip of roster photos named {ID number}.jpg or {学号}.jpg
// (any folder depth). Directories and OS junk (__MACOSX, .DS_Store,
// Thumbs.db, desktop.ini, ._*) are ignored silently; other unusable entries
// are listed by Skipped after iteration.
type PhotoZip struct {
	zr      *zip.Reader
	lim     PhotoLimits
	skipped []Skipped
}

// OpenPhotoZip opens the zip and rejects it as a whole when it is not a zip,
// has more than MaxEntries entries or declares more than MaxTotalSize bytes.
func OpenPhotoZip(r io.ReaderAt, size int64, lim PhotoLimits) (*PhotoZip, error) {
	lim = lim.withDefaults()
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrInsecurePath) {
			// Names like "../x.jpg" are harmless here (nothing is written to
			// disk) but Go reports them; the reader is still usable.
			if zr == nil {
				return nil, fileErr("照片压缩包无法读取", "photo zip: %v", err)
			}
		} else {
			return nil, fileErr("照片压缩包无法读取，请上传zip格式的压缩包", "photo zip: %v", err)
		}
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fileErr(fmt.Sprintf("压缩包内文件过多（超过%d个），请分批上传", lim.MaxEntries), "photo zip: %d entries", len(zr.File))
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(lim.MaxTotalSize) {
			return nil, fileErr(fmt.Sprintf("压缩包解压后超过%dGB，请分批上传", lim.MaxTotalSize>>30), "photo zip: declared size over %d", lim.MaxTotalSize)
		}
	}
	return &PhotoZip{zr: zr, lim: lim}, nil
}

// Skipped returns the entries skipped so far, in zip order.
func (z *PhotoZip) Skipped() []Skipped { return z.skipped }

func (z *PhotoZip) skip(name, reason string) { z.skipped = append(z.skipped, Skipped{name, reason}) }

// entryName returns the UTF-8 name of an entry; names without the zip UTF-8
// flag that are not valid UTF-8 are decoded as GB18030 (Windows in China).
func entryName(f *zip.File) string {
	n := f.Name
	if f.NonUTF8 && !utf8.ValidString(n) {
		if d, err := simplifiedchinese.GB18030.NewDecoder().String(n); err == nil {
			n = d
		}
	}
	return strings.ReplaceAll(n, "\\", "/")
}

func isJunk(name string) bool {
	base := path.Base(name)
	lower := strings.ToLower(base)
	return strings.HasPrefix(name, "__MACOSX/") || strings.Contains(name, "/__MACOSX/") ||
		lower == ".ds_store" || lower == "thumbs.db" || lower == "desktop.ini" || strings.HasPrefix(base, "._")
}

// photoKey normalises a file name stem into a key: letters, digits, '-',
// '_', 1–32 characters after identity.Normalize.
func photoKey(name string) (string, bool) {
	base := path.Base(name)
	stem := strings.TrimSuffix(base, path.Ext(base))
	k := identity.Normalize(stem)
	if k == "" || len(k) > 32 {
		return "", false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && c != '-' && c != '_' {
			return "", false
		}
	}
	return k, true
}

func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	}
	return ""
}

// Photos iterates the images in zip order. Entries are read one at a time,
// each at most MaxEntrySize bytes, so memory stays bounded by one image.
// Duplicate keys keep the first image and skip the others. The iteration
// error is non-nil only for failures of the underlying reader.
func (z *PhotoZip) Photos() iter.Seq2[Photo, error] {
	return func(yield func(Photo, error) bool) {
		seen := map[string]string{}
		for _, f := range z.zr.File {
			name := entryName(f)
			if f.FileInfo().IsDir() || strings.HasSuffix(name, "/") || isJunk(name) {
				continue
			}
			key, ok := photoKey(name)
			if !ok {
				z.skip(name, "文件名应为证件号码或学号（字母、数字，最多32位），如 11010519491231002X.jpg")
				continue
			}
			if f.UncompressedSize64 > uint64(z.lim.MaxEntrySize) {
				z.skip(name, fmt.Sprintf("图片超过%dMB", z.lim.MaxEntrySize>>20))
				continue
			}
			if f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > uint64(z.lim.MaxRatio) && f.UncompressedSize64 > 1<<20 {
				z.skip(name, "压缩比异常，疑似恶意压缩包，已跳过")
				continue
			}
			if prev, dup := seen[key]; dup {
				z.skip(name, "与“"+prev+"”的文件名重复，已跳过")
				continue
			}
			data, err := readEntry(f, z.lim.MaxEntrySize)
			if err != nil {
				var ioErr *readerError
				if errors.As(err, &ioErr) {
					yield(Photo{}, fmt.Errorf("roster: photo zip: %w", err))
					return
				}
				z.skip(name, "文件已损坏，无法读取")
				continue
			}
			format := sniffImage(data)
			if format == "" {
				z.skip(name, "不是JPG或PNG图片")
				continue
			}
			seen[key] = name
			if !yield(Photo{Key: key, Name: name, Format: format, Data: data}, nil) {
				return
			}
		}
	}
}

// readerError marks a failure of the underlying io.ReaderAt (as opposed to
// a corrupt entry).
type readerError struct{ err error }

func (e *readerError) Error() string { return e.err.Error() }
func (e *readerError) Unwrap() error { return e.err }

func readEntry(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err // unsupported method, bad local header: a corrupt entry
	}
	defer rc.Close()
	// Never trust the declared size alone: read at most max+1 bytes.
	buf := bytes.NewBuffer(make([]byte, 0, min(int64(f.UncompressedSize64), max)))
	n, err := io.Copy(buf, io.LimitReader(rc, max+1))
	if err != nil {
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) ||
			errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, new(flate.CorruptInputError)) {
			return nil, err
		}
		return nil, &readerError{err}
	}
	if n > max {
		return nil, fmt.Errorf("entry larger than %d bytes", max)
	}
	return buf.Bytes(), nil
}

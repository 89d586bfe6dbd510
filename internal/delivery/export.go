package delivery

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"iter"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Entry is one approved student photo to deliver.
type Entry struct {
	Name       string // student name
	Key        string // file name stem: ID number, 学号 or 考生号 (letters, digits, '-', '_')
	College    string
	Major      string
	Class      string
	Status     string    // display status, e.g. 已完成
	ReviewedAt time.Time // review time (shown in Asia/Shanghai)
	// Open returns the standardized JPEG. It is called once, when the entry
	// is written, and the reader is closed before the next entry.
	Open func() (io.ReadCloser, error)
}

// Folder is an optional folder level inside the zips.
type Folder string

// Folder levels.
const (
	FolderCollege Folder = "college"
	FolderMajor   Folder = "major"
	FolderClass   Folder = "class"
)

// Options configure an export.
type Options struct {
	// Task prefixes every file name ({Task}_part01.zip); unsafe characters
	// are replaced. Empty → "export".
	Task string
	// MaxPartBytes is the largest size of one zip part (default 1 GiB,
	// minimum 64 KiB). Parts never exceed it.
	MaxPartBytes int64
	// MaxPhotoBytes is the largest accepted photo (default 20 MiB).
	MaxPhotoBytes int64
	// Folders puts photos in folders, e.g. {college}/{class}/{key}.jpg.
	Folders []Folder
	// PhotosOnly leaves manifest.csv/.xlsx out of the parts (some registrar
	// systems reject zips with any other file); the whole-task manifests are
	// still written.
	PhotosOnly bool
}

// Default limits.
const (
	DefaultMaxPartBytes  = 1 << 30
	DefaultMaxPhotoBytes = 20 << 20
	minPartBytes         = 64 << 10
)

// Creator creates an output file (a part or a manifest) by name. The export
// closes every file it creates.
type Creator func(name string) (io.WriteCloser, error)

// Part describes one written zip.
type Part struct {
	Name    string
	Entries int
	Size    int64
	SHA256  string // of the whole zip file, for download verification
}

// Result describes a finished (or, with an error, partial) export.
type Result struct {
	Parts      []Part
	Manifests  []string // names of the whole-task manifest files
	Entries    int
	PhotoBytes int64
}

// Files returns the names of every file created, for cleanup after a
// failed export.
func (r *Result) Files() []string {
	var out []string
	for _, p := range r.Parts {
		out = append(out, p.Name)
	}
	return append(out, r.Manifests...)
}

// ErrDuplicateKey is returned (wrapped) when two entries have the same key
// (compared case-insensitively, as Windows file systems do).
var ErrDuplicateKey = errors.New("delivery: duplicate key")

// ErrBadKey is returned (wrapped) for a key that is empty, too long or has
// characters other than letters, digits, '-' and '_'.
var ErrBadKey = errors.New("delivery: invalid key")

// ErrPhotoTooLarge is returned (wrapped) for a photo over MaxPhotoBytes, or
// one that cannot fit in a part of MaxPartBytes.
var ErrPhotoTooLarge = errors.New("delivery: photo too large")

var chinaTime = time.FixedZone("CST", 8*3600)

// maskKey keeps the last 4 characters for error messages and logs.
func maskKey(k string) string {
	if len(k) <= 4 {
		return strings.Repeat("*", len(k))
	}
	return strings.Repeat("*", len(k)-4) + k[len(k)-4:]
}

func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// SafeName replaces characters that are unsafe in file names on Windows,
// macOS or Linux (/ \ : * ? " < > | and control characters) with '_', trims
// spaces and dots, and limits the result to 80 characters. An empty result
// becomes fallback.
func SafeName(s, fallback string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(`/\:*?"<>|`, r) || r == utf8.RuneError {
			return '_'
		}
		return r
	}, s)
	s = strings.Trim(s, " .")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80])
	}
	if s == "" {
		return fallback
	}
	return s
}

// manifestHeader is the header of every manifest.
var manifestHeader = []string{"序号", "姓名", "编号", "文件名", "学院", "专业", "班级", "状态", "审核时间", "所在分卷", "SHA256", "字节数"}

type manifestRow [12]string

func (r *manifestRow) slice() []string { return r[:] }

// csvSafe defuses spreadsheet formula injection in CSV cells by prefixing a
// quote to values that start with = + - @ or a control character.
func csvSafe(s string) string {
	if s != "" && (strings.ContainsAny(s[:1], "=+-@\t\r\n")) {
		return "'" + s
	}
	return s
}

func csvLine(cells []string) []byte {
	var b []byte
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		c = csvSafe(c)
		if c == "" || !strings.ContainsAny(c, ",\"\r\n") && c[0] != ' ' {
			b = append(b, c...)
			continue
		}
		b = append(b, '"')
		b = append(b, strings.ReplaceAll(c, `"`, `""`)...)
		b = append(b, '"')
	}
	return append(b, '\r', '\n')
}

// xmlBound is an upper bound of the bytes a string takes in worksheet XML:
// escapes take at most 6 bytes, and an invalid byte becomes U+FFFD (3 bytes).
func xmlBound(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case strings.IndexByte("\"'&<>\t\n\r", c) >= 0:
			n += 6
		case c < 0x20 || c >= 0x80:
			n += 3
		default:
			n++
		}
	}
	return n
}

// xlsxRowBound bounds one manifest row in the XLSX sheet XML.
func xlsxRowBound(cells []string) int64 {
	n := 40
	for _, c := range cells {
		n += 110 + xmlBound(c)
	}
	return int64(n)
}

// Per-file zip overhead bounds (local header 30 + central record 46 + EOCD,
// with room for the extended-timestamp and zip64 extra fields).
const (
	localOverhead   = 30 + 64
	centralOverhead = 46 + 64
	endOverhead     = 22 + 56 + 20
	xlsxFixed       = 16 << 10 // workbook parts other than the sheet rows (measured: 6.7 KB)
)

// countWriter counts and hashes what is written to the underlying writer.
type countWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

type part struct {
	name   string
	file   io.WriteCloser
	cw     *countWriter
	zw     *zip.Writer
	n      int
	cdir   int64 // bound of the central directory so far
	rows   []manifestRow
	csvLen int64
	xlsx   int64
}

type exporter struct {
	ctx     context.Context
	opts    Options
	create  Creator
	res     *Result
	cur     *part
	seen    map[string]bool
	started time.Time
	all     *manifestWriter
	buf     bytes.Buffer
}

// Export writes the export package for entries. Entries are consumed once,
// in order; an iteration error stops the export. On error, the returned
// Result lists the files created so far (remove them with Result.Files).
// An empty sequence writes no part, only manifests with the header row.
func Export(ctx context.Context, entries iter.Seq2[Entry, error], opts Options, create Creator) (*Result, error) {
	if opts.MaxPartBytes == 0 {
		opts.MaxPartBytes = DefaultMaxPartBytes
	}
	if opts.MaxPartBytes < minPartBytes {
		return nil, fmt.Errorf("delivery: export: MaxPartBytes %d below minimum %d", opts.MaxPartBytes, minPartBytes)
	}
	if opts.MaxPhotoBytes <= 0 {
		opts.MaxPhotoBytes = DefaultMaxPhotoBytes
	}
	for _, f := range opts.Folders {
		if f != FolderCollege && f != FolderMajor && f != FolderClass {
			return nil, fmt.Errorf("delivery: export: unknown folder level %q", f)
		}
	}
	opts.Task = SafeName(opts.Task, "export")
	e := &exporter{ctx: ctx, opts: opts, create: create, res: &Result{}, seen: map[string]bool{}, started: time.Now()}
	err := e.run(entries)
	if err != nil {
		e.abort()
		return e.res, err
	}
	return e.res, nil
}

func (e *exporter) run(entries iter.Seq2[Entry, error]) error {
	all, err := newManifestWriter(e.opts.Task+"_manifest", e.create, e.res)
	if err != nil {
		return err
	}
	e.all = all
	for ent, err := range entries {
		if err != nil {
			return fmt.Errorf("delivery: export: entries: %w", err)
		}
		if err := e.ctx.Err(); err != nil {
			return fmt.Errorf("delivery: export: %w", err)
		}
		if err := e.add(ent); err != nil {
			return err
		}
	}
	if err := e.closePart(); err != nil {
		return err
	}
	if err := e.all.close(); err != nil {
		return err
	}
	return e.all.finishXLSX(e.res)
}

// abort closes whatever is open after an error.
func (e *exporter) abort() {
	if e.cur != nil {
		_ = e.cur.file.Close()
		e.cur = nil
	}
	if e.all != nil {
		e.all.abort()
	}
}

func (e *exporter) entryPath(ent Entry) string {
	var dirs []string
	for _, f := range e.opts.Folders {
		v := map[Folder]string{FolderCollege: ent.College, FolderMajor: ent.Major, FolderClass: ent.Class}[f]
		dirs = append(dirs, SafeName(v, "未分配"))
	}
	return path.Join(append(dirs, ent.Key+".jpg")...)
}

func (e *exporter) add(ent Entry) error {
	if !validKey(ent.Key) {
		return fmt.Errorf("%w: entry %d (%s)", ErrBadKey, e.res.Entries+1, maskKey(ent.Key))
	}
	up := strings.ToUpper(ent.Key)
	if e.seen[up] {
		return fmt.Errorf("%w: %s", ErrDuplicateKey, maskKey(ent.Key))
	}
	e.seen[up] = true
	if ent.Open == nil {
		return fmt.Errorf("delivery: export: entry %s has no photo", maskKey(ent.Key))
	}
	// Read the photo (one at a time) to know its size, CRC and SHA-256
	// before choosing its part.
	rc, err := ent.Open()
	if err != nil {
		return fmt.Errorf("delivery: export: open photo %s: %w", maskKey(ent.Key), err)
	}
	e.buf.Reset()
	_, err = io.Copy(&e.buf, io.LimitReader(rc, e.opts.MaxPhotoBytes+1))
	cerr := rc.Close()
	if err != nil {
		return fmt.Errorf("delivery: export: read photo %s: %w", maskKey(ent.Key), err)
	}
	if cerr != nil {
		return fmt.Errorf("delivery: export: close photo %s: %w", maskKey(ent.Key), cerr)
	}
	data := e.buf.Bytes()
	if int64(len(data)) > e.opts.MaxPhotoBytes {
		return fmt.Errorf("%w: %s is over %d bytes", ErrPhotoTooLarge, maskKey(ent.Key), e.opts.MaxPhotoBytes)
	}
	sum := sha256.Sum256(data)
	name := e.entryPath(ent)
	row := manifestRow{"", ent.Name, ent.Key, name, ent.College, ent.Major, ent.Class, ent.Status,
		formatTime(ent.ReviewedAt), "", hex.EncodeToString(sum[:]), fmt.Sprint(len(data))}

	need := func(p *part) int64 {
		n := p.cw.n + localOverhead + int64(len(name)) + int64(len(data)) +
			p.cdir + centralOverhead + int64(len(name)) + endOverhead
		if !e.opts.PhotosOnly {
			r := row
			r[0] = fmt.Sprint(p.n + 1)
			r[9] = p.name
			n += p.csvLen + int64(len(csvLine(r.slice()))) + p.xlsx + xlsxRowBound(r.slice()) +
				int64(2*(localOverhead+centralOverhead+len("manifest.xlsx"))+xlsxFixed)
		}
		return n
	}
	if e.cur != nil && e.cur.n > 0 && need(e.cur) > e.opts.MaxPartBytes {
		if err := e.closePart(); err != nil {
			return err
		}
	}
	if e.cur == nil {
		if err := e.openPart(); err != nil {
			return err
		}
	}
	if need(e.cur) > e.opts.MaxPartBytes {
		return fmt.Errorf("%w: %s (%d bytes) does not fit in a part of %d bytes", ErrPhotoTooLarge, maskKey(ent.Key), len(data), e.opts.MaxPartBytes)
	}
	p := e.cur
	mod := ent.ReviewedAt
	if mod.IsZero() {
		mod = e.started
	}
	w, err := p.zw.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Store, Modified: mod.In(chinaTime),
		CRC32: crc32.ChecksumIEEE(data), CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data)),
	})
	if err != nil {
		return fmt.Errorf("delivery: export: %s: %w", p.name, err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("delivery: export: write %s: %w", p.name, err)
	}
	p.n++
	p.cdir += centralOverhead + int64(len(name))
	row[0] = fmt.Sprint(p.n)
	row[9] = p.name
	if !e.opts.PhotosOnly {
		p.rows = append(p.rows, row)
		p.csvLen += int64(len(csvLine(row.slice())))
		p.xlsx += xlsxRowBound(row.slice())
	}
	e.res.Entries++
	e.res.PhotoBytes += int64(len(data))
	all := row
	all[0] = fmt.Sprint(e.res.Entries)
	return e.all.add(all)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format("2006-01-02 15:04:05")
}

func (e *exporter) openPart() error {
	name := fmt.Sprintf("%s_part%02d.zip", e.opts.Task, len(e.res.Parts)+1)
	f, err := e.create(name)
	if err != nil {
		return fmt.Errorf("delivery: export: create %s: %w", name, err)
	}
	cw := &countWriter{w: f, h: sha256.New()}
	e.cur = &part{name: name, file: f, cw: cw, zw: zip.NewWriter(cw)}
	e.res.Parts = append(e.res.Parts, Part{Name: name})
	return nil
}

func (e *exporter) closePart() error {
	p := e.cur
	if p == nil {
		return nil
	}
	if !e.opts.PhotosOnly {
		if err := writePartManifests(p); err != nil {
			return fmt.Errorf("delivery: export: %s manifests: %w", p.name, err)
		}
	}
	if err := p.zw.Close(); err != nil {
		return fmt.Errorf("delivery: export: finish %s: %w", p.name, err)
	}
	if err := p.file.Close(); err != nil {
		return fmt.Errorf("delivery: export: close %s: %w", p.name, err)
	}
	e.res.Parts[len(e.res.Parts)-1] = Part{Name: p.name, Entries: p.n, Size: p.cw.n, SHA256: hex.EncodeToString(p.cw.h.Sum(nil))}
	e.cur = nil
	return nil
}

// writePartManifests adds manifest.csv and manifest.xlsx for the part's rows.
func writePartManifests(p *part) error {
	var csvBuf bytes.Buffer
	csvBuf.WriteString("\uFEFF")
	csvBuf.Write(csvLine(manifestHeader))
	for i := range p.rows {
		csvBuf.Write(csvLine(p.rows[i].slice()))
	}
	x, err := manifestXLSX(p.rows)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"manifest.csv", csvBuf.Bytes()}, {"manifest.xlsx", x}} {
		w, err := p.zw.CreateRaw(&zip.FileHeader{Name: f.name, Method: zip.Store, Modified: time.Date(2000, 1, 1, 0, 0, 0, 0, chinaTime),
			CRC32: crc32.ChecksumIEEE(f.data), CompressedSize64: uint64(len(f.data)), UncompressedSize64: uint64(len(f.data))})
		if err != nil {
			return err
		}
		if _, err := w.Write(f.data); err != nil {
			return err
		}
	}
	return nil
}

package delivery

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// memFS collects created files.
type memFS struct {
	files map[string]*bytes.Buffer
	order []string
	open  map[string]bool
}

func newMemFS() *memFS { return &memFS{files: map[string]*bytes.Buffer{}, open: map[string]bool{}} }

type memFile struct {
	*bytes.Buffer
	fs   *memFS
	name string
}

func (f *memFile) Close() error { delete(f.fs.open, f.name); return nil }

func (m *memFS) create(name string) (io.WriteCloser, error) {
	if _, dup := m.files[name]; dup {
		return nil, fmt.Errorf("file %s created twice", name)
	}
	b := &bytes.Buffer{}
	m.files[name] = b
	m.order = append(m.order, name)
	m.open[name] = true
	return &memFile{b, m, name}, nil
}

// photo returns deterministic pseudo-JPEG bytes of about size bytes.
func photo(i, size int) []byte {
	b := make([]byte, size+i%7)
	b[0], b[1], b[2] = 0xFF, 0xD8, 0xFF
	x := uint32(i*2654435761 + 1)
	for j := 3; j < len(b); j++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[j] = byte(x)
	}
	return b
}

var reviewed = time.Date(2026, 6, 1, 10, 30, 0, 0, chinaTime)

func entries(n, size int) []Entry {
	out := make([]Entry, n)
	for i := range out {
		data := photo(i, size)
		out[i] = Entry{
			Name: fmt.Sprintf("学生%d", i), Key: fmt.Sprintf("2023%04d", i), College: fmt.Sprintf("学院%d", i%3),
			Major: "专业", Class: fmt.Sprintf("%d班", i%2), Status: "已完成", ReviewedAt: reviewed.Add(time.Duration(i) * time.Minute),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		}
	}
	return out
}

func seq(es []Entry) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func readZip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		if f.Method != zip.Store {
			t.Errorf("%s is not stored", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\uFEFF")) {
		t.Fatal("manifest.csv has no BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func readXLSX(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheetName)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkPart verifies a part against its own manifests and returns the keys.
func checkPart(t *testing.T, name string, data []byte, photosOnly bool) []string {
	t.Helper()
	files := readZip(t, data)
	if photosOnly {
		for n := range files {
			if !strings.HasSuffix(n, ".jpg") {
				t.Fatalf("%s: stray file %s", name, n)
			}
		}
		var keys []string
		for n := range files {
			keys = append(keys, strings.TrimSuffix(n, ".jpg"))
		}
		return keys
	}
	rows := readCSV(t, files["manifest.csv"])
	xrows := readXLSX(t, files["manifest.xlsx"])
	if fmt.Sprint(rows) != fmt.Sprint(xrows) {
		t.Fatalf("%s: csv and xlsx manifests differ:\n%v\n%v", name, rows, xrows)
	}
	if strings.Join(rows[0], ",") != strings.Join(manifestHeader, ",") {
		t.Fatalf("header %v", rows[0])
	}
	if len(files) != len(rows)-1+2 {
		t.Fatalf("%s: %d files, %d manifest rows", name, len(files), len(rows)-1)
	}
	var keys []string
	for i, r := range rows[1:] {
		photo, ok := files[r[3]]
		if !ok {
			t.Fatalf("%s: %s listed but missing", name, r[3])
		}
		sum := sha256.Sum256(photo)
		if r[10] != hex.EncodeToString(sum[:]) || r[11] != fmt.Sprint(len(photo)) || r[9] != name || r[0] != fmt.Sprint(i+1) {
			t.Fatalf("%s: manifest row %v does not match photo", name, r)
		}
		keys = append(keys, r[2])
	}
	return keys
}

func TestRoundTrip(t *testing.T) {
	es := entries(25, 3000)
	fs := newMemFS()
	res, err := Export(context.Background(), seq(es), Options{Task: "2025学位照"}, fs.create)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs.open) != 0 {
		t.Fatalf("files left open: %v", fs.open)
	}
	wantFiles := []string{"2025学位照_manifest.csv", "2025学位照_part01.zip", "2025学位照_manifest.xlsx"}
	if fmt.Sprint(fs.order) != fmt.Sprint(wantFiles) || len(res.Parts) != 1 || res.Entries != 25 {
		t.Fatalf("files %v parts %+v", fs.order, res.Parts)
	}
	part := fs.files["2025学位照_part01.zip"].Bytes()
	sum := sha256.Sum256(part)
	if res.Parts[0].SHA256 != hex.EncodeToString(sum[:]) || res.Parts[0].Size != int64(len(part)) || res.Parts[0].Entries != 25 {
		t.Fatalf("part info %+v", res.Parts[0])
	}
	keys := checkPart(t, "2025学位照_part01.zip", part, false)
	if len(keys) != 25 || keys[0] != "20230000" {
		t.Fatalf("keys %v", keys)
	}
	all := readCSV(t, fs.files["2025学位照_manifest.csv"].Bytes())
	if len(all) != 26 || all[1][1] != "学生0" || all[1][3] != "20230000.jpg" || all[1][4] != "学院0" || all[1][6] != "0班" ||
		all[1][7] != "已完成" || all[1][8] != "2026-06-01 10:30:00" || all[1][9] != "2025学位照_part01.zip" {
		t.Fatalf("overall manifest %v", all[:2])
	}
	if x := readXLSX(t, fs.files["2025学位照_manifest.xlsx"].Bytes()); fmt.Sprint(x) != fmt.Sprint(all) {
		t.Fatal("overall xlsx differs from csv")
	}
	var total int64
	for _, e := range es {
		rc, _ := e.Open()
		b, _ := io.ReadAll(rc)
		total += int64(len(b))
	}
	if res.PhotoBytes != total {
		t.Fatalf("PhotoBytes %d want %d", res.PhotoBytes, total)
	}
}

func TestSplitting(t *testing.T) {
	for _, photosOnly := range []bool{false, true} {
		t.Run(fmt.Sprint("photosOnly=", photosOnly), func(t *testing.T) {
			es := entries(40, 30_000)
			const max = 300 << 10
			fs := newMemFS()
			res, err := Export(context.Background(), seq(es), Options{Task: "t", MaxPartBytes: max, PhotosOnly: photosOnly}, fs.create)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Parts) < 4 {
				t.Fatalf("only %d parts", len(res.Parts))
			}
			seen := map[string]int{}
			n := 0
			for i, p := range res.Parts {
				if p.Name != fmt.Sprintf("t_part%02d.zip", i+1) {
					t.Fatalf("part name %s", p.Name)
				}
				data := fs.files[p.Name].Bytes()
				if int64(len(data)) > max || p.Size != int64(len(data)) {
					t.Fatalf("%s is %d bytes, max %d", p.Name, len(data), max)
				}
				keys := checkPart(t, p.Name, data, photosOnly)
				if len(keys) != p.Entries {
					t.Fatalf("%s: %d keys, %d entries", p.Name, len(keys), p.Entries)
				}
				for _, k := range keys {
					seen[k]++
				}
				n += p.Entries
				t.Logf("%s: %d photos, %d bytes (%.0f%% of max)", p.Name, p.Entries, len(data), 100*float64(len(data))/max)
			}
			if n != 40 || len(seen) != 40 {
				t.Fatalf("%d entries in parts, %d distinct", n, len(seen))
			}
		})
	}
}

func TestManifestBoundWithHostileText(t *testing.T) {
	es := entries(60, 2000)
	for i := range es {
		es[i].Name = strings.Repeat("&<\"", 30) + "\x01"
		es[i].College = strings.Repeat("'>", 40)
		es[i].Class = "=HYPERLINK(\"http://x\")"
		es[i].Major = " a,b\r\nc\""
	}
	const max = 80 << 10
	fs := newMemFS()
	res, err := Export(context.Background(), seq(es), Options{Task: "t", MaxPartBytes: max}, fs.create)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Parts {
		if p.Size > max {
			t.Fatalf("%s: %d bytes > %d", p.Name, p.Size, max)
		}
	}
	files := readZip(t, fs.files["t_part01.zip"].Bytes())
	rows := readCSV(t, files["manifest.csv"])
	if rows[1][5] != " a,b\nc\"" { // encoding/csv reads a quoted CRLF as LF
		t.Fatalf("CSV quoting: %q", rows[1][5])
	}
	if rows[1][6] != "'=HYPERLINK(\"http://x\")" {
		t.Fatalf("CSV formula not defused: %q", rows[1][6])
	}
	x, _ := excelize.OpenReader(bytes.NewReader(files["manifest.xlsx"]))
	defer x.Close()
	if f, _ := x.GetCellFormula(sheetName, "G2"); f != "" {
		t.Fatalf("xlsx cell has a formula %q", f)
	}
	if v, _ := x.GetCellValue(sheetName, "G2"); v != "=HYPERLINK(\"http://x\")" {
		t.Fatalf("xlsx value %q", v)
	}
}

func TestEmptySet(t *testing.T) {
	fs := newMemFS()
	res, err := Export(context.Background(), seq(nil), Options{Task: "empty"}, fs.create)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Parts) != 0 || res.Entries != 0 || len(res.Manifests) != 2 {
		t.Fatalf("result %+v", res)
	}
	if rows := readCSV(t, fs.files["empty_manifest.csv"].Bytes()); len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	if rows := readXLSX(t, fs.files["empty_manifest.xlsx"].Bytes()); len(rows) != 1 {
		t.Fatalf("xlsx rows %v", rows)
	}
}

func TestFolders(t *testing.T) {
	es := entries(3, 100)
	es[0].College, es[0].Class = "文/学院", ".."
	es[1].College, es[1].Class = "", "1班"
	fs := newMemFS()
	if _, err := Export(context.Background(), seq(es), Options{Folders: []Folder{FolderCollege, FolderClass}}, fs.create); err != nil {
		t.Fatal(err)
	}
	files := readZip(t, fs.files["export_part01.zip"].Bytes())
	for _, want := range []string{"文_学院/未分配/20230000.jpg", "未分配/1班/20230001.jpg", "学院2/0班/20230002.jpg"} {
		if _, ok := files[want]; !ok {
			t.Errorf("missing %s in %v", want, keysOf(files))
		}
	}
	if _, err := Export(context.Background(), seq(es), Options{Folders: []Folder{"dept"}}, newMemFS().create); err == nil {
		t.Fatal("unknown folder accepted")
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	es := entries(10, 500)
	a, b := newMemFS(), newMemFS()
	r1, err1 := Export(context.Background(), seq(es), Options{MaxPartBytes: 64 << 10}, a.create)
	r2, err2 := Export(context.Background(), seq(es), Options{MaxPartBytes: 64 << 10}, b.create)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for i := range r1.Parts {
		if r1.Parts[i].SHA256 != r2.Parts[i].SHA256 {
			t.Fatalf("part %d differs between runs", i+1)
		}
	}
}

func TestErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	dup := entries(3, 100)
	dup[2].Key = strings.ToLower("2023000A")
	dup[1].Key = "2023000a"
	bad := entries(2, 100)
	bad[1].Key = "../etc"
	big := entries(1, 2<<20)
	openErr := entries(2, 100)
	openErr[1].Open = func() (io.ReadCloser, error) { return nil, boom }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		seq  iter.Seq2[Entry, error]
		opts Options
		want error
	}{
		{"duplicate key (case-insensitive)", context.Background(), seq(dup), Options{}, ErrDuplicateKey},
		{"bad key", context.Background(), seq(bad), Options{}, ErrBadKey},
		{"photo over limit", context.Background(), seq(big), Options{MaxPhotoBytes: 1 << 20}, ErrPhotoTooLarge},
		{"photo over part", context.Background(), seq(big), Options{MaxPartBytes: 1 << 20}, ErrPhotoTooLarge},
		{"open error", context.Background(), seq(openErr), Options{}, boom},
		{"iteration error", context.Background(), func(yield func(Entry, error) bool) { yield(Entry{}, boom) }, Options{}, boom},
		{"cancelled", ctx, seq(entries(2, 10)), Options{}, context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := newMemFS()
			res, err := Export(c.ctx, c.seq, c.opts, fs.create)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if strings.Contains(err.Error(), "2023000") {
				t.Fatalf("error leaks a key: %v", err)
			}
			if len(fs.open) != 0 {
				t.Fatalf("files left open: %v", fs.open)
			}
			if got := res.Files(); len(got) != len(fs.files) {
				t.Fatalf("Files() = %v, created %v", got, fs.order)
			}
		})
	}
	if _, err := Export(context.Background(), seq(nil), Options{MaxPartBytes: 1000}, newMemFS().create); err == nil {
		t.Fatal("tiny MaxPartBytes accepted")
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"2025年学位照": "2025年学位照", "a/b\\c:d*e?f\"g<h>i|j": "a_b_c_d_e_f_g_h_i_j", " ..x.. ": "x", "": "fb", "\x00": "_",
		strings.Repeat("长", 100): strings.Repeat("长", 80),
	} {
		if got := SafeName(in, "fb"); got != want {
			t.Errorf("SafeName(%q) = %q want %q", in, got, want)
		}
	}
}

package delivery

import (
	"bytes"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

const sheetName = "清单"

// xlsxStream wraps an excelize stream writer for manifest rows.
type xlsxStream struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	row int
}

func newXLSXStream() (*xlsxStream, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		_ = f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	widths := []float64{8, 12, 22, 30, 16, 16, 16, 10, 20, 24, 66, 10}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	x := &xlsxStream{f: f, sw: sw}
	if err := x.add(manifestHeader); err != nil {
		_ = f.Close()
		return nil, err
	}
	return x, nil
}

// add writes one row; every value is a string cell (never a formula).
func (x *xlsxStream) add(cells []string) error {
	x.row++
	vals := make([]any, len(cells))
	for i, c := range cells {
		vals[i] = c
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, vals)
}

func (x *xlsxStream) finish(w io.Writer) error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	return x.f.Write(w)
}

// manifestXLSX renders rows (plus the header) as an XLSX file in memory.
func manifestXLSX(rows []manifestRow) ([]byte, error) {
	x, err := newXLSXStream()
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if err := x.add(rows[i].slice()); err != nil {
			_ = x.f.Close()
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := x.finish(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// manifestWriter streams the whole-task manifests: the CSV directly to its
// file, the XLSX through excelize's stream writer (which spills to a
// temporary file beyond 16 MB) until close.
type manifestWriter struct {
	base    string
	create  Creator
	csvFile io.WriteCloser
	xlsx    *xlsxStream
}

func newManifestWriter(base string, create Creator, res *Result) (*manifestWriter, error) {
	name := base + ".csv"
	f, err := create(name)
	if err != nil {
		return nil, fmt.Errorf("delivery: export: create %s: %w", name, err)
	}
	res.Manifests = append(res.Manifests, name)
	if _, err := io.WriteString(f, "\uFEFF"); err == nil {
		_, err = f.Write(csvLine(manifestHeader))
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("delivery: export: write %s: %w", name, err)
	}
	x, err := newXLSXStream()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("delivery: export: manifest xlsx: %w", err)
	}
	return &manifestWriter{base: base, create: create, csvFile: f, xlsx: x}, nil
}

func (m *manifestWriter) add(r manifestRow) error {
	if _, err := m.csvFile.Write(csvLine(r.slice())); err != nil {
		return fmt.Errorf("delivery: export: write %s.csv: %w", m.base, err)
	}
	if err := m.xlsx.add(r.slice()); err != nil {
		return fmt.Errorf("delivery: export: manifest xlsx: %w", err)
	}
	return nil
}

func (m *manifestWriter) close() error {
	err := m.csvFile.Close()
	m.csvFile = nil
	if err != nil {
		return fmt.Errorf("delivery: export: close %s.csv: %w", m.base, err)
	}
	return nil
}

// finishXLSX writes the whole-task XLSX manifest.
func (m *manifestWriter) finishXLSX(res *Result) error {
	name := m.base + ".xlsx"
	f, err := m.create(name)
	if err != nil {
		return fmt.Errorf("delivery: export: create %s: %w", name, err)
	}
	res.Manifests = append(res.Manifests, name)
	x := m.xlsx
	m.xlsx = nil
	if err := x.finish(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("delivery: export: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("delivery: export: close %s: %w", name, err)
	}
	return nil
}

func (m *manifestWriter) abort() {
	if m.csvFile != nil {
		_ = m.csvFile.Close()
		m.csvFile = nil
	}
	if m.xlsx != nil {
		_ = m.xlsx.f.Close()
		m.xlsx = nil
	}
}

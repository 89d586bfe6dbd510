package roster

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// parseXLSX parses an XLSX roster. excelize parses untrusted XML; a panic
// inside it is turned into a FileError rather than crashing the server.
func parseXLSX(data []byte, opts Options) (res *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, notXLSX(fmt.Errorf("panic in xlsx parser: %v", p))
		}
	}()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, notXLSX(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    opts.Limits.MaxUnzipSize,
		UnzipXMLSizeLimit: min(16<<20, opts.Limits.MaxUnzipSize), // larger parts are streamed from temp files
	})
	if err != nil {
		// excelize reports the limit only as text ("unzip size exceeds ...").
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fileErr(fmt.Sprintf("文件解压后超过%dMB，请分批导入", opts.Limits.MaxUnzipSize>>20), "xlsx unzip size limit: %v", err)
		}
		return nil, notXLSX(err)
	}
	defer f.Close()
	sheetPaths := sheetXMLPaths(zr)
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, notXLSX(errors.New("no sheets"))
	}
	for _, sheet := range sheets {
		res, found, err := parseSheet(f, zr, sheetPaths[sheet], sheet, opts)
		if err != nil {
			return nil, err
		}
		if found {
			return res, nil
		}
	}
	return nil, headerMissingErr()
}

func notXLSX(err error) *FileError {
	return fileErr("无法读取该Excel文件，请确认是.xlsx格式（可在Excel中另存为“Excel工作簿(.xlsx)”）", "not a readable xlsx: %v", err)
}

// parseSheet reads one sheet; found is false when it has no header row.
func parseSheet(f *excelize.File, zr *zip.Reader, xmlPath, sheet string, opts Options) (*Result, bool, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, false, notXLSX(err)
	}
	defer rows.Close()
	res := &Result{Format: "xlsx", Sheet: sheet}
	b := newBuilder(opts, res)
	var flags map[[2]int]uint8
	headerDone, scanned, line := false, 0, 0
	for rows.Next() {
		line++
		cells, err := rows.Columns()
		if err != nil {
			return nil, false, notXLSX(err)
		}
		if !headerDone {
			if allEmpty(cells) {
				continue
			}
			ok, err := b.tryHeader(cells)
			if err != nil {
				return nil, false, err
			}
			if ok {
				headerDone = true
				if flags, err = cellFlags(zr, xmlPath, opts.Limits.MaxUnzipSize); err != nil {
					return nil, false, notXLSX(err)
				}
				continue
			}
			if scanned++; scanned >= maxHeaderScan {
				return nil, false, nil
			}
			continue
		}
		ln := line
		if err := b.row(ln, cells, func(col int) uint8 { return flags[[2]int{ln, col}] }); err != nil {
			return nil, false, err
		}
	}
	if err := rows.Error(); err != nil {
		if errors.Is(err, excelize.ErrMaxRows) {
			return nil, false, fileErr(fmt.Sprintf("名单超过%d行，请分批导入", opts.Limits.MaxRows), "xlsx: %v", err)
		}
		return nil, false, notXLSX(err)
	}
	return res, headerDone, nil
}

// sheetXMLPaths maps sheet names to their part names (xl/worksheets/…) via
// xl/workbook.xml and its relationships.
func sheetXMLPaths(zr *zip.Reader) map[string]string {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	out := map[string]string{}
	if decodePart(zr, "xl/workbook.xml", &wb) != nil || decodePart(zr, "xl/_rels/workbook.xml.rels", &rels) != nil {
		return out
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		t := strings.TrimPrefix(r.Target, "/")
		if !strings.HasPrefix(t, "xl/") {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
	}
	for _, s := range wb.Sheets {
		out[s.Name] = targets[s.RID]
	}
	return out
}

func findPart(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(f.Name, "\\", "/"), name) {
			return f
		}
	}
	return nil
}

func decodePart(zr *zip.Reader, name string, v any) error {
	f := findPart(zr, name)
	if f == nil {
		return fmt.Errorf("part %s missing", name)
	}
	if f.UncompressedSize64 > 16<<20 {
		return fmt.Errorf("part %s too large", name)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// Cell flags found by cellFlags.
const (
	flagFormula uint8 = 1 << iota // the cell has a formula (<f>)
	flagNumber                    // the cell is numeric (no t attribute or t="n")
)

// cellFlags streams a worksheet part and returns flags by (row, 0-based
// column) for formula and numeric cells. The values excelize returns for
// formula cells are cached results; they are reported, never evaluated or
// used. Numeric cells matter for ID numbers: Excel keeps only 15 significant
// digits, so an 18-digit number stored as a number has lost its tail.
func cellFlags(zr *zip.Reader, xmlPath string, maxSize int64) (map[[2]int]uint8, error) {
	out := map[[2]int]uint8{}
	zf := findPart(zr, xmlPath)
	if zf == nil {
		return out, nil // unusual layout: excelize read it, so no formula info
	}
	if int64(zf.UncompressedSize64) > maxSize {
		return nil, fmt.Errorf("worksheet larger than %d bytes", maxSize)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	row, col := 0, -1
	for {
		tok, err := dec.RawToken() // no namespace translation: faster, local names suffice
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "row":
			row++
			col = -1
			for _, a := range se.Attr {
				if a.Name.Local == "r" {
					_, _ = fmt.Sscan(a.Value, &row)
				}
			}
		case "c":
			col++
			numeric := true
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "r":
					if c, r, err := excelize.CellNameToCoordinates(a.Value); err == nil {
						col, row = c-1, r
					}
				case "t":
					numeric = a.Value == "n"
				}
			}
			if numeric {
				out[[2]int{row, col}] |= flagNumber
			}
		case "f":
			out[[2]int{row, col}] |= flagFormula
		}
	}
}

package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// decodeText detects the encoding of a CSV file and returns UTF-8 text:
// UTF-8 (with or without BOM), UTF-16 with BOM (Excel's “Unicode text”), or
// GB18030/GBK (Excel on Chinese Windows saves “CSV (逗号分隔)” this way).
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", "", badEncoding("BOM says UTF-8 but content is not")
		}
		return string(data), "utf-8-bom", nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		enc, name := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le"
		if data[0] == 0xFE {
			enc, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be"
		}
		out, err := enc.NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return "", "", badEncoding("invalid UTF-16")
		}
		return string(out), name, nil
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", "", fileErr("不是有效的CSV文件（包含二进制内容），请上传xlsx或CSV文件", "NUL byte in CSV")
	}
	if utf8.Valid(data) {
		return string(data), "utf-8", nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return "", "", badEncoding("neither UTF-8 nor GB18030")
	}
	return string(out), "gb18030", nil
}

func badEncoding(log string) *FileError {
	return fileErr("文件编码无法识别，请在Excel中另存为“CSV UTF-8（逗号分隔）”或xlsx格式后重新上传", "bad encoding: %s", log)
}

// sniffDelimiter picks ',', '\t' or ';' by frequency in the first line.
func sniffDelimiter(text string) rune {
	line := text
	if i := bytes.IndexByte([]byte(text), '\n'); i >= 0 {
		line = text[:i]
	}
	best, bestN := ',', 0
	for _, d := range []rune{',', '\t', ';'} {
		n := 0
		for _, r := range line {
			if r == d {
				n++
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

func parseCSV(data []byte, opts Options) (*Result, error) {
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	res := &Result{Format: "csv", Encoding: enc}
	cr := csv.NewReader(bytes.NewReader([]byte(text)))
	cr.Comma = sniffDelimiter(text)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	b := newBuilder(opts, res)
	scanned := 0
	headerDone := false
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fileErr(fmt.Sprintf("CSV格式错误（第%d行），请检查引号是否成对", pe.StartLine), "csv parse error at line %d: %v", pe.StartLine, pe.Err)
			}
			return nil, fmt.Errorf("roster: read csv: %w", err)
		}
		if !headerDone {
			if allEmpty(rec) {
				continue
			}
			ok, err := b.tryHeader(rec)
			if err != nil {
				return nil, err
			}
			if ok {
				headerDone = true
				continue
			}
			if scanned++; scanned >= maxHeaderScan {
				return nil, headerMissingErr()
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if err := b.row(line, rec, nil); err != nil {
			return nil, err
		}
	}
	if !headerDone {
		return nil, headerMissingErr()
	}
	return res, nil
}

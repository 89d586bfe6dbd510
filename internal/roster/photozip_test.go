package roster

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var (
	fakeJPEG = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte("jpegdata"), 100)...)
	fakePNG  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("pngdata"), 100)...)
)

type zentry struct {
	name    string
	data    []byte
	nonUTF8 bool
	deflate bool
	raw     *zip.FileHeader // written with CreateRaw (data is already compressed)
}

func zipOf(t *testing.T, entries []zentry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var w interface{ Write([]byte) (int, error) }
		var err error
		switch {
		case e.raw != nil:
			w, err = zw.CreateRaw(e.raw)
		default:
			m := zip.Store
			if e.deflate {
				m = zip.Deflate
			}
			w, err = zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: m, NonUTF8: e.nonUTF8})
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func deflated(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(data)
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func collect(t *testing.T, data []byte, lim PhotoLimits) ([]Photo, []Skipped) {
	t.Helper()
	z, err := OpenPhotoZip(bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		t.Fatal(err)
	}
	var out []Photo
	for p, err := range z.Photos() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out, z.Skipped()
}

func TestPhotoZip(t *testing.T) {
	gbkName, _ := simplifiedchinese.GBK.NewEncoder().String("照片/2023002.jpg")
	zeros := make([]byte, 12<<20)
	lieBody := bytes.Repeat(fakeJPEG, 100)
	lieComp := deflated(t, lieBody)
	data := zipOf(t, []zentry{
		{name: "photos/", data: nil},
		{name: "photos/11010519491231002x.jpg", data: fakeJPEG},
		{name: "photos/sub/２０２３００１.PNG", data: fakePNG, deflate: true},
		{name: gbkName, data: fakeJPEG, nonUTF8: true},
		{name: "__MACOSX/photos/._11010519491231002x.jpg", data: []byte("junk")},
		{name: "photos/.DS_Store", data: []byte("junk")},
		{name: "Thumbs.db", data: []byte("junk")},
		{name: "photos/张三.jpg", data: fakeJPEG},
		{name: "photos/readme.txt", data: []byte("hello")},
		{name: "other/11010519491231002X.jpeg", data: fakeJPEG},
		{name: "big.jpg", data: zeros, deflate: true},
		{name: "bomb.jpg", data: append(append([]byte(nil), fakeJPEG[:4]...), make([]byte, 5<<20)...), deflate: true},
		{raw: &zip.FileHeader{Name: "liar.jpg", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(lieBody),
			CompressedSize64: uint64(len(lieComp)), UncompressedSize64: 1000}, data: lieComp},
		{raw: &zip.FileHeader{Name: "badcrc.jpg", Method: zip.Store, CRC32: 12345,
			CompressedSize64: uint64(len(fakeJPEG)), UncompressedSize64: uint64(len(fakeJPEG))}, data: fakeJPEG},
	})
	photos, skipped := collect(t, data, PhotoLimits{MaxEntrySize: 10 << 20})
	var got []string
	for _, p := range photos {
		got = append(got, p.Key+"|"+p.Name+"|"+p.Format)
	}
	want := []string{
		"11010519491231002X|photos/11010519491231002x.jpg|jpeg",
		"2023001|photos/sub/２０２３００１.PNG|png",
		"2023002|照片/2023002.jpg|jpeg",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("photos:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !bytes.Equal(photos[1].Data, fakePNG) {
		t.Fatal("png data mismatch")
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.Name] = s.Reason
	}
	for name, want := range map[string]string{
		"photos/张三.jpg":                 "文件名应为证件号码或学号",
		"photos/readme.txt":             "不是JPG或PNG图片",
		"other/11010519491231002X.jpeg": "重复",
		"big.jpg":                       "图片超过10MB",
		"bomb.jpg":                      "压缩比异常",
		"liar.jpg":                      "文件已损坏",
		"badcrc.jpg":                    "文件已损坏",
	} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("%s: reason %q, want %q", name, reasons[name], want)
		}
	}
	if len(skipped) != 7 {
		t.Errorf("skipped %d entries: %+v", len(skipped), skipped)
	}
}

func TestPhotoZipRejects(t *testing.T) {
	var entries []zentry
	for i := range 6 {
		entries = append(entries, zentry{name: strings.Repeat("a", i+1) + ".jpg", data: fakeJPEG})
	}
	data := zipOf(t, entries)
	for name, c := range map[string]struct {
		data []byte
		lim  PhotoLimits
		msg  string
	}{
		"not a zip":   {[]byte("hello world, not a zip"), PhotoLimits{}, "无法读取"},
		"too many":    {data, PhotoLimits{MaxEntries: 5}, "文件过多"},
		"total size":  {data, PhotoLimits{MaxTotalSize: 2000}, "解压后超过"},
		"empty input": {nil, PhotoLimits{}, "无法读取"},
	} {
		_, err := OpenPhotoZip(bytes.NewReader(c.data), int64(len(c.data)), c.lim)
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(fe.Message(), c.msg) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// Stopping early is allowed.
	z, err := OpenPhotoZip(bytes.NewReader(data), int64(len(data)), PhotoLimits{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range z.Photos() {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatal("early stop")
	}
}

// Command contactsheet standardizes every photo of a folder (default: the shared dev set) and
// writes a PNG contact sheet: for each photo the input, the standardized output and a 3×
// zoom of the output around the top of the head (hair edge: halo, fringe), with the verdict.
// Photos that get no file are shown with the failed checks (ID, value, accepted range) as
// the cell text. The dev-photo sheet must not be committed: write it under bench/out/
// (git-ignored). The committed sheet is made from the registry fixtures only (MIT, from
// pinned packages; see scripts/fetch-fixtures.sh):
//
//	go run ./bench/photo/contactsheet -o bench/out/photo_contact_sheet.png
//	go run ./bench/photo/contactsheet -dir .cache/fixtures -persons -o bench/photo/fixtures_contact_sheet.jpg
//
// With -persons, a photo with several faces is also cut into one crop per face (the face
// with room for the head above and the chest below, as a friend would frame it), and each
// crop is standardized as its own input: the registry fixtures are mostly group photos.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"xiaoxiang/internal/photo"
	"xiaoxiang/internal/vision"
)

func main() {
	dir := flag.String("dir", "../shared/testdata/portraits", "folder of photos (run from the repository root)")
	out := flag.String("o", "bench/out/photo_contact_sheet.png", "output PNG")
	models := flag.String("models", "models", "models directory")
	profileID := flag.String("profile", photo.DefaultProfileID, "profile")
	persons := flag.Bool("persons", false, "also standardize a crop around each face of group photos")
	flag.Parse()
	if err := run(*dir, *out, *models, *profileID, *persons); err != nil {
		fmt.Fprintln(os.Stderr, "contactsheet:", err)
		os.Exit(1)
	}
}

const (
	cellH = 320
	cellW = 240
	zoomW = 240
)

func run(dir, out, models, profileID string, persons bool) error {
	prof, err := photo.LookupProfile(profileID)
	if err != nil {
		return err
	}
	pl, err := photo.New(photo.Options{ModelsDir: models})
	if err != nil {
		return err
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	sort.Strings(files)
	var rows []row
	for _, f := range files {
		ext := strings.ToLower(filepath.Ext(f))
		if ext != ".jpg" && ext != ".png" && ext != ".webp" && ext != ".heic" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		img, err := photo.DecodeBytes(data, photo.DefaultLimits())
		if err != nil {
			fmt.Printf("%-30s rejected: %v\n", filepath.Base(f), err)
			rows = append(rows, row{name: filepath.Base(f), verdict: "rejected", lines: wrap(ascii(err.Error()), 40)})
			continue
		}
		inputs := []input{{filepath.Base(f), img}}
		if persons {
			rep, err := pl.Check(context.Background(), img, prof)
			if err != nil {
				return err
			}
			if a := rep.Analysis(); len(a.Faces) > 1 {
				inputs = inputs[:0]
				for i, fc := range a.Faces {
					if c := personCrop(img, fc.Box); c != nil {
						inputs = append(inputs, input{fmt.Sprintf("%s#%d", filepath.Base(f), i+1), c})
					}
				}
			}
		}
		for _, in := range inputs {
			r, err := standardizeRow(pl, in, prof)
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("no outputs")
	}
	const cols = 2
	inW := 0
	for _, r := range rows {
		if r.in != nil {
			inW = max(inW, r.in.Rect.Dx())
		}
	}
	colW := inW + cellW + zoomW + 30
	rowsN := (len(rows) + cols - 1) / cols
	sheet := image.NewRGBA(image.Rect(0, 0, cols*colW, rowsN*(cellH+20)))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.RGBA{40, 40, 40, 255}), image.Point{}, draw.Src)
	for i, r := range rows {
		x0, y0 := (i%cols)*colW+5, (i/cols)*(cellH+20)+18
		if r.in != nil {
			draw.Draw(sheet, r.in.Rect.Add(image.Pt(x0, y0)), r.in, image.Point{}, draw.Src)
		}
		if r.res != nil {
			draw.Draw(sheet, r.res.Rect.Add(image.Pt(x0+inW+5, y0)), r.res, image.Point{}, draw.Src)
			draw.Draw(sheet, r.zoom.Rect.Add(image.Pt(x0+inW+cellW+10, y0)), r.zoom, image.Point{}, draw.Src)
		}
		d := &font.Drawer{Dst: sheet, Src: image.NewUniform(color.RGBA{255, 255, 255, 255}), Face: basicfont.Face7x13, Dot: fixed.P(x0, y0-4)}
		d.DrawString(r.name + "  " + r.verdict)
		for k, l := range r.lines {
			d.Dot = fixed.P(x0+inW+10, y0+20+16*k)
			d.Src = image.NewUniform(color.RGBA{255, 200, 120, 255})
			d.DrawString(l)
		}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if strings.HasSuffix(out, ".jpg") {
		err = jpeg.Encode(f, sheet, &jpeg.Options{Quality: 88})
	} else {
		err = png.Encode(f, sheet)
	}
	if err != nil {
		f.Close()
		return err
	}
	nFiles := 0
	for _, r := range rows {
		if r.res != nil {
			nFiles++
		}
	}
	fmt.Printf("%d photos, %d files → %s\n", len(rows), nFiles, out)
	return f.Close()
}

type input struct {
	name string
	img  *photo.Image
}

type row struct {
	name, verdict string
	in, res, zoom *image.RGBA
	lines         []string // failure reasons (no output)
}

// standardizeRow standardizes one input and makes its contact sheet row.
func standardizeRow(pl *photo.Pipeline, in input, prof photo.Profile) (r row, err error) {
	res, err := pl.Standardize(context.Background(), in.img, prof)
	if err != nil {
		return r, err
	}
	w := in.img.RGBA.Rect.Dx() * cellH / in.img.RGBA.Rect.Dy()
	thumb := photo.Thumbnail(in.img.RGBA, max(1, w), cellH)
	if res.JPEG == nil {
		lines := failReasons(res)
		fmt.Printf("%-30s no output (%s): %s\n", in.name, res.Verdict, strings.Join(lines, "; "))
		r = row{name: in.name, verdict: "no file", in: thumb, lines: lines}
		return r, nil
	}
	o := res.Image()
	// 3× zoom of an 80×107 window centred on the head top.
	ht := int(res.Output.HeadTop)
	zx := prof.Width/2 - 40 + int(res.Output.CentreOffset)
	zy := max(0, ht-40)
	sub := image.NewRGBA(image.Rect(0, 0, 80, 107))
	draw.Draw(sub, sub.Rect, o, image.Pt(zx, zy), draw.Src)
	zoom := photo.Thumbnail(sub, zoomW, cellH)
	r = row{name: in.name, verdict: string(res.Verdict), in: thumb, res: photo.Thumbnail(o, cellW, cellH), zoom: zoom}
	fmt.Printf("%-30s %s q=%d %.1fKB head=%.0f eye=%.0f face=%.0f bgΔE=%.2f\n", in.name, res.Verdict, res.Quality,
		float64(res.Output.Bytes)/1024, res.Output.HeadTop, res.Output.EyeLine, res.Output.FaceWidth, res.Output.BgDeltaE)
	return r, nil
}

// personCrop cuts the region a friend would frame around one face of a group photo: 1.7
// face widths to each side, one above the box and 2.2 below it, clipped to the photo.
// Faces too small to standardize are skipped (nil).
func personCrop(img *photo.Image, box vision.Rect) *photo.Image {
	if box.W < 60 {
		return nil
	}
	fw, cx := box.W, box.X+box.W/2
	r := image.Rect(int(cx-1.7*fw), int(box.Y-1.0*fw), int(cx+1.7*fw), int(box.Y+box.H+2.2*fw)).Intersect(img.RGBA.Rect)
	sub := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(sub, sub.Rect, img.RGBA, r.Min, draw.Src)
	return &photo.Image{RGBA: sub, Format: img.Format, Width: r.Dx(), Height: r.Dy(), Orientation: 1, Shrink: 1, Bytes: img.Bytes}
}

// failReasons lists the failed checks of a photo that got no file: input checks that block
// standardization, then output verification failures, as ASCII lines (ID, value, range).
func failReasons(res *photo.Result) []string {
	var out []string
	add := func(c photo.Check) {
		l := fmt.Sprintf("%s = %.4g %s", c.ID, c.Value, ascii(c.Unit))
		if r := ascii(c.Range); strings.TrimSpace(r) != "" {
			l += " (ok: " + strings.TrimSpace(r) + ")"
		}
		if c.ID == photo.CheckFraming && res.Report.Measures.Plan.Problem != "" {
			l += " problem: " + res.Report.Measures.Plan.Problem
		}
		out = append(out, wrap(l, 40)...)
	}
	for _, c := range res.Report.Checks {
		if c.Verdict == photo.Fail {
			add(c)
		}
	}
	for _, c := range res.Verify {
		if c.Verdict == photo.Fail {
			add(c)
		}
	}
	if len(out) == 0 {
		out = []string{"no file (" + string(res.Verdict) + ")"}
	}
	return out
}

// ascii keeps what basicfont can draw (the check ranges and units are partly Chinese).
func ascii(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 'Δ':
			b.WriteString("d")
		case r == '≤':
			b.WriteString("<=")
		case r == '≥':
			b.WriteString(">=")
		case r == '–':
			b.WriteString("-")
		case r == '×':
			b.WriteString("x")
		case r >= 32 && r < 127:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// wrap breaks s into lines of at most n characters at spaces.
func wrap(s string, n int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		if cur != "" && len(cur)+1+len(w) > n {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// Command contactsheet standardizes every photo of a folder (default: the shared dev set) and
// writes a PNG contact sheet: for each photo the input, the standardized output and a 3×
// zoom of the output around the top of the head (hair edge: halo, fringe), with the verdict.
// The sheet shows the dev photos, which must not be committed: write it under bench/out/
// (git-ignored).
//
//	go run ./bench/photo/contactsheet -o bench/out/photo_contact_sheet.png
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"xiaoxiang/internal/photo"
)

func main() {
	dir := flag.String("dir", "/work/shared/testdata/portraits", "folder of photos")
	out := flag.String("o", "bench/out/photo_contact_sheet.png", "output PNG")
	models := flag.String("models", "models", "models directory")
	profileID := flag.String("profile", photo.DefaultProfileID, "profile")
	flag.Parse()
	if err := run(*dir, *out, *models, *profileID); err != nil {
		fmt.Fprintln(os.Stderr, "contactsheet:", err)
		os.Exit(1)
	}
}

const (
	cellH = 320
	cellW = 240
	zoomW = 240
)

func run(dir, out, models, profileID string) error {
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
	type row struct {
		name, verdict string
		in, res, zoom *image.RGBA
	}
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
			continue
		}
		res, err := pl.Standardize(context.Background(), img, prof)
		if err != nil {
			return err
		}
		if res.JPEG == nil {
			fmt.Printf("%-30s no output (%s)\n", filepath.Base(f), res.Verdict)
			continue
		}
		o := res.Image()
		w := img.RGBA.Rect.Dx() * cellH / img.RGBA.Rect.Dy()
		in := photo.Thumbnail(img.RGBA, max(1, w), cellH)
		// 3× zoom of an 80×107 window centred on the head top.
		ht := int(res.Output.HeadTop)
		zx := prof.Width/2 - 40 + int(res.Output.CentreOffset)
		zy := max(0, ht-40)
		sub := image.NewRGBA(image.Rect(0, 0, 80, 107))
		draw.Draw(sub, sub.Rect, o, image.Pt(zx, zy), draw.Src)
		zoom := photo.Thumbnail(sub, zoomW, cellH)
		rows = append(rows, row{filepath.Base(f), string(res.Verdict), in, photo.Thumbnail(o, cellW, cellH), zoom})
		fmt.Printf("%-30s %s q=%d %.1fKB head=%.0f eye=%.0f face=%.0f bgΔE=%.2f\n", filepath.Base(f), res.Verdict, res.Quality,
			float64(res.Output.Bytes)/1024, res.Output.HeadTop, res.Output.EyeLine, res.Output.FaceWidth, res.Output.BgDeltaE)
	}
	if len(rows) == 0 {
		return fmt.Errorf("no outputs")
	}
	const cols = 2
	inW := 0
	for _, r := range rows {
		inW = max(inW, r.in.Rect.Dx())
	}
	colW := inW + cellW + zoomW + 30
	rowsN := (len(rows) + cols - 1) / cols
	sheet := image.NewRGBA(image.Rect(0, 0, cols*colW, rowsN*(cellH+20)))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.RGBA{40, 40, 40, 255}), image.Point{}, draw.Src)
	for i, r := range rows {
		x0, y0 := (i%cols)*colW+5, (i/cols)*(cellH+20)+18
		draw.Draw(sheet, r.in.Rect.Add(image.Pt(x0, y0)), r.in, image.Point{}, draw.Src)
		draw.Draw(sheet, r.res.Rect.Add(image.Pt(x0+inW+5, y0)), r.res, image.Point{}, draw.Src)
		draw.Draw(sheet, r.zoom.Rect.Add(image.Pt(x0+inW+cellW+10, y0)), r.zoom, image.Point{}, draw.Src)
		d := &font.Drawer{Dst: sheet, Src: image.NewUniform(color.RGBA{255, 255, 255, 255}), Face: basicfont.Face7x13, Dot: fixed.P(x0, y0-4)}
		d.DrawString(r.name + "  " + r.verdict)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, sheet); err != nil {
		f.Close()
		return err
	}
	fmt.Printf("%d outputs → %s\n", len(rows), out)
	return f.Close()
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"xiaoxiang/internal/photo"
)

const photoUsage = `usage:
  xiaoxiang photo check PHOTO [--json] [--profile NAME] [--models DIR] [--debug-png OUT.png]
  xiaoxiang photo standardize PHOTO -o OUT.jpg [--profile NAME] [--json] [--models DIR] [--debug-png OUT.png]
  xiaoxiang photo profiles [--json]

Exit status: 0 pass or warn, 2 when the photo fails (or is rejected), 1 on usage or internal errors.
standardize writes OUT.jpg whenever every spec number is met and verified on the file, even when
advisory checks (pose, eyes, mouth, …) fail — then it exits 2 and the reviewer decides.
Profiles: ` + "%s" + ` (default ` + photo.DefaultProfileID + `).`

// runPhoto implements `xiaoxiang photo check|standardize|profiles`.
func runPhoto(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := fmt.Sprintf(photoUsage, strings.Join(photo.ProfileIDs(), ", "))
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("photo "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	profileID := fs.String("profile", photo.DefaultProfileID, "spec profile ID")
	models := fs.String("models", "", "models directory (default $XIAOXIANG_MODELS_DIR or ./models)")
	debugPNG := fs.String("debug-png", "", "write a PNG showing what was measured")
	out := fs.String("o", "", "output JPEG (standardize)")
	// Accept flags before and after the photo path.
	var positional []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("photo %s: %w", sub, err)}
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}

	if sub == "profiles" {
		return printProfiles(stdout, *asJSON)
	}
	if sub != "check" && sub != "standardize" {
		fmt.Fprintln(stderr, usage)
		return &exitError{code: 1, err: fmt.Errorf("photo: unknown subcommand %q", sub)}
	}
	if len(positional) != 1 {
		fmt.Fprintln(stderr, usage)
		return &exitError{code: 1, err: fmt.Errorf("photo %s: want exactly one PHOTO argument, got %d", sub, len(positional))}
	}
	if sub == "standardize" && *out == "" {
		return &exitError{code: 1, err: errors.New("photo standardize: -o OUT.jpg is required")}
	}
	prof, err := photo.LookupProfile(*profileID)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	dir := *models
	if dir == "" {
		dir = env("XIAOXIANG_MODELS_DIR")
	}
	if dir == "" {
		dir = "models"
	}

	f, err := os.Open(positional[0])
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("photo %s: %w", sub, err)}
	}
	img, err := photo.Decode(f, photo.DefaultLimits())
	f.Close()
	if err != nil {
		var pe *photo.Error
		if errors.As(err, &pe) {
			if *asJSON {
				_ = json.NewEncoder(stdout).Encode(map[string]any{"verdict": photo.Fail, "error": map[string]string{"code": pe.Code, "message": pe.Message}})
			} else {
				fmt.Fprintf(stdout, "不通过: %s\n", pe.Message)
			}
			return &exitError{code: 2, err: err}
		}
		return err
	}
	pl, err := photo.New(photo.Options{ModelsDir: dir, Workers: 1})
	if err != nil {
		return err
	}

	if sub == "check" {
		rep, err := pl.Check(ctx, img, prof)
		if err != nil {
			return err
		}
		if *debugPNG != "" {
			if err := writePNG(*debugPNG, photo.Annotate(img, rep)); err != nil {
				return err
			}
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(stdout, "%s  %s (%s)  %dx%d %s\n", filepath.Base(positional[0]), prof.Name, prof.ID, img.Width, img.Height, img.Format)
			printChecks(stdout, rep.Checks)
			fmt.Fprintf(stdout, "结果: %s\n", verdictZH(rep.Verdict))
		}
		if rep.Verdict == photo.Fail {
			return &exitError{code: 2, err: errors.New("photo check: the photo fails the profile")}
		}
		return nil
	}

	res, err := pl.Standardize(ctx, img, prof)
	if err != nil {
		return err
	}
	if res.JPEG != nil {
		if err := os.WriteFile(*out, res.JPEG, 0o644); err != nil {
			return fmt.Errorf("photo standardize: %w", err)
		}
	}
	if *debugPNG != "" {
		in := photo.Annotate(img, res.Report)
		var sheet image.Image = in
		if o := photo.AnnotateResult(res, prof); o != nil {
			// Input scaled to the output height, side by side.
			h := o.Rect.Dy()
			w := in.Rect.Dx() * h / in.Rect.Dy()
			s := image.NewRGBA(image.Rect(0, 0, w+o.Rect.Dx(), h))
			draw.Draw(s, image.Rect(w, 0, w+o.Rect.Dx(), h), o, image.Point{}, draw.Src)
			draw.Draw(s, image.Rect(0, 0, w, h), photo.Thumbnail(in, w, h), image.Point{}, draw.Src)
			sheet = s
		}
		if err := writePNG(*debugPNG, sheet); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%s  %s (%s)\n", filepath.Base(positional[0]), prof.Name, prof.ID)
		fmt.Fprintln(stdout, "输入检测:")
		printChecks(stdout, res.Report.Checks)
		if len(res.Verify) > 0 {
			fmt.Fprintln(stdout, "制作结果复核:")
			printChecks(stdout, res.Verify)
		}
		if res.JPEG != nil {
			fmt.Fprintf(stdout, "已生成: %s  %d×%d  %.1f KB  质量 %d  %d dpi\n", *out, res.Output.W, res.Output.H, float64(res.Output.Bytes)/1024, res.Output.Quality, res.Output.DPI)
		} else {
			fmt.Fprintln(stdout, "未生成文件: 照片无法满足规格要求")
		}
		fmt.Fprintf(stdout, "结果: %s\n", verdictZH(res.Verdict))
	}
	if res.JPEG == nil || res.Verdict == photo.Fail {
		return &exitError{code: 2, err: errors.New("photo standardize: the photo fails the profile")}
	}
	return nil
}

func verdictZH(v photo.Verdict) string {
	switch v {
	case photo.Pass:
		return "通过"
	case photo.Warn:
		return "提示（请人工确认）"
	}
	return "不通过"
}

func printChecks(w io.Writer, cs []photo.Check) {
	rows := [][]string{{"项目", "测量值", "要求", "结果", "建议"}}
	for _, c := range cs {
		rows = append(rows, []string{c.Name, strings.TrimSpace(trimFloat(c.Value) + " " + c.Unit), c.Range, verdictZH(c.Verdict), c.Message})
	}
	printColumns(w, rows)
}

// printColumns writes rows as aligned columns, two spaces apart, measuring text in
// terminal cells: Chinese characters take two (text/tabwriter counts them as one, so
// its columns drift in a terminal).
func printColumns(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], cellWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-cellWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// cellWidth is the width of s in terminal cells: East Asian wide and fullwidth
// characters count two.
func cellWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
			n += 2
		default:
			n++
		}
	}
	return n
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func printProfiles(w io.Writer, asJSON bool) error {
	ps := photo.BuiltinProfiles()
	if asJSON {
		var list []photo.Profile
		for _, id := range photo.ProfileIDs() {
			list = append(list, ps[id])
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	for _, id := range photo.ProfileIDs() {
		p := ps[id]
		fmt.Fprintf(w, "%-14s %s  %d×%d  RGB(%d,%d,%d)  %d–%d KB  q≥%d  %d dpi\n", p.ID, p.Name, p.Width, p.Height,
			p.Background[0], p.Background[1], p.Background[2], p.MinBytes>>10, p.MaxBytes>>10, p.MinQuality, p.DPI)
	}
	return nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("photo: debug png: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("photo: debug png: %w", err)
	}
	return f.Close()
}

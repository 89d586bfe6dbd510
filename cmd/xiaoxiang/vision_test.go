package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoFile returns a path under the repository root (cmd/xiaoxiang is two levels down).
func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

func modelsForTest(t *testing.T) string {
	d := os.Getenv("XIAOXIANG_MODELS_DIR")
	if d == "" {
		d = repoFile("models")
	}
	if _, err := os.Stat(filepath.Join(d, "face_landmark.tflite")); err != nil {
		t.Skip("models missing: run scripts/fetch-models.sh")
	}
	return d
}

func TestVisionAnalyzeCLI(t *testing.T) {
	models := modelsForTest(t)
	photo := repoFile(".cache", "fixtures", "pigo_sample.jpg")
	if _, err := os.Stat(photo); err != nil {
		t.Skip("fixtures missing: run scripts/fetch-fixtures.sh")
	}
	ctx := context.Background()
	env := func(string) string { return "" }
	debug := filepath.Join(t.TempDir(), "debug.png")
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"vision", "analyze", "--models", models, "--json", "--debug-png", debug, photo}, env, &out, &errb); err != nil {
		t.Fatalf("vision analyze: %v (%s)", err, errb.String())
	}
	var res struct {
		Width, Height int
		Faces         []struct{ Score float64 }
		Main          *struct {
			Pose      struct{ Yaw, Pitch, Roll float64 }
			MouthOpen float64
			Mesh      []any
		}
		Mask *struct {
			W, H     int
			Coverage float64
		}
		HeadTopFound bool
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out.String())
	}
	if res.Width != 320 || res.Height != 400 || len(res.Faces) != 1 || res.Main == nil || res.Mask == nil {
		t.Fatalf("analysis of the frontal fixture: %+v", res)
	}
	if res.Main.Mesh != nil {
		t.Error("the mesh is in the JSON without --mesh")
	}
	if p := res.Main.Pose; abs(p.Yaw) > 10 || abs(p.Roll) > 8 || abs(p.Pitch) > 12 {
		t.Errorf("frontal face pose = %+v", p)
	}
	if res.Mask.W != 320 || res.Mask.Coverage < 0.1 || res.Mask.Coverage > 0.9 || !res.HeadTopFound {
		t.Errorf("mask = %+v, head top found %v", res.Mask, res.HeadTopFound)
	}
	f, err := os.Open(debug)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() != 320 {
		t.Fatalf("debug PNG: %v", err)
	}
	// The table form names the faces and the pose.
	out.Reset()
	if err := run(ctx, []string{"vision", "analyze", "--models", models, photo}, env, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "faces") {
		t.Errorf("table output: %s", out.String())
	}
	// A missing file is an error, not a panic.
	if err := run(ctx, []string{"vision", "analyze", "--models", models, "/nonexistent.jpg"}, env, &out, &errb); err == nil {
		t.Error("a missing photo was accepted")
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

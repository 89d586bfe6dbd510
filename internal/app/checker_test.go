package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"xiaoxiang"
	"xiaoxiang/internal/testenv"
)

// TestCheckerReusesCheck: standardizing the photo that was just checked reuses the check's
// decoded image and analysis, and gives the same file as standardizing it from scratch.
func TestCheckerReusesCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("real pipeline: skipped in -short")
	}
	models := testenv.ModelsDir(t)
	var data []byte
	for _, p := range []string{filepath.Join(testenv.PortraitsDir(t), "hivision_test3.jpg"), filepath.Join(testenv.FixturesDir(t), "faceapi_sample3.jpg")} {
		if b, err := os.ReadFile(p); err == nil {
			data = b
			break
		}
	}
	if data == nil {
		t.Fatal("no portrait: run make fixtures")
	}
	ctx := context.Background()
	sp := &xiaoxiang.SpecProfile{ID: "chsi-blue"}
	warm := NewPhotoChecker(models).(*photoChecker)
	if _, err := warm.Check(ctx, data, sp); err != nil {
		t.Fatal(err)
	}
	// Another profile's standardization must not take this report.
	white := &xiaoxiang.SpecProfile{ID: "chsi-white"}
	if _, err := warm.Standardize(ctx, data, white); err != nil {
		t.Fatal(err)
	}
	if warm.hits != 0 {
		t.Fatalf("a report checked against chsi-blue was reused for chsi-white")
	}
	got, err := warm.Standardize(ctx, data, sp)
	if err != nil {
		t.Fatal(err)
	}
	if warm.hits != 1 {
		t.Fatalf("hits = %d, want 1", warm.hits)
	}
	cold := NewPhotoChecker(models)
	want, err := cold.Standardize(ctx, data, sp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.JPEG, want.JPEG) {
		t.Fatalf("reused analysis gave a different file (%d vs %d bytes)", len(got.JPEG), len(want.JPEG))
	}
	// A report is used once: the next standardization starts from the file again.
	if _, err := warm.Standardize(ctx, data, sp); err != nil {
		t.Fatal(err)
	}
	if warm.hits != 1 {
		t.Fatalf("hits = %d after a second standardization, want still 1", warm.hits)
	}
}

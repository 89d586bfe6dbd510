package tflite

import (
	"os"
	"path/filepath"
	"testing"
)

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// modelsDir is $XIAOXIANG_MODELS_DIR or <repo root>/models.
func modelsDir(t testing.TB) string {
	if d := os.Getenv("XIAOXIANG_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(t), "models")
}

func loadModel(t testing.TB, name string) *Model {
	t.Helper()
	m, err := Load(filepath.Join(modelsDir(t), name))
	if err != nil {
		t.Fatalf("load %s: %v (run scripts/fetch-models.sh)", name, err)
	}
	return m
}

var modelFiles = []string{
	"face_detection_short_range.tflite",
	"face_landmark.tflite",
	"selfie_segmentation.tflite",
	"pose_landmark_lite.tflite",
}

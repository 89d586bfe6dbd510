package tflite

import (
	"path/filepath"
	"testing"
	"xiaoxiang/internal/testenv"
)

func repoRoot(t testing.TB) string { return testenv.Root(t) }

func modelsDir(t testing.TB) string { return testenv.ModelsDir(t) }

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

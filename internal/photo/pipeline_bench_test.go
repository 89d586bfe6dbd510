package photo

import (
	"context"
	"testing"
)

// benchResult standardizes a dev portrait once (skips without the dev set).
func benchResult(b *testing.B) (*Pipeline, *Result) {
	b.Helper()
	data := devPhoto(b, "u2net_man.jpg")
	p, err := New(Options{ModelsDir: modelsDir(b)})
	if err != nil {
		b.Fatal(err)
	}
	img, err := DecodeBytes(data, DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	res, err := p.Standardize(context.Background(), img, mustProfile(b, DefaultProfileID))
	if err != nil || res.JPEG == nil {
		b.Fatalf("standardize: %v %+v", err, res.Verify)
	}
	return p, res
}

// BenchmarkVerify measures the verification of one standardized file (decode, analysis
// with the face hint, spec numbers, background ΔE).
func BenchmarkVerify(b *testing.B) {
	p, res := benchResult(b)
	prof := mustProfile(b, DefaultProfileID)
	b.ResetTimer()
	for range b.N {
		r := &Result{Report: res.Report}
		if err := p.verify(context.Background(), r, res.JPEG, &prof); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck measures analysis and checks of one decoded dev portrait.
func BenchmarkCheck(b *testing.B) {
	p, res := benchResult(b)
	prof := mustProfile(b, DefaultProfileID)
	img := res.Report.img
	b.ResetTimer()
	for range b.N {
		if _, err := p.Check(context.Background(), img, prof); err != nil {
			b.Fatal(err)
		}
	}
}

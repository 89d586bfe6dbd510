package photo

import (
	"context"
	"image"
	"image/color"
	"testing"
)

// Expectations from the human notes in the dev set's MANIFEST.tsv: each photo shows a known
// defect (or none), and the matching check must say so.
func TestChecksOnDevPhotos(t *testing.T) {
	pl := testPipeline(t)
	prof := chsiBlue()
	cases := []struct {
		file   string
		note   string
		expect map[string][]Verdict
	}{
		{"u2net_man.jpg", "frontal, ID-like framing, plain background", map[string][]Verdict{
			CheckSingleFace: {Pass}, CheckFacePose: {Pass}, CheckHeadComplete: {Pass}, CheckFaceComplete: {Pass},
			CheckBlur: {Pass}, CheckEyes: {Pass}, CheckMouth: {Pass}, CheckBackground: {Pass}, CheckFraming: {Pass}}},
		{"hivision_test3.jpg", "ID-photo-like, slight smile", map[string][]Verdict{
			CheckSingleFace: {Pass}, CheckFacePose: {Pass}, CheckHeadComplete: {Pass}, CheckEyes: {Pass}, CheckFraming: {Pass}}},
		{"rembg_girl-1.jpg", "sunglasses", map[string][]Verdict{CheckEyes: {Fail}}},
		{"rembg_girl-2.jpg", "back view, no face", map[string][]Verdict{CheckSingleFace: {Fail}}},
		{"rembg_girl-3.jpg", "looking back over the shoulder", map[string][]Verdict{CheckFacePose: {Fail}}},
		{"openface_longoria-cooper.jpg", "two people", map[string][]Verdict{CheckSingleFace: {Fail}}},
		{"facenet_paul_rudd.jpg", "head top cut", map[string][]Verdict{CheckHeadComplete: {Fail}}},
		{"u2net_img_1616.png", "smile with teeth", map[string][]Verdict{CheckMouth: {Fail}}},
		{"u2net_guliNazha3.jpg", "head tilted back and to the side", map[string][]Verdict{CheckFacePose: {Fail}}},
		{"gocv_face.jpg", "cluttered office background", map[string][]Verdict{CheckBackground: {Warn}}},
		{"facenet_kate_siegel.jpg", "sponsor-logo backdrop", map[string][]Verdict{CheckBackground: {Warn}}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			img := mustDecode(t, devPhoto(t, c.file))
			rep, err := pl.Check(context.Background(), img, prof)
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range c.expect {
				got := checkByID(rep.Checks, id)
				ok := false
				for _, v := range want {
					ok = ok || got.Verdict == v
				}
				if !ok {
					t.Errorf("%s (%s): %s = %s (value %v %s), want %v", c.file, c.note, id, got.Verdict, got.Value, got.Unit, want)
				}
			}
		})
	}
}

// Clothing recoloured to the background colour must fail the contrast check.
func TestClothingSameColourAsBackground(t *testing.T) {
	pl := testPipeline(t)
	img := mustDecode(t, devPhoto(t, "u2net_man.jpg"))
	prof := chsiBlue()
	ref, err := pl.Check(context.Background(), img, prof)
	if err != nil {
		t.Fatal(err)
	}
	if c := checkByID(ref.Checks, CheckClothing); c.Verdict != Pass {
		t.Fatalf("reference (black shirt on blue): %+v", c)
	}
	a := ref.Analysis()
	out := image.NewRGBA(img.RGBA.Rect)
	copy(out.Pix, img.RGBA.Pix)
	chin := int(a.Main.Chin.Y + 0.3*a.Main.FaceWidth)
	bg := color.RGBA{prof.Background[0], prof.Background[1], prof.Background[2], 255}
	for y := chin; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			if a.Mask.Pix[y*a.Mask.W+x] >= 128 {
				// Keep the shirt's shading, move its colour to the background's.
				l := float64(out.Pix[out.PixOffset(x, y)]) / 255
				k := 0.85 + 0.3*l
				out.SetRGBA(x, y, color.RGBA{clamp8f(float32(float64(bg.R) * k)), clamp8f(float32(float64(bg.G) * k)), clamp8f(float32(float64(bg.B) * k)), 255})
			}
		}
	}
	rep, err := pl.Check(context.Background(), fromRGBA(out), prof)
	if err != nil {
		t.Fatal(err)
	}
	if c := checkByID(rep.Checks, CheckClothing); c.Verdict != Fail || c.Message == "" {
		t.Errorf("blue shirt on blue: %+v", c)
	}
}

// A shadow cast on the wall next to the person (background darkened by 35 % in a band beside
// the silhouette) must be flagged.
func TestBackgroundShadow(t *testing.T) {
	pl := testPipeline(t)
	img := mustDecode(t, devPhoto(t, "u2net_man.jpg"))
	prof := chsiBlue()
	ref, err := pl.Check(context.Background(), img, prof)
	if err != nil {
		t.Fatal(err)
	}
	if c := checkByID(ref.Checks, CheckBackground); c.Verdict != Pass {
		t.Fatalf("reference background: %+v", c)
	}
	a := ref.Analysis()
	W, H := img.RGBA.Rect.Dx(), img.RGBA.Rect.Dy()
	near := make([]float32, W*H)
	for i, v := range a.Mask.Pix {
		near[i] = float32(v) / 255
	}
	boxBlur(near, make([]float32, W*H), W, H, 1, int(0.15*a.Main.FaceWidth))
	out := image.NewRGBA(img.RGBA.Rect)
	copy(out.Pix, img.RGBA.Pix)
	for i := range W * H {
		if a.Mask.Pix[i] < 20 && near[i] > 0.01 {
			for c := range 3 {
				out.Pix[4*i+c] = uint8(float32(out.Pix[4*i+c]) * 0.65)
			}
		}
	}
	rep, err := pl.Check(context.Background(), fromRGBA(out), prof)
	if err != nil {
		t.Fatal(err)
	}
	if c := checkByID(rep.Checks, CheckBackground); c.Verdict != Warn || !rep.Measures.BgShadowValid || rep.Measures.BgShadow >= prof.Thresholds.BgShadowWarn {
		t.Errorf("shadowed background: %+v (shadow ratio %.2f)", c, rep.Measures.BgShadow)
	}
}

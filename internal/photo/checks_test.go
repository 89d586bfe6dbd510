package photo

import "testing"

// goodMeasures passes every check of chsi-blue.
func goodMeasures() Measures {
	return Measures{
		Faces: 1, FaceFound: true, Pitch: -6, FaceWidthPx: 400, FaceFrac: 0.45,
		HeadTopFound: true, FaceInside: 1, Sharpness: 15,
		ShouldersFound: true, ShoulderConf: 0.8, ShoulderTilt: 2,
		Brightness: 150, LightRatio: 0.9, EyeOpen: 0.3, EyeDark: 0.6, MouthOpen: 0.03,
		BgClutter: 1, BgShadow: 1, BgShadowValid: true, ClothDeltaE: 60, ClothPixels: 5000,
		Plan: Plan{Feasible: true},
	}
}

func TestEvaluateThresholds(t *testing.T) {
	p := chsiBlue()
	if v := Overall(evaluate(goodMeasures(), &p)); v != Pass {
		t.Fatalf("good measures: %s", v)
	}
	cases := []struct {
		name string
		mod  func(*Measures)
		id   string
		want Verdict
	}{
		{"no face", func(m *Measures) { m.Faces, m.FaceFound = 0, false }, CheckSingleFace, Fail},
		{"two faces", func(m *Measures) { m.Faces = 2 }, CheckSingleFace, Fail},
		{"yaw just inside", func(m *Measures) { m.Yaw = 7.9 }, CheckFacePose, Pass},
		{"yaw warn", func(m *Measures) { m.Yaw = -10 }, CheckFacePose, Warn},
		{"yaw fail", func(m *Measures) { m.Yaw = 16 }, CheckFacePose, Fail},
		{"pitch at the frontal offset", func(m *Measures) { m.Pitch = -6 }, CheckFacePose, Pass},
		{"looking down", func(m *Measures) { m.Pitch = -30 }, CheckFacePose, Fail},
		{"looking up", func(m *Measures) { m.Pitch = 10 }, CheckFacePose, Warn},
		{"roll fail", func(m *Measures) { m.Roll = 11 }, CheckFacePose, Fail},
		{"face tiny", func(m *Measures) { m.FaceWidthPx = 90 }, CheckFaceSize, Fail},
		{"face small", func(m *Measures) { m.FaceWidthPx = 150 }, CheckFaceSize, Warn},
		{"face fills the frame", func(m *Measures) { m.FaceFrac = 0.85 }, CheckFaceSize, Fail},
		{"head cut", func(m *Measures) { m.HeadTopCut, m.HeadTopFound = true, false }, CheckHeadComplete, Fail},
		{"face partly outside", func(m *Measures) { m.FaceInside = 0.9 }, CheckFaceComplete, Fail},
		{"soft", func(m *Measures) { m.Sharpness = 5 }, CheckBlur, Warn},
		{"blurred", func(m *Measures) { m.Sharpness = 2 }, CheckBlur, Fail},
		{"shoulders tilted", func(m *Measures) { m.ShoulderTilt = 8 }, CheckShouldersLevel, Warn},
		{"shoulders very tilted", func(m *Measures) { m.ShoulderTilt = 16 }, CheckShouldersLevel, Fail},
		{"no shoulders", func(m *Measures) { m.ShouldersFound = false }, CheckShoulders, Fail},
		{"weak shoulders", func(m *Measures) { m.ShoulderConf = 0.1 }, CheckShoulders, Fail},
		{"dark", func(m *Measures) { m.Brightness = 40 }, CheckBrightness, Fail},
		{"dim", func(m *Measures) { m.Brightness = 70 }, CheckBrightness, Warn},
		{"bright", func(m *Measures) { m.Brightness = 230 }, CheckBrightness, Warn},
		{"burnt", func(m *Measures) { m.Brightness = 245 }, CheckBrightness, Fail},
		{"side light", func(m *Measures) { m.LightRatio = 0.5 }, CheckLighting, Warn},
		{"eyes closed", func(m *Measures) { m.EyeOpen = 0.08 }, CheckEyes, Fail},
		{"eyes narrow", func(m *Measures) { m.EyeOpen = 0.15 }, CheckEyes, Warn},
		{"sunglasses", func(m *Measures) { m.EyeDark = 0.15 }, CheckEyes, Fail},
		{"mouth ajar", func(m *Measures) { m.MouthOpen = 0.12 }, CheckMouth, Warn},
		{"mouth open", func(m *Measures) { m.MouthOpen = 0.3 }, CheckMouth, Fail},
		{"clutter", func(m *Measures) { m.BgClutter = 8 }, CheckBackground, Warn},
		{"shadow", func(m *Measures) { m.BgShadow = 0.6 }, CheckBackground, Warn},
		{"slight shading is fine", func(m *Measures) { m.BgShadow = 0.75 }, CheckBackground, Pass},
		{"clothing close", func(m *Measures) { m.ClothDeltaE = 18 }, CheckClothing, Warn},
		{"clothing same", func(m *Measures) { m.ClothDeltaE = 8 }, CheckClothing, Fail},
		{"no clothing", func(m *Measures) { m.ClothPixels = 10 }, CheckClothing, Warn},
		{"body cut", func(m *Measures) { m.Plan = Plan{Problem: "bottom", Missing: 40} }, CheckFraming, Fail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := goodMeasures()
			c.mod(&m)
			cs := evaluate(m, &p)
			got := checkByID(cs, c.id)
			if got.Verdict != c.want {
				t.Fatalf("%s = %s (value %v), want %s", c.id, got.Verdict, got.Value, c.want)
			}
			if (got.Verdict == Pass) != (got.Message == "") {
				t.Errorf("verdict %s with message %q", got.Verdict, got.Message)
			}
			if got.Name == "" || got.Range == "" {
				t.Errorf("check lacks a name or range: %+v", got)
			}
			// Every other check is unaffected.
			for _, o := range cs {
				if o.ID != c.id && o.Verdict != Pass && !(o.ID == CheckShouldersLevel && c.id == CheckShoulders) {
					t.Errorf("side effect: %s = %s", o.ID, o.Verdict)
				}
			}
		})
	}
}

func TestProfilesValidAndJSON(t *testing.T) {
	for _, id := range ProfileIDs() {
		p, err := LookupProfile(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	if _, err := LookupProfile("nope"); err == nil {
		t.Error("unknown profile accepted")
	}
	p, _ := LookupProfile("")
	if p.ID != DefaultProfileID || p.Width != 480 || p.Height != 640 || p.Background != [3]uint8{100, 197, 255} {
		t.Errorf("default profile %+v", p)
	}
	data := []byte(`{"id":"x","name":"测试","width":300,"height":400,"background":[255,255,255],
		"head_top":{"min":30,"max":70},"eye_line":{"min":130,"max":190},"face_width":{"min":110,"max":190},
		"min_bytes":0,"max_bytes":30000,"min_quality":60,"dpi":300,"thresholds":{"yaw_warn":8}}`)
	q, err := ParseProfile(data)
	if err != nil || q.Width != 300 || q.Thresholds.YawWarn != 8 {
		t.Errorf("parse: %v %+v", err, q)
	}
	bad := []string{
		`{"id":"x","width":10,"height":10}`,
		`{"id":"x","width":300,"height":400,"head_top":{"min":200,"max":250},"eye_line":{"min":100,"max":150},"face_width":{"min":100,"max":200},"max_bytes":1000,"min_quality":60,"dpi":300}`,
		`{"id":"x","width":300,"height":400,"head_top":{"min":20,"max":50},"eye_line":{"min":100,"max":150},"face_width":{"min":100,"max":200},"max_bytes":0,"min_quality":60,"dpi":300}`,
		`not json`,
	}
	for _, b := range bad {
		if _, err := ParseProfile([]byte(b)); err == nil {
			t.Errorf("accepted %s", b)
		}
	}
}

// Annotate draws on a copy and tolerates a report without an analysis.
func TestAnnotateCopies(t *testing.T) {
	img := mustDecode(t, fixture(t, "pigo_sample.jpg"))
	before := append([]byte(nil), img.RGBA.Pix...)
	out := Annotate(img, &Report{Profile: "chsi-blue", Verdict: Fail, Checks: []Check{{ID: CheckBlur, Verdict: Fail}}})
	if out.Rect != img.RGBA.Rect {
		t.Fatalf("size %v", out.Rect)
	}
	if string(before) != string(img.RGBA.Pix) {
		t.Error("Annotate modified its input")
	}
	if string(out.Pix) == string(img.RGBA.Pix) {
		t.Error("nothing drawn")
	}
	if AnnotateResult(nil, chsiBlue()) != nil {
		t.Error("AnnotateResult(nil) not nil")
	}
}

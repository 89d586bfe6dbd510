package photo

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Range is a closed interval [Min, Max].
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Mid is the centre of the range.
func (r Range) Mid() float64 { return (r.Min + r.Max) / 2 }

// Half is half the width of the range.
func (r Range) Half() float64 { return (r.Max - r.Min) / 2 }

// Contains reports Min ≤ v ≤ Max.
func (r Range) Contains(v float64) bool { return v >= r.Min && v <= r.Max }

// Profile is a photo specification: output size, background, geometry in output pixels,
// file constraints and the thresholds of the quality checks. It is plain data (JSON) so an
// operator can store and edit profiles in the database.
type Profile struct {
	ID   string `json:"id"`   // e.g. "chsi-blue"
	Name string `json:"name"` // zh-CN, e.g. "学信网学历照片（蓝底）"
	// Width and Height of the output in pixels.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Background is the spec colour as RGB.
	Background [3]uint8 `json:"background"`
	// HeadTop is the distance of the top of the head (hair included) from the top edge, px.
	HeadTop Range `json:"head_top"`
	// EyeLine is the distance of the eye line from the top edge, px.
	EyeLine Range `json:"eye_line"`
	// FaceWidth is the cheek-to-cheek face width, px.
	FaceWidth Range `json:"face_width"`
	// MinBytes and MaxBytes bound the output file size (MinBytes 0 = no lower bound).
	MinBytes int `json:"min_bytes"`
	MaxBytes int `json:"max_bytes"`
	// MinQuality is the lowest accepted JPEG quality factor (IJG scale).
	MinQuality int `json:"min_quality"`
	// DPI is written into the JFIF header.
	DPI int `json:"dpi"`
	// Thresholds of the quality checks.
	Thresholds Thresholds `json:"thresholds"`
}

// Thresholds are the limits of the quality checks. "Warn" bounds mark advisory findings
// (the human reviewer decides); "Fail" bounds mark photos that cannot be accepted.
// Angles in degrees; ratios are unitless; luminance is Rec. 601 luma 0–255.
type Thresholds struct {
	// Head pose (人脸方向). ISO/ICAO practice is ±5° yaw/pitch, ±8° roll; the CHSI text says
	// "平视, 耳朵对称". Warn/fail leave room for the pose fit's own error (≈2–3°).
	// PitchCentre is the pitch the pose fit reports for a level gaze; it measured ≈ −6° on
	// the frontal development photos (camera slightly above eye level is typical), so pitch
	// is judged as the deviation from it.
	PitchCentre float64 `json:"pitch_centre"`
	YawWarn     float64 `json:"yaw_warn"`
	YawFail     float64 `json:"yaw_fail"`
	PitchWarn   float64 `json:"pitch_warn"`
	PitchFail   float64 `json:"pitch_fail"`
	RollWarn    float64 `json:"roll_warn"`
	RollFail    float64 `json:"roll_fail"`
	// Face size (脸部占比): face width in the source must allow the output face width without
	// heavy upscaling. Below FaceMinPx × (profile face-width mid / 240) fails (100 → more than
	// 2.4× upscaling); below the profile's FaceWidth.Min warns (any upscaling).
	// FaceMaxFrac fails a face wider than this fraction of the photo (too close).
	FaceMinPx   float64 `json:"face_min_px"`
	FaceMaxFrac float64 `json:"face_max_frac"`
	// Face complete (人脸完整): share of mesh points that must lie inside the photo.
	FaceInsideMin float64 `json:"face_inside_min"`
	// Blur (人脸模糊): sharpness score of the eye region normalised to a fixed face size.
	SharpWarn float64 `json:"sharp_warn"`
	SharpFail float64 `json:"sharp_fail"`
	// Shoulders (肩膀齐平 / 检测肩膀): tilt of the shoulder line; minimum confidence.
	ShoulderTiltWarn float64 `json:"shoulder_tilt_warn"`
	ShoulderTiltFail float64 `json:"shoulder_tilt_fail"`
	ShoulderConfMin  float64 `json:"shoulder_conf_min"`
	// Face brightness (脸部亮度): mean skin luma. Outside Warn → warn, outside Fail → fail.
	BrightWarn Range `json:"bright_warn"`
	BrightFail Range `json:"bright_fail"`
	// LightRatioWarn: darker/brighter face half luma ratio below this warns (阴阳脸).
	LightRatioWarn float64 `json:"light_ratio_warn"`
	// Eyes (眼部遮挡): eye aspect ratio of the less open eye; eye-region/cheek luma ratio
	// (tinted glasses, hair over the eyes make the eye region much darker than the skin).
	EyeOpenWarn float64 `json:"eye_open_warn"`
	EyeOpenFail float64 `json:"eye_open_fail"`
	EyeDarkWarn float64 `json:"eye_dark_warn"`
	EyeDarkFail float64 `json:"eye_dark_fail"`
	// Mouth (嘴巴状态): mouth aspect ratio.
	MouthWarn float64 `json:"mouth_warn"`
	MouthFail float64 `json:"mouth_fail"`
	// Single face: another face counts when its score ≥ OtherFaceScore and its box is at
	// least OtherFaceRel × the main face's width.
	OtherFaceScore float64 `json:"other_face_score"`
	OtherFaceRel   float64 `json:"other_face_rel"`
	// Background: clutter = mean gradient magnitude of background luma (0–255 per px);
	// shadow = background luma next to the person relative to the far background.
	BgClutterWarn float64 `json:"bg_clutter_warn"`
	BgShadowWarn  float64 `json:"bg_shadow_warn"`
	// Clothing contrast: median CIE76 ΔE between clothing and the spec background colour.
	ClothDeltaEWarn float64 `json:"cloth_delta_e_warn"`
	ClothDeltaEFail float64 `json:"cloth_delta_e_fail"`
	// Output verification: mean ΔE of the output background vs the spec colour, and the
	// largest ΔE of any background sample (uniformity).
	OutBgDeltaEMax float64 `json:"out_bg_delta_e_max"`
}

// DefaultThresholds are tuned on the development photos (see bench/README.md, "Photo pipeline").
func DefaultThresholds() Thresholds {
	return Thresholds{
		YawWarn: 8, YawFail: 15,
		PitchCentre: -6, PitchWarn: 12, PitchFail: 22,
		RollWarn: 7, RollFail: 10,
		FaceMinPx: 100, FaceMaxFrac: 0.8,
		FaceInsideMin: 0.98,
		SharpWarn:     6, SharpFail: 3,
		ShoulderTiltWarn: 6, ShoulderTiltFail: 15, ShoulderConfMin: 0.2,
		BrightWarn: Range{80, 225}, BrightFail: Range{50, 240},
		LightRatioWarn: 0.7,
		EyeOpenWarn:    0.18, EyeOpenFail: 0.12,
		EyeDarkWarn: 0.3, EyeDarkFail: 0.22,
		MouthWarn: 0.08, MouthFail: 0.2,
		OtherFaceScore: 0.75, OtherFaceRel: 0.3,
		BgClutterWarn: 4.5, BgShadowWarn: 0.7,
		ClothDeltaEWarn: 25, ClothDeltaEFail: 12,
		OutBgDeltaEMax: 3,
	}
}

// chsi returns the 学信网 学历照片 profile (教毕指〔2017〕99号) with the given background.
func chsi(id, name string, bg [3]uint8) Profile {
	return Profile{
		ID: id, Name: name, Width: 480, Height: 640, Background: bg,
		HeadTop: Range{50, 110}, EyeLine: Range{200, 300}, FaceWidth: Range{180, 300},
		MinBytes: 20 << 10, MaxBytes: 40 << 10, MinQuality: 60, DPI: 300,
		Thresholds: DefaultThresholds(),
	}
}

// BuiltinProfiles returns the profiles shipped with the program, keyed by ID.
//
//   - chsi-blue / chsi-white / chsi-grey: 学信网 学历照片 480×640, 300 dpi, q ≥ 60, 20–40 KB,
//     head top 50–110, eye line 200–300, face width 180–300 px; background RGB(100,197,255),
//     (255,255,255) or (240,240,240).
//   - zikao-degree: 自考学士学位 150×210, ≤ 10 KB, blue. The 2009 notice gives no pixel
//     geometry ("头顶约占 3/10" is ambiguous); the CHSI proportions are scaled to 150×210
//     (horizontal by 150/480, vertical by 210/640), so the same framing results.
//   - k12-xueji: 中小学学籍 358×441, < 60 KB, light blue, CHSI proportions scaled likewise.
func BuiltinProfiles() map[string]Profile {
	ps := []Profile{
		chsi("chsi-blue", "学信网学历照片（蓝底）", [3]uint8{100, 197, 255}),
		chsi("chsi-white", "学信网学历照片（白底）", [3]uint8{255, 255, 255}),
		chsi("chsi-grey", "学信网学历照片（灰底）", [3]uint8{240, 240, 240}),
		scaled(chsi("zikao-degree", "自考学士学位照片（蓝底）", [3]uint8{100, 197, 255}), 150, 210, 0, 10<<10),
		scaled(chsi("k12-xueji", "中小学学籍照片（蓝底）", [3]uint8{100, 197, 255}), 358, 441, 0, 60<<10-1),
	}
	m := make(map[string]Profile, len(ps))
	for _, p := range ps {
		m[p.ID] = p
	}
	return m
}

// scaled rescales the geometry of p to w×h and sets the byte window.
func scaled(p Profile, w, h, minBytes, maxBytes int) Profile {
	fx, fy := float64(w)/float64(p.Width), float64(h)/float64(p.Height)
	p.Width, p.Height = w, h
	p.HeadTop = Range{round1(p.HeadTop.Min * fy), round1(p.HeadTop.Max * fy)}
	p.EyeLine = Range{round1(p.EyeLine.Min * fy), round1(p.EyeLine.Max * fy)}
	p.FaceWidth = Range{round1(p.FaceWidth.Min * fx), round1(p.FaceWidth.Max * fx)}
	p.MinBytes, p.MaxBytes = minBytes, maxBytes
	return p
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

// DefaultProfileID is the profile used when none is named.
const DefaultProfileID = "chsi-blue"

// LookupProfile returns a built-in profile by ID.
func LookupProfile(id string) (Profile, error) {
	if id == "" {
		id = DefaultProfileID
	}
	p, ok := BuiltinProfiles()[id]
	if !ok {
		ids := ProfileIDs()
		return Profile{}, fmt.Errorf("photo: unknown profile %q (known: %v)", id, ids)
	}
	return p, nil
}

// ProfileIDs lists the built-in profile IDs, sorted.
func ProfileIDs() []string {
	var ids []string
	for id := range BuiltinProfiles() {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Validate reports an error when the profile cannot drive the pipeline.
func (p *Profile) Validate() error {
	switch {
	case p.ID == "":
		return fmt.Errorf("photo: profile: empty id")
	case p.Width < 32 || p.Height < 32 || p.Width > 4000 || p.Height > 4000:
		return fmt.Errorf("photo: profile %s: size %dx%d out of range", p.ID, p.Width, p.Height)
	case !validRange(p.HeadTop, float64(p.Height)) || !validRange(p.EyeLine, float64(p.Height)) || !validRange(p.FaceWidth, float64(p.Width)):
		return fmt.Errorf("photo: profile %s: geometry ranges invalid", p.ID)
	case p.HeadTop.Min >= p.EyeLine.Max:
		return fmt.Errorf("photo: profile %s: head top below eye line", p.ID)
	case p.MaxBytes <= 0 || p.MinBytes < 0 || p.MinBytes >= p.MaxBytes:
		return fmt.Errorf("photo: profile %s: byte window %d–%d invalid", p.ID, p.MinBytes, p.MaxBytes)
	case p.MinQuality < 1 || p.MinQuality > 100:
		return fmt.Errorf("photo: profile %s: min quality %d out of 1–100", p.ID, p.MinQuality)
	case p.DPI < 1 || p.DPI > 65535:
		return fmt.Errorf("photo: profile %s: dpi %d out of range", p.ID, p.DPI)
	}
	return nil
}

func validRange(r Range, limit float64) bool { return r.Min >= 0 && r.Max > r.Min && r.Max <= limit }

// ParseProfile decodes a JSON profile (e.g. from a database row) and validates it.
func ParseProfile(data []byte) (Profile, error) {
	var p Profile
	if err := json.Unmarshal(data, &p); err != nil {
		return Profile{}, fmt.Errorf("photo: parse profile: %w", err)
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

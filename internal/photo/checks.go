package photo

import (
	"fmt"
	"math"
)

// Verdict of one check or of a whole report.
type Verdict string

const (
	Pass Verdict = "pass"
	Warn Verdict = "warn"
	Fail Verdict = "fail"
)

// Check is one quality item as shown to the student and the reviewer.
type Check struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"` // zh-CN
	Value   float64 `json:"value"`
	Unit    string  `json:"unit,omitempty"`
	Range   string  `json:"range"` // the accepted range, human-readable
	Verdict Verdict `json:"verdict"`
	// Message says what to change (zh-CN); empty when the item passes.
	Message string `json:"message,omitempty"`
}

// Check IDs. The first ten are the seed's items, in the seed's order.
const (
	CheckFacePose       = "face_pose"       // 人脸方向
	CheckFaceSize       = "face_size"       // 脸部占比
	CheckHeadComplete   = "head_complete"   // 头部完整
	CheckFaceComplete   = "face_complete"   // 人脸完整
	CheckBlur           = "blur"            // 人脸模糊
	CheckShouldersLevel = "shoulders_level" // 肩膀齐平
	CheckShoulders      = "shoulders"       // 检测肩膀
	CheckBrightness     = "face_brightness" // 脸部亮度
	CheckEyes           = "eye_occlusion"   // 眼部遮挡
	CheckMouth          = "mouth"           // 嘴巴状态
	CheckSingleFace     = "single_face"     // 单人
	CheckLighting       = "face_lighting"   // 面部光照均匀
	CheckBackground     = "background"      // 背景
	CheckClothing       = "clothing"        // 衣服与背景
	CheckFraming        = "framing"         // 构图可达
	CheckOutSize        = "out_size"        // output checks below
	CheckOutBytes       = "out_bytes"       //
	CheckOutQuality     = "out_quality"     //
	CheckOutFormat      = "out_format"      //
	CheckOutHeadTop     = "out_head_top"    //
	CheckOutEyeLine     = "out_eye_line"    //
	CheckOutFaceWidth   = "out_face_width"  //
	CheckOutCentre      = "out_centre"      //
	CheckOutBackground  = "out_background"  //
	CheckOutFace        = "out_face"        //
)

func worst(vs ...Verdict) Verdict {
	w := Pass
	for _, v := range vs {
		if v == Fail {
			return Fail
		}
		if v == Warn {
			w = Warn
		}
	}
	return w
}

// Overall is the worst verdict among checks.
func Overall(cs []Check) Verdict {
	w := Pass
	for _, c := range cs {
		w = worst(w, c.Verdict)
	}
	return w
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// evaluate turns measures into the input checks, in display order.
func evaluate(m Measures, p *Profile) []Check {
	t := &p.Thresholds
	var cs []Check
	add := func(c Check) { cs = append(cs, c) }

	// Exactly one face; without a face the face-based items cannot be measured.
	switch {
	case m.Faces == 0 || !m.FaceFound:
		add(Check{ID: CheckSingleFace, Name: "单人正脸", Value: float64(m.Faces), Unit: "张", Range: "1", Verdict: Fail,
			Message: "未检测到人脸，请正对镜头，露出完整面部后重新拍摄"})
		return cs
	case m.Faces > 1:
		add(Check{ID: CheckSingleFace, Name: "单人正脸", Value: float64(m.Faces), Unit: "张", Range: "1", Verdict: Fail,
			Message: "照片中有多张人脸，请单人拍摄，背景中不要有其他人"})
	default:
		add(Check{ID: CheckSingleFace, Name: "单人正脸", Value: 1, Unit: "张", Range: "1", Verdict: Pass})
	}

	// 人脸方向: the worst of yaw, pitch (around the measured frontal offset), roll.
	{
		pitchDev := m.Pitch - t.PitchCentre
		type axis struct {
			dev, warn, fail float64
			msg             string
		}
		axes := []axis{
			{math.Abs(m.Yaw), t.YawWarn, t.YawFail, "请正对镜头，不要侧脸"},
			{math.Abs(pitchDev), t.PitchWarn, t.PitchFail, "请平视镜头，不要抬头"},
			{math.Abs(m.Roll), t.RollWarn, t.RollFail, "请保持头部端正，不要歪头"},
		}
		if pitchDev < 0 {
			axes[1].msg = "请抬头平视镜头，不要低头"
		}
		c := Check{ID: CheckFacePose, Name: "人脸方向", Unit: "°", Verdict: Pass,
			Range: fmt.Sprintf("左右 ≤ %s，俯仰 ≤ %s，倾斜 ≤ %s", f0(t.YawWarn), f0(t.PitchWarn), f0(t.RollWarn))}
		worstRel := -1.0
		for _, a := range axes {
			v := Pass
			if a.dev > a.fail {
				v = Fail
			} else if a.dev > a.warn {
				v = Warn
			}
			rel := a.dev / a.warn
			if rel > worstRel {
				worstRel = rel
				c.Value = math.Round(a.dev*10) / 10
			}
			if v != Pass && worst(v, c.Verdict) != c.Verdict {
				c.Verdict, c.Message = v, a.msg
			}
		}
		add(c)
	}

	// 脸部占比
	{
		minPx := t.FaceMinPx * p.FaceWidth.Mid() / 240 // FaceMinPx is stated for a 240-px output face
		c := Check{ID: CheckFaceSize, Name: "脸部占比", Value: math.Round(m.FaceFrac * 100), Unit: "%",
			Range: fmt.Sprintf("脸宽 ≥ %s px，且不超过画面宽度的 %s%%", f0(p.FaceWidth.Min), f0(t.FaceMaxFrac*100)), Verdict: Pass}
		switch {
		case m.FaceWidthPx < minPx:
			c.Verdict, c.Message = Fail, "人脸太小，请靠近镜头一些，或使用更高分辨率的原图"
		case m.FaceFrac > t.FaceMaxFrac:
			c.Verdict, c.Message = Fail, "人脸太大，请离镜头稍远一些"
		case m.FaceWidthPx < p.FaceWidth.Min:
			c.Verdict, c.Message = Warn, "人脸偏小，制作后可能不够清晰，请靠近镜头一些"
		}
		add(c)
	}

	// 头部完整
	{
		c := Check{ID: CheckHeadComplete, Name: "头部完整", Value: 1, Range: "头顶完整可见", Verdict: Pass}
		if m.HeadTopCut || !m.HeadTopFound {
			c.Value, c.Verdict, c.Message = 0, Fail, "头顶被裁掉了，请离镜头稍远一些，露出完整头顶"
		}
		add(c)
	}

	// 人脸完整
	{
		c := Check{ID: CheckFaceComplete, Name: "人脸完整", Value: math.Round(m.FaceInside * 100), Unit: "%",
			Range: fmt.Sprintf("≥ %s%%", f0(t.FaceInsideMin*100)), Verdict: Pass}
		if m.FaceInside < t.FaceInsideMin {
			c.Verdict, c.Message = Fail, "脸部没有完整拍进画面，请把整个脸放在画面中央"
		}
		add(c)
	}

	// 人脸模糊
	{
		c := Check{ID: CheckBlur, Name: "人脸模糊", Value: math.Round(m.Sharpness*10) / 10,
			Range: fmt.Sprintf("清晰度 ≥ %s", f0(t.SharpWarn)), Verdict: Pass}
		switch {
		case m.Sharpness < t.SharpFail:
			c.Verdict, c.Message = Fail, "照片模糊，请对准焦点、保持手机稳定后重新拍摄"
		case m.Sharpness < t.SharpWarn:
			c.Verdict, c.Message = Warn, "照片不够清晰，请在光线充足处对焦后重新拍摄"
		}
		add(c)
	}

	// 肩膀齐平 / 检测肩膀
	{
		found := m.ShouldersFound && m.ShoulderConf >= t.ShoulderConfMin
		lv := Check{ID: CheckShouldersLevel, Name: "肩膀齐平", Value: math.Round(m.ShoulderTilt*10) / 10, Unit: "°",
			Range: fmt.Sprintf("≤ %s", f0(t.ShoulderTiltWarn)), Verdict: Pass}
		switch {
		case !found:
			lv.Value, lv.Verdict, lv.Message = 0, Warn, "未能检测到双肩，无法判断是否齐平"
		case m.ShoulderTilt > t.ShoulderTiltFail:
			lv.Verdict, lv.Message = Fail, "双肩不平，请坐正，身体正对镜头"
		case m.ShoulderTilt > t.ShoulderTiltWarn:
			lv.Verdict, lv.Message = Warn, "双肩略有倾斜，请坐正，保持双肩齐平"
		}
		add(lv)
		sh := Check{ID: CheckShoulders, Name: "检测肩膀", Value: math.Round(m.ShoulderConf*100) / 100,
			Range: fmt.Sprintf("可信度 ≥ %s", f2(t.ShoulderConfMin)), Verdict: Pass}
		if !found {
			sh.Verdict, sh.Message = Fail, "未检测到肩膀，请离镜头稍远一些，露出双肩"
		}
		add(sh)
	}

	// 脸部亮度 and lighting balance
	{
		c := Check{ID: CheckBrightness, Name: "脸部亮度", Value: math.Round(m.Brightness),
			Range: fmt.Sprintf("%s–%s", f0(t.BrightWarn.Min), f0(t.BrightWarn.Max)), Verdict: Pass}
		switch {
		case m.Brightness < t.BrightFail.Min:
			c.Verdict, c.Message = Fail, "脸部太暗，请在明亮、均匀的光线下拍摄"
		case m.Brightness > t.BrightFail.Max:
			c.Verdict, c.Message = Fail, "脸部过亮（曝光过度），请避开强光直射"
		case m.Brightness < t.BrightWarn.Min:
			c.Verdict, c.Message = Warn, "脸部偏暗，请到光线更充足的地方拍摄"
		case m.Brightness > t.BrightWarn.Max:
			c.Verdict, c.Message = Warn, "脸部偏亮，请避免强光直射脸部"
		}
		add(c)
		l := Check{ID: CheckLighting, Name: "面部光照均匀", Value: math.Round(m.LightRatio*100) / 100,
			Range: fmt.Sprintf("≥ %s", f2(t.LightRatioWarn)), Verdict: Pass}
		if m.LightRatio < t.LightRatioWarn {
			l.Verdict, l.Message = Warn, "脸部一侧偏暗（阴阳脸），请面向光源，让光线均匀照亮面部"
		}
		add(l)
	}

	// 眼部遮挡
	{
		c := Check{ID: CheckEyes, Name: "眼部遮挡", Value: math.Round(m.EyeOpen*100) / 100,
			Range: fmt.Sprintf("睁眼度 ≥ %s，眼部无遮挡", f2(t.EyeOpenWarn)), Verdict: Pass}
		switch {
		case m.EyeDark < t.EyeDarkFail:
			c.Verdict, c.Message = Fail, "眼部被遮挡，请摘下墨镜或有色眼镜，头发不要遮住眼睛"
		case m.EyeOpen < t.EyeOpenFail:
			c.Verdict, c.Message = Fail, "请睁开双眼，平视镜头"
		case m.EyeDark < t.EyeDarkWarn:
			c.Verdict, c.Message = Warn, "眼部偏暗或可能被遮挡，请整理头发、避免镜片反光后重新拍摄"
		case m.EyeOpen < t.EyeOpenWarn:
			c.Verdict, c.Message = Warn, "眼睛睁得不够大，请自然睁眼，平视镜头"
		}
		add(c)
	}

	// 嘴巴状态
	{
		c := Check{ID: CheckMouth, Name: "嘴巴状态", Value: math.Round(m.MouthOpen*100) / 100,
			Range: fmt.Sprintf("≤ %s", f2(t.MouthWarn)), Verdict: Pass}
		switch {
		case m.MouthOpen > t.MouthFail:
			c.Verdict, c.Message = Fail, "请自然闭合嘴唇，不要张嘴或露齿大笑"
		case m.MouthOpen > t.MouthWarn:
			c.Verdict, c.Message = Warn, "嘴巴微张，请自然闭合嘴唇"
		}
		add(c)
	}

	// 背景 (advisory: the background is replaced, but clutter and shadows spoil the matte)
	{
		c := Check{ID: CheckBackground, Name: "背景", Value: math.Round(m.BgClutter*10) / 10,
			Range: fmt.Sprintf("复杂度 ≤ %s，无明显阴影", f0(t.BgClutterWarn)), Verdict: Pass}
		switch {
		case m.BgClutter > t.BgClutterWarn:
			c.Verdict, c.Message = Warn, "背景较杂乱，请在纯色墙面前拍摄，以便准确更换背景"
		case m.BgShadowValid && m.BgShadow < t.BgShadowWarn:
			c.Verdict, c.Message = Warn, "人像背后有阴影，请离墙面稍远一些，避免背景阴影"
		}
		add(c)
	}

	// 衣服与背景
	{
		c := Check{ID: CheckClothing, Name: "衣服与背景区分", Value: math.Round(m.ClothDeltaE), Unit: "ΔE",
			Range: fmt.Sprintf("色差 ≥ %s", f0(t.ClothDeltaEWarn)), Verdict: Pass}
		switch {
		case m.ClothPixels < 50:
			c.Verdict, c.Message = Warn, "未能识别衣服区域，请露出双肩和上身"
		case m.ClothDeltaE < t.ClothDeltaEFail:
			c.Verdict, c.Message = Fail, "衣服颜色与背景色太接近，请换一件与背景颜色反差明显的衣服"
		case m.ClothDeltaE < t.ClothDeltaEWarn:
			c.Verdict, c.Message = Warn, "衣服颜色与背景色较接近，建议换一件颜色反差更明显的衣服"
		}
		add(c)
	}

	// 构图可达: can the spec geometry be reached from this photo?
	{
		pl := m.Plan
		c := Check{ID: CheckFraming, Name: "构图", Value: math.Round(pl.Missing), Unit: "px",
			Range: "能按规格裁出头顶、眼睛、脸宽位置", Verdict: Pass}
		switch {
		case pl.Feasible:
		case pl.Problem == "bottom":
			c.Verdict, c.Message = Fail, "画面下方空间不够，请离镜头稍远一些，露出双肩和部分上身"
		case pl.Problem == "side":
			c.Verdict, c.Message = Fail, "人像不在画面中央或两侧空间不足，请居中拍摄，两侧多留一些空间"
		default:
			c.Verdict, c.Message = Fail, "头部比例无法满足规格，请正对镜头、整理头发后重新拍摄"
		}
		add(c)
	}
	return cs
}

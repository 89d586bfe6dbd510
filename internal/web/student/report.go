package student

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
)

// checkItem is one row of the quality report (step 10).
type checkItem struct {
	Name    string // 人脸方向 …
	Value   string // measured value, shown as is
	Verdict string // pass, warn, fail, unknown
	Label   string // 合格 / 注意 / 不合格 / 未检测
	Tip     string // how to fix it (empty when it passed)
}

// checkNames are the ten items of the seed in display order, by the pipeline's ids.
var checkNames = []struct{ id, name, tip string }{
	{"face_pose", "人脸方向", "请正对镜头，头部不要偏转、低头或仰头。"},
	{"face_size", "脸部占比", "调整拍摄距离，使头部大小与取景框一致。"},
	{"head_complete", "头部完整", "请露出完整的头顶，头顶上方留出空间。"},
	{"face_complete", "人脸完整", "脸部不能被遮挡或超出画面。"},
	{"blur", "人脸模糊", "保持手机稳定，在光线充足处对焦后拍摄。"},
	{"shoulders_level", "肩膀齐平", "请坐正，双肩保持水平。"},
	{"shoulders", "检测肩膀", "请露出双肩，拍摄到胸部以上。"},
	{"face_brightness", "脸部亮度", "面向均匀光源，避免过暗、过亮或阴阳脸。"},
	{"eye_occlusion", "眼部遮挡", "请睁开双眼，摘下有色眼镜，头发不要遮挡眼睛。"},
	{"mouth", "嘴巴状态", "请自然闭合嘴巴，不要露齿。"},
}

// rawItem accepts the field names the pipeline's report uses for an item.
type rawItem struct {
	ID      string          `json:"id"`
	Code    string          `json:"code"`
	Name    string          `json:"name"`
	Label   string          `json:"label"`
	Value   json.RawMessage `json:"value"`
	Unit    string          `json:"unit"`
	Display string          `json:"display"`
	Verdict string          `json:"verdict"`
	Status  string          `json:"status"`
	Tip     string          `json:"tip"`
	Advice  string          `json:"advice"`
	Fix     string          `json:"fix"`
	Message string          `json:"message"`
}

// reportItems turns the stored report JSON into the ten rows, in the seed's order.
// Items the report lacks are shown as 未检测 rather than hidden.
func reportItems(reportJSON string) []checkItem {
	var rep struct {
		Items  []rawItem `json:"items"`
		Checks []rawItem `json:"checks"`
	}
	_ = json.Unmarshal([]byte(reportJSON), &rep) // a broken report shows ten 未检测 rows
	raw := append(rep.Items, rep.Checks...)
	byID := map[string]rawItem{}
	for _, it := range raw {
		for _, k := range []string{it.ID, it.Code, it.Name, it.Label} {
			if k != "" {
				byID[k] = it
			}
		}
	}
	out := make([]checkItem, 0, len(checkNames))
	for _, c := range checkNames {
		it, ok := byID[c.id]
		if !ok {
			it, ok = byID[c.name]
		}
		ci := checkItem{Name: c.name, Verdict: "unknown"}
		if ok {
			ci.Verdict = strings.ToLower(first(it.Verdict, it.Status))
			ci.Value = first(it.Display, valueText(it.Value))
			if ci.Value != "" {
				ci.Value += it.Unit
			}
			ci.Tip = first(it.Tip, it.Advice, it.Fix, it.Message)
			if ci.Verdict != "pass" && ci.Tip == "" {
				ci.Tip = c.tip
			}
			if ci.Verdict == "pass" {
				ci.Tip = ""
			}
		}
		ci.Label = verdictLabel(ci.Verdict)
		out = append(out, ci)
	}
	return out
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func valueText(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
	}
	return ""
}

func verdictLabel(v string) string {
	switch v {
	case "pass":
		return "合格"
	case "warn":
		return "注意"
	case "fail":
		return "不合格"
	}
	return "未检测"
}

// example is one illustration on the instructions page: a simple drawing, no real face.
type example struct {
	Good  bool
	Label string
	Note  string
	SVG   template.HTML
}

// figure draws a head-and-shoulders illustration on a 120×160 canvas.
type figure struct {
	bg, cloth       string
	tilt            float64 // head roll in degrees
	scale, dy       float64 // size and vertical offset of the whole person
	hat, glasses    bool
	shadow, clutter bool
}

func (f figure) svg() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 120 160" xmlns="http://www.w3.org/2000/svg" role="img" aria-hidden="true"><rect width="120" height="160" fill="%s"/>`, f.bg)
	if f.clutter {
		b.WriteString(`<rect x="6" y="10" width="26" height="40" fill="#c9a66b"/><rect x="88" y="20" width="26" height="60" fill="#7a9a6a"/><circle cx="100" cy="14" r="8" fill="#fff3b0"/>`)
	}
	if f.shadow {
		b.WriteString(`<ellipse cx="84" cy="80" rx="34" ry="60" fill="rgba(0,0,0,.18)"/>`)
	}
	fmt.Fprintf(&b, `<g transform="translate(60 %.1f) scale(%.2f) translate(-60 -80)">`, 80+f.dy, f.scale)
	fmt.Fprintf(&b, `<path d="M14 162c2-26 18-40 46-40s44 14 46 40z" fill="%s"/>`, f.cloth)
	b.WriteString(`<rect x="52" y="100" width="16" height="16" fill="#e8b894"/>`)
	fmt.Fprintf(&b, `<g transform="rotate(%.1f 60 100)">`, f.tilt)
	b.WriteString(`<ellipse cx="60" cy="72" rx="22" ry="28" fill="#f2c7a5"/>`)
	b.WriteString(`<path d="M37 70c-2-22 10-34 23-34s26 10 23 34c-3-10-10-16-23-16s-20 6-23 16z" fill="#2b2b2b"/>`)
	b.WriteString(`<ellipse cx="38" cy="74" rx="3" ry="6" fill="#e8b894"/><ellipse cx="82" cy="74" rx="3" ry="6" fill="#e8b894"/>`)
	if f.glasses {
		b.WriteString(`<rect x="43" y="67" width="14" height="9" rx="3" fill="#222"/><rect x="63" y="67" width="14" height="9" rx="3" fill="#222"/><rect x="57" y="70" width="6" height="2" fill="#222"/>`)
	} else {
		b.WriteString(`<circle cx="51" cy="71" r="2.4" fill="#222"/><circle cx="69" cy="71" r="2.4" fill="#222"/>`)
	}
	b.WriteString(`<path d="M53 88q7 3 14 0" stroke="#a0524a" stroke-width="2" fill="none" stroke-linecap="round"/>`)
	if f.hat {
		b.WriteString(`<path d="M34 56c0-16 12-26 26-26s26 10 26 26z" fill="#c0392b"/><rect x="28" y="52" width="64" height="7" rx="3" fill="#a93226"/>`)
	}
	b.WriteString(`</g></g></svg>`)
	return template.HTML(b.String()) // built from constants and numbers only
}

func examples() []example {
	const blue, dark = "#64c5ff", "#2f3b52"
	return []example{
		{Good: true, Label: "合格", Note: "正面、居中、露双肩", SVG: figure{bg: blue, cloth: dark, scale: 1}.svg()},
		{Label: "头部倾斜", Note: "需平视正对镜头", SVG: figure{bg: blue, cloth: dark, scale: 1, tilt: 14}.svg()},
		{Label: "距离太远", Note: "头部过小", SVG: figure{bg: blue, cloth: dark, scale: .55, dy: 30}.svg()},
		{Label: "佩戴帽子", Note: "须免冠", SVG: figure{bg: blue, cloth: dark, scale: 1, hat: true}.svg()},
		{Label: "有色眼镜", Note: "眼睛须清晰可见", SVG: figure{bg: blue, cloth: dark, scale: 1, glasses: true}.svg()},
		{Label: "衣服与背景同色", Note: "易出现黑边", SVG: figure{bg: blue, cloth: "#5fbef5", scale: 1}.svg()},
		{Label: "背景杂乱", Note: "须纯色背景", SVG: figure{bg: "#ece6da", cloth: dark, scale: 1, clutter: true}.svg()},
		{Label: "背景阴影", Note: "光线须均匀", SVG: figure{bg: "#f4f4f4", cloth: dark, scale: 1, shadow: true}.svg()},
		{Label: "头顶不完整", Note: "须露出完整头顶", SVG: figure{bg: blue, cloth: dark, scale: 1.5, dy: 18}.svg()},
	}
}

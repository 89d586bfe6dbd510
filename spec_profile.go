package xiaoxiang

import "time"

// SpecProfile is a photo specification stored as data (one table row), e.g. the default
// CHSI 学历照片 profile "chsi-blue" (480×640, 20–40 KB, light-blue background). Spec is the
// JSON document the photo pipeline reads (internal/photo owns its fields), so nothing in
// the pipeline hard-codes one size.
type SpecProfile struct {
	ID   string // stable code, e.g. chsi-blue
	Name string // shown to staff, e.g. 学信网学历照片（蓝底）
	// Spec is the JSON document of the profile; "" means the pipeline's built-in profile
	// with this ID (internal/photo.BuiltinProfiles).
	Spec      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

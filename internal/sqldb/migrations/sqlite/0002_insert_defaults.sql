-- Default data: the built-in spec profiles and the initial rejection reasons.
-- A spec profile row with an empty spec uses the photo pipeline's built-in profile of the same
-- id (internal/photo.BuiltinProfiles); operators store a full JSON spec to override it.
INSERT INTO spec_profiles (id, name, spec, created_at, updated_at) VALUES
	('chsi-blue', '学信网学历照片（蓝底）', '', '2026-11-01T00:00:00.000000Z', '2026-11-01T00:00:00.000000Z'),
	('chsi-white', '学信网学历照片（白底）', '', '2026-11-01T00:00:00.000000Z', '2026-11-01T00:00:00.000000Z'),
	('chsi-grey', '学信网学历照片（灰底）', '', '2026-11-01T00:00:00.000000Z', '2026-11-01T00:00:00.000000Z'),
	('zikao-degree', '自考学士学位照片（蓝底）', '', '2026-11-01T00:00:00.000000Z', '2026-11-01T00:00:00.000000Z'),
	('k12-xueji', '中小学学籍照片（蓝底）', '', '2026-11-01T00:00:00.000000Z', '2026-11-01T00:00:00.000000Z');

INSERT INTO reject_reasons (code, label, message, position, active) VALUES
	('blurry', '照片模糊', '照片不清晰，请在光线充足处对焦后重新拍摄。', 10, 1),
	('pose', '姿态不正', '请坐正，头部不要倾斜或转动，双眼平视镜头。', 20, 1),
	('eyes', '眼部问题', '请睁开双眼，不要佩戴有色眼镜，镜片不能反光，头发不要遮挡眉毛和眼睛。', 30, 1),
	('expression', '表情不自然', '请保持自然表情，嘴巴闭合。', 40, 1),
	('lighting', '光线问题', '面部光线不均匀或过暗/过亮，请在均匀光线下拍摄，避免阴阳脸。', 50, 1),
	('background', '背景/边缘问题', '衣服颜色与背景接近或边缘有黑边，请换深色衣服在纯色背景前重新拍摄。', 60, 1),
	('framing', '构图不合格', '请露出完整头顶和双肩，头部位于画面中央。', 70, 1),
	('accessory', '饰物/遮挡', '请摘下帽子、耳饰、项链等饰物，露出双耳。', 80, 1),
	('not_person', '非本人或翻拍', '照片须为本人近期正面免冠彩色照片，不得翻拍或使用他人照片。', 90, 1),
	('edited', '照片经过处理', '照片不得美颜、修图、镜像或旋转，请使用原始照片。', 100, 1),
	('other', '其他', '照片不符合要求，请查看审核意见后重新拍摄。', 110, 1);

package photo

import "encoding/binary"

// exifOrientation reads tag 0x0112 (Orientation) from IFD0 of a TIFF-structured EXIF block.
// It returns 1 when the tag is absent, malformed or out of range.
func exifOrientation(tiff []byte) int {
	if len(tiff) >= 6 && string(tiff[:6]) == "Exif\x00\x00" {
		tiff = tiff[6:]
	}
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(tiff[2:]) != 42 {
		return 1
	}
	off := int(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > len(tiff) {
		return 1
	}
	n := int(bo.Uint16(tiff[off:]))
	for i := range n {
		e := off + 2 + 12*i
		if e+12 > len(tiff) {
			return 1
		}
		if bo.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		typ, count := bo.Uint16(tiff[e+2:]), bo.Uint32(tiff[e+4:])
		if typ != 3 || count != 1 { // SHORT, one value, stored inline
			return 1
		}
		v := int(bo.Uint16(tiff[e+8:]))
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}

package jpegdec

// Marker segment parsing (ITU-T T.81 Annex B).

const (
	mSOF0 = 0xC0
	mSOF1 = 0xC1
	mDHT  = 0xC4
	mDAC  = 0xCC
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
	mAPP0 = 0xE0
	mAP14 = 0xEE
	mCOM  = 0xFE
)

type component struct {
	id   byte
	h, v int // sampling factors
	tq   int // quantisation table selector
	td   int // DC table (from SOS)
	ta   int // AC table (from SOS)
}

type header struct {
	width, height int
	ncomp         int
	comp          [3]component
	hmax, vmax    int
	sofSeen       bool

	qt        [4][64]uint16 // natural (row-major) order
	qtDefined [4]bool
	huff      [2][4]*huffTable // [class][id]; class 0 DC, 1 AC

	restartInterval int

	jfif          bool
	adobe         bool
	adobeTransfrm byte

	scanStart int    // offset of the first entropy-coded byte
	scanOrder [3]int // frame component index of each scan component
}

func be16(b []byte) int { return int(b[0])<<8 | int(b[1]) }

// parse reads marker segments from SOI to the first SOS (or, with stopAtSOF, to
// the end of the frame header). Unsupported features return an error wrapping
// ErrUnsupported; the frame fields are filled in before that where possible.
func (h *header) parse(data []byte, stopAtSOF bool) error {
	if len(data) < 2 || data[0] != 0xFF || data[1] != mSOI {
		return errFormat("missing SOI marker")
	}
	p := 2
	for {
		// Find the next marker: 0xFF, then optional fill bytes 0xFF, then the code.
		if p >= len(data) {
			return errTruncated
		}
		if data[p] != 0xFF {
			// Extraneous bytes between segments: skip them, as libjpeg and image/jpeg do.
			for p < len(data) && data[p] != 0xFF {
				p++
			}
			continue
		}
		for p < len(data) && data[p] == 0xFF {
			p++
		}
		if p >= len(data) {
			return errTruncated
		}
		m := data[p]
		p++
		switch {
		case m == 0x00:
			return errFormat("unexpected 0xFF00 outside entropy data")
		case m == mSOI:
			return errFormat("unexpected SOI marker")
		case m == mEOI:
			if !h.sofSeen {
				return errFormat("no frame header before EOI")
			}
			return errFormat("no scan before EOI")
		case m >= mRST0 && m <= mRST7, m == 0x01:
			continue // stand-alone markers, ignore
		}
		if p+2 > len(data) {
			return errTruncated
		}
		n := be16(data[p:])
		if n < 2 {
			return errFormat("bad segment length")
		}
		if p+n > len(data) {
			return errTruncated
		}
		seg := data[p+2 : p+n]
		p += n
		switch {
		case m == mSOF0 || m == mSOF1:
			if h.sofSeen {
				return errFormat("several frame headers")
			}
			if err := h.parseSOF(seg); err != nil {
				return err
			}
			if stopAtSOF {
				return h.checkColour()
			}
		case m >= 0xC2 && m <= 0xCF && m != mDHT && m != 0xC8 && m != mDAC:
			// SOF2..SOF15: progressive, lossless, hierarchical, arithmetic.
			if !h.sofSeen {
				h.parseSOFSize(seg)
			}
			return errUnsupported(sofName(m))
		case m == mDAC:
			return errUnsupported("arithmetic coding")
		case m == mDHT:
			if err := h.parseDHT(seg); err != nil {
				return err
			}
		case m == mDQT:
			if err := h.parseDQT(seg); err != nil {
				return err
			}
		case m == mDRI:
			if len(seg) != 2 {
				return errFormat("bad DRI length")
			}
			h.restartInterval = be16(seg)
		case m == mDNL:
			return errUnsupported("DNL marker")
		case m == 0xDE || m == 0xDF:
			return errUnsupported("hierarchical JPEG")
		case m == mAPP0:
			if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
				h.jfif = true
			}
		case m == mAP14:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				h.adobe = true
				h.adobeTransfrm = seg[11]
			}
		case m == mSOS:
			if !h.sofSeen {
				return errFormat("scan before frame header")
			}
			if err := h.checkColour(); err != nil {
				return err
			}
			if err := h.parseSOS(seg); err != nil {
				return err
			}
			h.scanStart = p
			return nil
		default:
			// APPn, COM, JPGn and reserved markers with a length: skip.
		}
	}
}

func sofName(m byte) string {
	switch m {
	case 0xC2:
		return "progressive JPEG"
	case 0xC3:
		return "lossless JPEG"
	case 0xC5, 0xC6, 0xC7:
		return "hierarchical JPEG"
	case 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
		return "arithmetic coding"
	}
	return "frame type"
}

// parseSOFSize records the size of an unsupported frame so that Config can report it.
func (h *header) parseSOFSize(seg []byte) {
	if len(seg) >= 6 {
		h.height = be16(seg[1:])
		h.width = be16(seg[3:])
		h.ncomp = int(seg[5])
		h.sofSeen = h.width > 0 && h.height > 0
	}
}

func (h *header) parseSOF(seg []byte) error {
	if len(seg) < 6 {
		return errFormat("short frame header")
	}
	h.parseSOFSize(seg)
	if seg[0] != 8 {
		return errUnsupported("sample precision other than 8 bits")
	}
	if h.height == 0 {
		return errUnsupported("image height defined by DNL")
	}
	if h.width == 0 {
		return errFormat("zero image width")
	}
	nc := int(seg[5])
	if len(seg) != 6+3*nc {
		return errFormat("bad frame header length")
	}
	switch nc {
	case 1, 3:
	case 0:
		return errFormat("no components")
	default:
		return errUnsupported("component count other than 1 or 3")
	}
	h.hmax, h.vmax = 1, 1
	for i := 0; i < nc; i++ {
		c := &h.comp[i]
		c.id = seg[6+3*i]
		c.h = int(seg[7+3*i] >> 4)
		c.v = int(seg[7+3*i] & 15)
		c.tq = int(seg[8+3*i])
		if c.h == 0 || c.v == 0 || c.h > 4 || c.v > 4 {
			return errFormat("bad sampling factors")
		}
		if c.h > 2 || c.v > 2 {
			return errUnsupported("sampling factor above 2")
		}
		if c.tq > 3 {
			return errFormat("bad quantisation table selector")
		}
		for j := 0; j < i; j++ {
			if h.comp[j].id == c.id {
				return errFormat("duplicate component id")
			}
		}
		h.hmax = max(h.hmax, c.h)
		h.vmax = max(h.vmax, c.v)
	}
	if nc == 1 {
		// A single-component frame is non-interleaved: its sampling factors do not matter.
		h.comp[0].h, h.comp[0].v = 1, 1
		h.hmax, h.vmax = 1, 1
	}
	h.ncomp = nc
	h.sofSeen = true
	return nil
}

// checkColour rejects 3-component files whose components are RGB rather than YCbCr,
// following the same signals as image/jpeg (JFIF, Adobe transform, 'R','G','B' ids).
func (h *header) checkColour() error {
	if h.ncomp != 3 {
		return nil
	}
	rgb := false
	switch {
	case h.jfif:
	case h.adobe:
		rgb = h.adobeTransfrm == 0
	default:
		rgb = h.comp[0].id == 'R' && h.comp[1].id == 'G' && h.comp[2].id == 'B'
	}
	if rgb {
		return errUnsupported("RGB colour")
	}
	return nil
}

func (h *header) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 {
			return errFormat("bad DQT table id")
		}
		seg = seg[1:]
		switch pq {
		case 0:
			if len(seg) < 64 {
				return errFormat("short DQT")
			}
			for k := 0; k < 64; k++ {
				h.qt[tq][unzig[k]] = uint16(seg[k])
			}
			seg = seg[64:]
		case 1:
			if len(seg) < 128 {
				return errFormat("short DQT")
			}
			for k := 0; k < 64; k++ {
				h.qt[tq][unzig[k]] = uint16(be16(seg[2*k:]))
			}
			seg = seg[128:]
		default:
			return errFormat("bad DQT precision")
		}
		h.qtDefined[tq] = true
	}
	return nil
}

func (h *header) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errFormat("short DHT")
		}
		tc, th := int(seg[0]>>4), int(seg[0]&15)
		if tc > 1 || th > 3 {
			return errFormat("bad DHT class or id")
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(seg[l])
			total += counts[l]
		}
		if total > 256 || len(seg) < 17+total {
			return errFormat("bad DHT length")
		}
		t, err := buildHuff(&counts, seg[17:17+total], tc == 1)
		if err != nil {
			return err
		}
		h.huff[tc][th] = t
		seg = seg[17+total:]
	}
	return nil
}

func (h *header) parseSOS(seg []byte) error {
	if len(seg) < 1 {
		return errFormat("short SOS")
	}
	ns := int(seg[0])
	if len(seg) != 4+2*ns {
		return errFormat("bad SOS length")
	}
	if ns == 0 || ns > h.ncomp {
		return errFormat("bad scan component count")
	}
	if ns != h.ncomp {
		return errUnsupported("sequential JPEG with several scans")
	}
	var seen [3]bool
	for i := 0; i < ns; i++ {
		id := seg[1+2*i]
		ci := -1
		for j := 0; j < h.ncomp; j++ {
			if h.comp[j].id == id {
				ci = j
			}
		}
		if ci < 0 || seen[ci] {
			return errFormat("bad scan component")
		}
		seen[ci] = true
		h.scanOrder[i] = ci
		c := &h.comp[ci]
		c.td, c.ta = int(seg[2+2*i]>>4), int(seg[2+2*i]&15)
		if c.td > 3 || c.ta > 3 || h.huff[0][c.td] == nil || h.huff[1][c.ta] == nil {
			return errFormat("missing Huffman table")
		}
		if !h.qtDefined[c.tq] {
			return errFormat("missing quantisation table")
		}
	}
	ss, se, a := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]
	if ss != 0 || se != 63 || a != 0 {
		return errFormat("bad spectral selection for a sequential scan")
	}
	return nil
}

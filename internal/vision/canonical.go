package vision

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// canonicalFace is MediaPipe's canonical face model: 468 vertices in centimetres,
// x to the viewer's right (the subject's left), y up, z towards the camera, and the
// weighted landmark subset used for the Procrustes fit.
type canonicalFace struct {
	Vertices [meshPoints][3]float64
	Basis    []weightedLandmark
}

// frontalPitch is the pitch (degrees) at which MediaPipe's canonical face reads as
// "looking straight at the camera" for real faces: fitted as is, frontal portraits
// of the dev set gave a median pitch of −8° (spread ±8°, the natural variation of
// head carriage and facial proportions). The canonical model is tilted chin-down by
// this much once at load, so that frontal faces read pitch ≈ 0 without a constant bias.
const frontalPitch = 8.0

// tiltedDown returns a copy of c rotated about the x axis so that its chin goes
// down (towards the camera's −y) by deg degrees.
func (c *canonicalFace) tiltedDown(deg float64) *canonicalFace {
	o := &canonicalFace{Basis: c.Basis}
	s, co := math.Sincos(-deg * math.Pi / 180)
	for i, v := range c.Vertices {
		// Rx(θ): forward (0,0,1) → (0, sin θ, cos θ); θ < 0 turns the face down.
		o.Vertices[i] = [3]float64{v[0], co*v[1] + s*v[2], -s*v[1] + co*v[2]}
	}
	return o
}

type weightedLandmark struct {
	ID     int
	Weight float64
}

const meshPoints = 468

// pbReader is a minimal protobuf wire-format reader (varint, fixed32, fixed64,
// length-delimited), enough for GeometryPipelineMetadata.
type pbReader struct {
	b   []byte
	off int
}

func (r *pbReader) done() bool { return r.off >= len(r.b) }

func (r *pbReader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, errors.New("bad varint")
	}
	r.off += n
	return v, nil
}

// field reads the next tag and returns the field number and wire type.
func (r *pbReader) field() (int, int, error) {
	k, err := r.varint()
	if err != nil {
		return 0, 0, err
	}
	return int(k >> 3), int(k & 7), nil
}

func (r *pbReader) bytes() ([]byte, error) {
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.off) {
		return nil, errors.New("truncated length-delimited field")
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *pbReader) fixed32() (uint32, error) {
	if len(r.b)-r.off < 4 {
		return 0, errors.New("truncated fixed32")
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

// skip skips a field's value of the given wire type.
func (r *pbReader) skip(wt int) error {
	switch wt {
	case 0:
		_, err := r.varint()
		return err
	case 1:
		if len(r.b)-r.off < 8 {
			return errors.New("truncated fixed64")
		}
		r.off += 8
	case 2:
		_, err := r.bytes()
		return err
	case 5:
		_, err := r.fixed32()
		return err
	default:
		return fmt.Errorf("unsupported wire type %d", wt)
	}
	return nil
}

// parseCanonicalFace parses a GeometryPipelineMetadata message:
// field 1 canonical_mesh (Mesh3d: 1 vertex_type, 2 primitive_type, 3 vertex_buffer
// float (x, y, z, u, v per vertex), 4 index_buffer), field 2 repeated
// procrustes_landmark_basis (WeightedLandmarkRef: 1 landmark_id, 2 weight).
func parseCanonicalFace(data []byte) (*canonicalFace, error) {
	var verts []float64
	var basis []weightedLandmark
	r := &pbReader{b: data}
	for !r.done() {
		f, wt, err := r.field()
		if err != nil {
			return nil, fmt.Errorf("canonical face: %w", err)
		}
		switch {
		case f == 1 && wt == 2:
			b, err := r.bytes()
			if err != nil {
				return nil, fmt.Errorf("canonical face: mesh: %w", err)
			}
			if verts, err = parseMeshVertices(b); err != nil {
				return nil, fmt.Errorf("canonical face: mesh: %w", err)
			}
		case f == 2 && wt == 2:
			b, err := r.bytes()
			if err != nil {
				return nil, fmt.Errorf("canonical face: basis: %w", err)
			}
			w, err := parseWeightedLandmark(b)
			if err != nil {
				return nil, fmt.Errorf("canonical face: basis: %w", err)
			}
			basis = append(basis, w)
		default:
			if err := r.skip(wt); err != nil {
				return nil, fmt.Errorf("canonical face: %w", err)
			}
		}
	}
	if len(verts) != 5*meshPoints {
		return nil, fmt.Errorf("canonical face: %d vertex values, want %d", len(verts), 5*meshPoints)
	}
	c := &canonicalFace{}
	for i := 0; i < meshPoints; i++ {
		c.Vertices[i] = [3]float64{verts[5*i], verts[5*i+1], verts[5*i+2]}
	}
	for _, w := range basis {
		if w.ID < 0 || w.ID >= meshPoints || w.Weight < 0 || math.IsNaN(w.Weight) {
			return nil, fmt.Errorf("canonical face: bad basis landmark %d weight %g", w.ID, w.Weight)
		}
	}
	if len(basis) < 4 {
		return nil, fmt.Errorf("canonical face: %d basis landmarks, want at least 4", len(basis))
	}
	c.Basis = basis
	return c, nil
}

func parseMeshVertices(b []byte) ([]float64, error) {
	var out []float64
	r := &pbReader{b: b}
	for !r.done() {
		f, wt, err := r.field()
		if err != nil {
			return nil, err
		}
		switch {
		case f == 3 && wt == 5: // unpacked float
			v, err := r.fixed32()
			if err != nil {
				return nil, err
			}
			out = append(out, float64(math.Float32frombits(v)))
		case f == 3 && wt == 2: // packed floats
			p, err := r.bytes()
			if err != nil {
				return nil, err
			}
			if len(p)%4 != 0 {
				return nil, errors.New("packed float field not a multiple of 4 bytes")
			}
			for i := 0; i < len(p); i += 4 {
				out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(p[i:]))))
			}
		case f == 1 && wt == 0:
			vt, err := r.varint()
			if err != nil {
				return nil, err
			}
			if vt != 0 {
				return nil, fmt.Errorf("vertex type %d, want 0 (VERTEX_PT)", vt)
			}
		default:
			if err := r.skip(wt); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func parseWeightedLandmark(b []byte) (weightedLandmark, error) {
	w := weightedLandmark{ID: -1}
	r := &pbReader{b: b}
	for !r.done() {
		f, wt, err := r.field()
		if err != nil {
			return w, err
		}
		switch {
		case f == 1 && wt == 0:
			v, err := r.varint()
			if err != nil {
				return w, err
			}
			w.ID = int(v)
		case f == 2 && wt == 5:
			v, err := r.fixed32()
			if err != nil {
				return w, err
			}
			w.Weight = float64(math.Float32frombits(v))
		default:
			if err := r.skip(wt); err != nil {
				return w, err
			}
		}
	}
	return w, nil
}

package vision

import (
	"errors"
	"math"
)

type vec3 [3]float64
type mat3 [3][3]float64

func (m mat3) mul(v vec3) vec3 {
	return vec3{
		m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2],
		m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2],
		m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2],
	}
}

// similarity is a 3-D similarity transform q = S·R·p + T.
type similarity struct {
	S float64
	R mat3
	T vec3
}

// fitSimilarity finds the weighted least-squares similarity transform mapping src
// onto dst (Horn's closed-form quaternion solution; the scale follows Umeyama).
func fitSimilarity(src, dst []vec3, w []float64) (similarity, error) {
	n := len(src)
	if n < 3 || len(dst) != n || len(w) != n {
		return similarity{}, errors.New("fit: need at least 3 point pairs")
	}
	var sw float64
	var ms, md vec3
	for i := 0; i < n; i++ {
		sw += w[i]
		for k := 0; k < 3; k++ {
			ms[k] += w[i] * src[i][k]
			md[k] += w[i] * dst[i][k]
		}
	}
	if sw <= 0 {
		return similarity{}, errors.New("fit: zero total weight")
	}
	for k := 0; k < 3; k++ {
		ms[k] /= sw
		md[k] /= sw
	}
	var S mat3 // S[a][b] = Σ w (src_a)(dst_b)
	var varSrc float64
	for i := 0; i < n; i++ {
		var p, q vec3
		for k := 0; k < 3; k++ {
			p[k] = src[i][k] - ms[k]
			q[k] = dst[i][k] - md[k]
		}
		for a := 0; a < 3; a++ {
			for b := 0; b < 3; b++ {
				S[a][b] += w[i] * p[a] * q[b]
			}
			varSrc += w[i] * p[a] * p[a]
		}
	}
	if varSrc <= 1e-12 {
		return similarity{}, errors.New("fit: degenerate source points")
	}
	xx, xy, xz := S[0][0], S[0][1], S[0][2]
	yx, yy, yz := S[1][0], S[1][1], S[1][2]
	zx, zy, zz := S[2][0], S[2][1], S[2][2]
	N := [4][4]float64{
		{xx + yy + zz, yz - zy, zx - xz, xy - yx},
		{yz - zy, xx - yy - zz, xy + yx, zx + xz},
		{zx - xz, xy + yx, -xx + yy - zz, yz + zy},
		{xy - yx, zx + xz, yz + zy, -xx - yy + zz},
	}
	vals, vecs := jacobiEigen4(N)
	best := 0
	for i := 1; i < 4; i++ {
		if vals[i] > vals[best] {
			best = i
		}
	}
	q0, qx, qy, qz := vecs[0][best], vecs[1][best], vecs[2][best], vecs[3][best]
	R := mat3{
		{q0*q0 + qx*qx - qy*qy - qz*qz, 2 * (qx*qy - q0*qz), 2 * (qx*qz + q0*qy)},
		{2 * (qy*qx + q0*qz), q0*q0 - qx*qx + qy*qy - qz*qz, 2 * (qy*qz - q0*qx)},
		{2 * (qz*qx - q0*qy), 2 * (qz*qy + q0*qx), q0*q0 - qx*qx - qy*qy + qz*qz},
	}
	// Scale: trace(Rᵀ·Sᵀ)/var(src) = Σ_ab R[b][a]·S[a][b] / var.
	var tr float64
	for a := 0; a < 3; a++ {
		for b := 0; b < 3; b++ {
			tr += R[b][a] * S[a][b]
		}
	}
	s := tr / varSrc
	rm := R.mul(ms)
	T := vec3{md[0] - s*rm[0], md[1] - s*rm[1], md[2] - s*rm[2]}
	return similarity{S: s, R: R, T: T}, nil
}

// jacobiEigen4 diagonalises a symmetric 4×4 matrix with cyclic Jacobi rotations.
// It returns the eigenvalues and the eigenvectors as columns.
func jacobiEigen4(a [4][4]float64) ([4]float64, [4][4]float64) {
	var v [4][4]float64
	for i := 0; i < 4; i++ {
		v[i][i] = 1
	}
	for sweep := 0; sweep < 50; sweep++ {
		var off float64
		for p := 0; p < 4; p++ {
			for q := p + 1; q < 4; q++ {
				off += a[p][q] * a[p][q]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := 0; p < 4; p++ {
			for q := p + 1; q < 4; q++ {
				if math.Abs(a[p][q]) < 1e-300 {
					continue
				}
				theta := (a[q][q] - a[p][p]) / (2 * a[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < 4; k++ {
					akp, akq := a[k][p], a[k][q]
					a[k][p] = c*akp - s*akq
					a[k][q] = s*akp + c*akq
				}
				for k := 0; k < 4; k++ {
					apk, aqk := a[p][k], a[q][k]
					a[p][k] = c*apk - s*aqk
					a[q][k] = s*apk + c*aqk
				}
				for k := 0; k < 4; k++ {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p] = c*vkp - s*vkq
					v[k][q] = s*vkp + c*vkq
				}
			}
		}
	}
	return [4]float64{a[0][0], a[1][1], a[2][2], a[3][3]}, v
}

// meshToViewer converts a mesh point (image pixels, y down, z away from the camera)
// to the canonical model's frame (x right, y up, z towards the camera).
func meshToViewer(p Point3) vec3 { return vec3{p.X, -p.Y, -p.Z} }

// headPose fits the canonical face to the mesh and returns yaw, pitch and roll in
// degrees (conventions in analysis.go) and the fit's RMS residual relative to the
// face scale (0 = perfect).
func headPose(c *canonicalFace, mesh []Point3) (Pose, float64, error) {
	if len(mesh) != meshPoints {
		return Pose{}, 0, errors.New("pose: mesh must have 468 points")
	}
	src := make([]vec3, len(c.Basis))
	dst := make([]vec3, len(c.Basis))
	w := make([]float64, len(c.Basis))
	for i, b := range c.Basis {
		src[i] = c.Vertices[b.ID]
		dst[i] = meshToViewer(mesh[b.ID])
		w[i] = b.Weight
	}
	sim, err := fitSimilarity(src, dst, w)
	if err != nil {
		return Pose{}, 0, err
	}
	// Residual over the whole mesh, in units of the fitted scale (cm of the canonical face).
	var ss float64
	for i := 0; i < meshPoints; i++ {
		p := sim.R.mul(c.Vertices[i])
		q := meshToViewer(mesh[i])
		for k := 0; k < 3; k++ {
			d := sim.S*p[k] + sim.T[k] - q[k]
			ss += d * d
		}
	}
	rms := math.Sqrt(ss/meshPoints) / math.Abs(sim.S)
	return poseFromRotation(sim.R), rms, nil
}

// poseFromRotation decomposes the rotation taking the canonical face to the
// observed one (viewer frame: x right, y up, z towards the camera) as
// R = Ry(yaw)·Rx(pitch)·Rz(roll) and returns the angles in degrees. Yaw and pitch
// are read from the face's forward axis R·ez; roll is the remaining rotation about
// the face's own forward axis, read from (Ry·Rx)ᵀ·R·ey.
func poseFromRotation(R mat3) Pose {
	f := R.mul(vec3{0, 0, 1})
	yaw := math.Atan2(f[0], f[2])
	pitch := math.Atan2(f[1], math.Hypot(f[0], f[2]))
	u := R.mul(vec3{0, 1, 0})
	// Undo yaw (about y), then pitch (about x).
	cy, sy := math.Cos(yaw), math.Sin(yaw)
	u = vec3{cy*u[0] - sy*u[2], u[1], sy*u[0] + cy*u[2]}
	cp, sp := math.Cos(pitch), math.Sin(pitch)
	u = vec3{u[0], cp*u[1] - sp*u[2], sp*u[1] + cp*u[2]}
	roll := math.Atan2(u[0], u[1])
	const deg = 180 / math.Pi
	return Pose{Yaw: yaw * deg, Pitch: pitch * deg, Roll: roll * deg}
}

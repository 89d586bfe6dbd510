package jpegenc

// huffSpec is a Huffman table as DHT stores it: bits[i] codes of length i+1, then the
// symbol values in order of increasing code length.
type huffSpec struct {
	bits [16]uint8
	vals []uint8
}

// optimalSpec builds a length-limited (≤ 16 bits) Huffman table for the symbol
// frequencies freq by the procedure of T.81 Annex K.2: code sizes from repeatedly
// merging the two least frequent entries (Figure K.1) with a reserved symbol 256 of
// frequency 1 so that no code is all ones, lengths over 16 folded (Figure K.3, Adjust_BITS),
// the reserved code removed, and the symbols sorted by code size then value (Figure K.4).
// Symbols of frequency 0 get no code. At least one frequency must be nonzero.
func optimalSpec(freq []int32) huffSpec {
	size := huffmanSizes(freq)
	// BITS by code size; sizes can reach the number of symbols before adjustment.
	var count [258]int32
	maxSize := 0
	for _, s := range size {
		if s > 0 {
			count[s]++
			maxSize = max(maxSize, int(s))
		}
	}
	// Adjust_BITS: move pairs of the longest codes up until none is longer than 16.
	for i := maxSize; i > 16; i-- {
		for count[i] > 0 {
			j := i - 2
			for count[j] == 0 {
				j--
			}
			count[i] -= 2
			count[i-1]++
			count[j+1] += 2
			count[j]--
		}
	}
	// Remove the reserved code point: one code of the longest remaining length.
	i := 16
	for count[i] == 0 {
		i--
	}
	count[i]--
	var spec huffSpec
	for l := 1; l <= 16; l++ {
		spec.bits[l-1] = uint8(count[l])
	}
	// Sort_input: symbols by their code size from Figure K.1, then by value.
	spec.vals = make([]uint8, 0, len(freq))
	for s := int32(1); s <= int32(maxSize); s++ {
		for v := 0; v < len(freq); v++ {
			if size[v] == s {
				spec.vals = append(spec.vals, uint8(v))
			}
		}
	}
	return spec
}

// fill writes the canonical codes of spec (T.81 Annex C) into ent at offset base: each
// entry holds the code in bits 0–15, its length in bits 16–20 and the number of extra
// (magnitude) bits that follow the symbol in bits 24–27.
func (spec *huffSpec) fill(ent *[1024]uint32, base int, dc bool) {
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for range spec.bits[l-1] {
			sym := spec.vals[k]
			extra := uint32(sym & 15)
			if dc {
				extra = uint32(sym)
			}
			ent[base+int(sym)] = code | uint32(l)<<16 | extra<<24
			code++
			k++
		}
		code <<= 1
	}
}

// huffmanSizes returns the code size of every symbol, including the reserved symbol 256
// of frequency 1, by the procedure of Figure K.1 (no length limit; 0 for unused symbols).
func huffmanSizes(freq []int32) (size [257]int32) {
	const reserved = 256
	var f [257]int64
	var next [257]int16 // the "others" chain of Figure K.1
	active := make([]int16, 0, 257)
	for i, v := range freq {
		if v > 0 {
			f[i] = int64(v)
			active = append(active, int16(i))
		}
	}
	f[reserved] = 1
	active = append(active, reserved)
	for i := range next {
		next[i] = -1
	}
	// less reports whether a should be picked before b: smaller frequency first, and
	// among equal frequencies the larger symbol value (as K.2 prescribes).
	less := func(a, b int16) bool { return f[a] < f[b] || (f[a] == f[b] && a > b) }
	for len(active) > 1 {
		// i1 = position of the least entry V1, i2 = of the next least V2.
		i1, i2 := 0, 1
		if less(active[i2], active[i1]) {
			i1, i2 = i2, i1
		}
		for i := 2; i < len(active); i++ {
			switch a := active[i]; {
			case less(a, active[i1]):
				i1, i2 = i, i1
			case less(a, active[i2]):
				i2 = i
			}
		}
		v1, v2 := active[i1], active[i2]
		f[v1] += f[v2]
		f[v2] = 0
		for {
			size[v1]++
			if next[v1] < 0 {
				break
			}
			v1 = next[v1]
		}
		next[v1] = v2
		for {
			size[v2]++
			if next[v2] < 0 {
				break
			}
			v2 = next[v2]
		}
		active[i2] = active[len(active)-1]
		active = active[:len(active)-1]
	}
	return size
}

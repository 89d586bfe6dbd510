//go:build ignore

// mksrc writes the synthetic source pictures from which the committed test JPEGs
// were made (see README.md): src.ppm (colour) and src.pgm (grey), 99×75 pixels of
// gradients, a noise band and blocky "text" strokes. Not photos.
package main

import (
	"fmt"
	"math"
	"math/rand"
	"os"
)

func main() {
	const w, h = 99, 75
	rng := rand.New(rand.NewSource(7))
	rgb := make([]byte, 0, w*h*3)
	grey := make([]byte, 0, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r := 128 + 110*math.Sin(float64(x)/9)
			g := 255 * float64(y) / h
			b := 128 + 100*math.Cos(float64(x*y)/300)
			if y > 50 && y < 62 { // noise band
				n := float64(rng.Intn(61) - 30)
				r, g, b = r+n, g-n, b+n
			}
			if (x/3)%4 == 1 && y > 8 && y < 20 && x > 10 && x < 80 { // "text"
				r, g, b = 10, 10, 200
			}
			rgb = append(rgb, c8(r), c8(g), c8(b))
			grey = append(grey, c8(0.3*r+0.59*g+0.11*b))
		}
	}
	os.WriteFile("src.ppm", append([]byte(fmt.Sprintf("P6\n%d %d\n255\n", w, h)), rgb...), 0o644)
	os.WriteFile("src.pgm", append([]byte(fmt.Sprintf("P5\n%d %d\n255\n", w, h)), grey...), 0o644)
}

func c8(v float64) byte { return byte(math.Max(0, math.Min(255, v))) }

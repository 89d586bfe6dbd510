// Package tflite is a small pure-Go interpreter for float TensorFlow Lite models
// (MediaPipe's face detector, face mesh, selfie segmentation and pose landmark models).
//
// Intended API (the vision package is written against it):
//
//	m, err := tflite.Load(path)          // or tflite.Parse(data); fp16 constants folded to fp32
//	m.Inputs(), m.Outputs()              // []TensorInfo{Name string; Shape []int}
//	it := m.NewInterpreter()             // owns activations only; weights are shared with m
//	copy(it.Input(0), pixels)            // []float32, NHWC, batch 1
//	err = it.Invoke()
//	out := it.Output(0)                  // []float32, valid until the next Invoke
//	p := tflite.NewPool(m, n)            // p.Get() / p.Put(it): safe from many goroutines
//
// Unsupported ops and malformed files return errors, never panics.
package tflite

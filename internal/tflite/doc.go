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
//
// Threads: NewInterpreter uses runtime.GOMAXPROCS(0) goroutines per Invoke;
// m.NewInterpreterOpts(tflite.Options{Threads: n}) and NewPoolOpts choose
// another number. The helper goroutines are shared by all interpreters of the
// process, and small operators run on the calling goroutine only.
//
// What is supported: one subgraph with static shapes, batch 1, FLOAT32
// activations; FLOAT16 or FLOAT32 constants (FLOAT16 weights feeding
// DEQUANTIZE are folded to float32 at load); INT32/INT64 constants for shapes,
// paddings and axes. Operators: ADD, MUL and PRELU (broadcasting), CONV_2D,
// DEPTHWISE_CONV_2D (any depth multiplier, dilation), the MediaPipe custom op
// Convolution2DTransposeBias, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, PAD,
// CONCATENATION, RESHAPE, RESIZE_BILINEAR (align_corners, half_pixel_centers),
// RELU, RELU6, RELU_N1_TO_1, HARD_SWISH, LOGISTIC, DEQUANTIZE, with the fused
// activations NONE, RELU, RELU_N1_TO_1 and RELU6.
//
// How it runs: Parse reads the flatbuffer with a bounds-checked reader (every
// offset, vector and table is validated), checks every operator's shapes,
// packs the weights once, and plans the activation memory (tensors whose
// lifetimes do not overlap share space), so an Interpreter allocates its
// buffers once and Invoke allocates nothing. Convolutions are matrix products
// (im2col, or the input itself for 1×1) over weights packed in panels of 16
// output channels; on amd64 with AVX2+FMA the inner 6×16/4×16 blocks, the
// depthwise rows and the element-wise ops run in small assembly kernels
// (gemm_amd64.s, elem_amd64.s), elsewhere in portable Go with 4×4 register
// blocks. Results match TensorFlow.js running
// the same networks (see testdata/golden and golden_test.go).
package tflite

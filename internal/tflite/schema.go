package tflite

import (
	"fmt"
	"math"
)

// Builtin operator codes (tensorflow/lite/schema/schema.fbs).
const (
	opAdd             = 0
	opAveragePool2D   = 1
	opConcatenation   = 2
	opConv2D          = 3
	opDepthwiseConv2D = 4
	opDequantize      = 6
	opLogistic        = 14
	opMaxPool2D       = 17
	opMul             = 18
	opRelu            = 19
	opReluN1To1       = 20
	opRelu6           = 21
	opReshape         = 22
	opResizeBilinear  = 23
	opCustom          = 32
	opPad             = 34
	opMean            = 40
	opPrelu           = 54
	opHardSwish       = 117
)

var opNames = map[int32]string{
	0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
	5: "DEPTH_TO_SPACE", 6: "DEQUANTIZE", 7: "EMBEDDING_LOOKUP", 8: "FLOOR", 9: "FULLY_CONNECTED",
	11: "L2_NORMALIZATION", 12: "L2_POOL_2D", 14: "LOGISTIC", 16: "LSTM", 17: "MAX_POOL_2D",
	18: "MUL", 19: "RELU", 20: "RELU_N1_TO_1", 21: "RELU6", 22: "RESHAPE", 23: "RESIZE_BILINEAR",
	25: "SOFTMAX", 26: "SPACE_TO_DEPTH", 28: "TANH", 32: "CUSTOM", 34: "PAD", 36: "GATHER",
	37: "BATCH_TO_SPACE_ND", 38: "SPACE_TO_BATCH_ND", 39: "TRANSPOSE", 40: "MEAN", 41: "SUB",
	42: "DIV", 43: "SQUEEZE", 45: "STRIDED_SLICE", 49: "SPLIT", 53: "CAST", 54: "PRELU",
	55: "MAXIMUM", 57: "MINIMUM", 60: "PADV2", 67: "TRANSPOSE_CONV", 71: "SLICE", 74: "SUM",
	77: "SHAPE", 83: "PACK", 92: "FILL", 97: "RESIZE_NEAREST_NEIGHBOR", 98: "LEAKY_RELU",
	114: "QUANTIZE", 117: "HARD_SWISH", 126: "BATCH_MATMUL", 127: "PLACEHOLDER_FOR_GREATER_OP_CODES",
	128: "CUMSUM", 136: "DENSIFY",
}

func opName(code int32) string {
	if n, ok := opNames[code]; ok {
		return n
	}
	return fmt.Sprintf("builtin op %d", code)
}

// Tensor element types.
const (
	typeFloat32 = 0
	typeFloat16 = 1
	typeInt32   = 2
	typeUint8   = 3
	typeInt64   = 4
	typeInt8    = 9
)

func typeName(t int8) string {
	switch t {
	case typeFloat32:
		return "FLOAT32"
	case typeFloat16:
		return "FLOAT16"
	case typeInt32:
		return "INT32"
	case typeUint8:
		return "UINT8"
	case typeInt64:
		return "INT64"
	case typeInt8:
		return "INT8"
	}
	return fmt.Sprintf("type %d", t)
}

func typeSize(t int8) int {
	switch t {
	case typeFloat32, typeInt32:
		return 4
	case typeFloat16:
		return 2
	case typeInt64:
		return 8
	case typeUint8, typeInt8:
		return 1
	}
	return 0
}

// Fused activation functions.
const (
	actNone      = 0
	actRelu      = 1
	actReluN1To1 = 2
	actRelu6     = 3
)

// clamp is a fused activation expressed as lower/upper bounds.
type clamp struct{ lo, hi float32 }

var noClamp = clamp{float32(math.Inf(-1)), float32(math.Inf(1))}

func fusedAct(code uint8) (clamp, error) {
	switch code {
	case actNone:
		return noClamp, nil
	case actRelu:
		return clamp{0, float32(math.Inf(1))}, nil
	case actReluN1To1:
		return clamp{-1, 1}, nil
	case actRelu6:
		return clamp{0, 6}, nil
	}
	return clamp{}, fmt.Errorf("unsupported fused activation %d", code)
}

// apply clamps v (branch-free: min/max compile to MINSS/MAXSS sequences).
func (c clamp) apply(v float32) float32 { return min(max(v, c.lo), c.hi) }

func (c clamp) applyAll(s []float32) {
	if c == noClamp {
		return
	}
	lo, hi := c.lo, c.hi
	for i, v := range s {
		s[i] = min(max(v, lo), hi)
	}
}

// f16 converts an IEEE 754 half-precision value to float32.
func f16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

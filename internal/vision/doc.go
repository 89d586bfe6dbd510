// Package vision finds faces, the 468-point face mesh, head pose, eye and mouth
// openness, the person mask, the head top and the shoulders in a photo, in pure Go,
// with MediaPipe's models run by internal/tflite. See analysis.go for the result type.
package vision

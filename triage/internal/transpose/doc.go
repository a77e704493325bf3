// Package transpose turns 8 rows of floats into columns of 8 and back,
// the step that lets a row filter run 8 rows an AVX2 instruction: after
// In8, column x's 8 values sit together at t[8x:8x+8], one vector.
package transpose

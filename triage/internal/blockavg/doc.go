// Package blockavg shrinks a float32 plane by an integer factor, each
// output the mean of an f x f block: the first step of the hashing views'
// planes and of the local features' working plane, one loop for both.
package blockavg

// Package keypoint finds an image's local features and verifies that two
// images' features agree geometrically: what is left to match when a copy
// is cropped so much (a quarter off one side), or mirrored and cropped,
// that every hash of the whole image or of a fixed region of it is far.
//
// Extract finds blobs in a difference-of-Gaussians scale space of the
// luma plane scaled to a longer side of Side pixels (3 octaves, 3 levels
// each), keeps the strongest n spread over a 4x4 grid, and describes each
// with 64 bits: the signs of the low-frequency DCT coefficients of the
// patch around it, sampled at its own scale (so a copy at another scale
// gives the same bits). A mirrored copy's descriptors are the known ones
// with the odd horizontal frequencies' signs flipped (Mirror), so only
// one set is stored. Verify fits a similarity (scale, translation, a
// rotation of a few degrees) to pairs of features with close descriptors
// and counts the pairs it maps within tolerance: the matcher
// (package matching) calls a match when enough of them, spread over the
// image, agree.
//
// On amd64 CPUs with AVX2, the scale space's blurs and differences run
// 8 pixels per instruction (conv_amd64.s), and the resampling's row pass
// 8 rows per instruction, transposed (resample_amd64.s): each sum
// multiplies, then adds, the same taps in the same order as the Go loops,
// never with a fused multiply-add; the candidate extrema are found 8 points at a time
// (extrema_amd64.s) by the Go loop's comparisons, false on NaN as Go's
// are; the orientation histograms' weights and bins are found 4 points
// at a time (orient_amd64.s) by the Go loop's operations and added in
// its order. So the features are the same to the bit with
// AVX2 and without (a test pins a hash of them). Other architectures run
// the Go loops, whose multiply and add the compiler may fuse (arm64 does):
// their blurred planes can differ from amd64's in the last bits, and so,
// now and then, a feature.
package keypoint

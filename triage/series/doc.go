// Package series groups what a scan or a lab found so that a person looks
// at each thing once: Stacks gathers identical files (same SHA-256), and
// Group links new and variant images into near-duplicate series (PDQ of
// any rotation or flip, or pHash, within a radius). Index does the same
// one item at a time, for the lab's review queue, and finds the series
// Group would find for all the items at once.
package series

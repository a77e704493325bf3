package sandbox

// RaceDetector reports a race build, whose Pool children have no memory limit.
const RaceDetector = raceDetector

// Package sandbox runs risky decoders in child processes under resource
// limits, so that a file that crashes, hangs or balloons a decoder costs one
// item and never the process that asked.
//
// It is the pattern browsers use for their utility processes. The child is
// the running binary itself, started again in a hidden mode (Main must be
// the first call in main and in TestMain): before it reads a byte of input
// it caps its private memory (RLIMIT_DATA), CPU time (RLIMIT_CPU, re-armed for
// every job), open files and core dumps, and forbids itself to write files
// (RLIMIT_FSIZE 0). Input travels over its stdin, output over its stdout;
// nothing touches the disk. The parent adds a wall-clock timeout, bounds
// the output it will read, and kills the child on any breach; a child dies
// with its parent (PR_SET_PDEATHSIG).
//
// Two shapes share those limits:
//
//   - Pool keeps a few long-lived children that run registered Handlers
//     (in-process C decoders such as libheif): one round trip a job, no
//     process start-up. A child is retired after MaxJobs jobs or any
//     failure, so one bad file cannot poison the next.
//   - Command starts an external program (ffmpeg, ffprobe) under the same
//     limits: the child applies them to itself and then execs the program.
//
// What this is not: a seccomp or namespace sandbox. A decoder exploit runs
// with the user's rights in a process that can read what the user can; the
// limits stop resource exhaustion and contain crashes. Run the service as
// an unprivileged user.
package sandbox
